import ArgumentParser
import TLogFS
import Tables

extension Pond {
  struct Reduce: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reduce",
      abstract: "Downsample series of tables into buckets of time (avg, min, max, count, sum).",
      discussion: """
        CONFIG is a YAML file:

          reduce:
            input: /stations/*/readings   # pond glob of tables or series of tables
            output: /reduced/$1           # a directory per input; $1... are the captures
            resolutions: 1h, 6h, 1d       # s, m, h, d; each divides the next
          columns:
            temp_c: avg, min, max
            rain_mm: sum, count

        Each run appends to <output>/res=<resolution> the buckets (aligned on UTC) that became \
        complete, from the input versions added since the last run, and keeps the open buckets \
        in <output>/reduce-state, all in one commit. Late rows (in buckets already written) are \
        refused: --rebuild recomputes the output from the start. See docs/tables.md.
        """)

    @OptionGroup var pond: WritablePond

    @Flag(help: "Replace the output and recompute it from every input version.")
    var rebuild = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Argument(help: "The configuration file (YAML).")
    var config: String

    func run() throws {
      try reportingFailures("reduce") { output in
        let configuration = try ReduceConfiguration(contentsOf: config)
        let store = try pond.open()
        let report = try TableReduce.run(
          configuration, on: store, rebuild: rebuild, commandLine: Invocation.commandLine)
        if json {
          try printJSON(report, to: output)
          return
        }
        let rows = report.inputs.reduce(0) { $0 + $1.rows }
        for input in report.inputs {
          let buckets = configuration.resolutions.map {
            "\($0): \(input.buckets[$0.description] ?? 0)"
          }
          try output.line(
            "\(input.input) -> \(input.output): \(input.versions) version(s), \(input.rows) rows, "
              + "buckets \(buckets.joined(separator: ", "))"
              + (input.rebuilt.map { " (recomputed: \($0))" } ?? ""))
        }
        guard let version = report.version else {
          try output.line(
            "Nothing to reduce: no input version since the last run; the pond stays at version \(store.head)"
          )
          return
        }
        let buckets = configuration.resolutions.map { resolution in
          "\(resolution): \(report.inputs.reduce(0) { $0 + ($1.buckets[resolution.description] ?? 0) })"
        }
        output.confirm(
          "Reduced \(report.inputs.count) input(s), \(rows) rows, buckets "
            + "\(buckets.joined(separator: ", ")), as version \(version)",
          command: "reduce", done: "the reduction was committed as version \(version)")
      }
    }
  }
}
