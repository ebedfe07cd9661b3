import ArgumentParser
import Pipeline
import TLogFS

extension Pond {
  /// `pond site`: the static site of the pond's reduced series.
  struct Site: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "site",
      abstract: "Build a static web site of the pond's reduced series.",
      subcommands: [Build.self])
  }
}

extension Pond.Site {
  /// `pond site build OUT_DIR`: index, a page per series, charts whose data load by time span.
  struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "build",
      abstract: "Write a static site of every 'pond reduce' output into a host directory.",
      discussion: """
        Each directory --series matches (default /reduced/*) holds res=<resolution> series of tables \
        written by 'pond reduce'; it becomes a page with a dygraphs chart per column family (avg with \
        a min-max band, or lines), first the whole range at the coarsest resolution, then the finest \
        resolution that fits the view as you zoom. Data files hold 1,500 buckets of one resolution each, \
        so that a view loads at most two (the whole range loads every file of the coarsest resolution: \
        more than two only beyond 1,500 of its buckets, about 4 years at 1d; add a coarser resolution \
        to the reduce to keep it at two). The site needs no server: open OUT_DIR/index.html from disk or \
        serve the directory; it requests nothing outside it.

        --info names a station description per series, with $1... for the --series glob's captures \
        (e.g. /hydrovu/$1/device.json: {"name", "description", "latitude", "longitude"}); a missing file \
        shows no location. dygraphs is copied from --dygraphs (Debian's libjs-dygraphs).

        OUT_DIR must be missing, empty, or a site built before: a rebuild writes only the files whose \
        inputs changed (recorded in OUT_DIR/.pond-site.json) and removes those no longer made. The same \
        pond version always gives the same bytes. See docs/pipeline.md.
        """)

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Option(help: ArgumentHelp("Pond glob of reduce output directories.", valueName: "glob"))
    var series: String = SiteConfiguration.defaultSeries

    @Option(
      help: ArgumentHelp(
        "Pond path of each series' station description, with $1... for the glob's captures.",
        valueName: "pattern"))
    var info: String?

    @Option(help: "The site's title.")
    var title: String = SiteConfiguration.defaultTitle

    @Option(
      help: ArgumentHelp(
        "Host directory holding dygraph.min.js and dygraph.min.css.", valueName: "dir"))
    var dygraphs: String = SiteConfiguration.defaultDygraphs

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Argument(
      help: ArgumentHelp("The host directory to write the site into.", valueName: "out-dir"))
    var outDirectory: String

    func run() throws {
      try reportingFailures("site build") { output in
        let store = try location.openForReading()
        let report = try SiteBuilder.build(
          SiteConfiguration(title: title, series: series, info: info, dygraphs: dygraphs),
          from: store, at: try at.version(in: store), into: outDirectory)
        if json {
          try printJSON(report, to: output)
          return
        }
        try output.line(
          "Built \(report.directory) from pond version \(report.version): \(report.series) series, "
            + "\(report.files) files, \(report.bytes) bytes (\(report.written) written, "
            + "\(report.kept) kept, \(report.removed) removed)")
      }
    }
  }
}
