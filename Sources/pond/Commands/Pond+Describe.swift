import ArgumentParser
import TLogFS

extension Pond {
  struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "describe",
      abstract:
        "Show a pond path's node id, type and every version (size, hash, where stored; a table's rows, time range and schema)."
    )

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "Pond paths.")
    var paths: [String]

    func run() throws {
      try reportingFailures("describe") { output in
        let store = try location.openForReading()
        let version = try at.version(in: store)
        let reports = try paths.map { try store.describe($0, at: version) }
        if json {
          try printJSON(reports, to: output)
          return
        }
        for report in reports {
          try output.line("\(report.path): \(report.type), node \(report.nodeID)")
          if let target = report.symlinkTarget { try output.line("  -> \(target)") }
          for entry in report.versions {
            try output.line(
              "  v\(entry.version)  pond version \(entry.txn)  \(entry.time)  \(entry.size) bytes  "
                + "sha256 \(entry.sha256)  \(entry.storage)")
            if let table = entry.table {
              let time =
                table.timeColumn.map { column in
                  "  \(column) \(table.timeMin ?? "-") .. \(table.timeMax ?? "-")"
                } ?? ""
              try output.line("      \(table.rows) rows\(time)  schema \(table.schema)")
            }
          }
        }
      }
    }
  }
}
