import ArgumentParser
import TLogFS

extension Pond {
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show the pond's id, birthplace, latest version and what it holds.")

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      try reportingFailures("status") { output in
        let store = try location.openForReading()
        let report = try store.status(at: try at.version(in: store))
        if json {
          try printJSON(report, to: output)
          return
        }
        try output.line("pond \(report.pondID) at \(report.pond)")
        try output.line("birthplace \(report.birthplace), format \(report.formatVersion)")
        try output.line(
          "version \(report.version) of \(report.headVersion), committed \(report.time)")
        try output.line(
          "\(report.directories) directories, \(report.files) files, \(report.series) series, "
            + "\(report.symlinks) symbolic links, \(report.bytes) bytes")
        try output.line("local index: \(report.index)")
      }
    }
  }
}
