import ArgumentParser
import TLogFS

extension Pond {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show the oplog rows one version wrote (default: the latest).")

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(help: "Print JSON (the Delta column names; content in base64).")
    var json = false

    func run() throws {
      try reportingFailures("show") { output in
        let store = try location.openForReading()
        let version = try at.version(in: store) ?? store.head
        let rows = try store.rows(ofVersion: version)
        if json {
          try printJSON(rows, to: output)
          return
        }
        try output.line("version \(version): \(rows.count) row(s)")
        for row in rows {
          let place = row.blob ?? "inline"
          try output.line(
            "  \(row.entryType.rightPadded(9)) node \(row.nodeID) "
              + "v\(row.version) parent \(row.partID) size \(row.size) sha256 \(row.sha256) \(place)"
          )
        }
      }
    }
  }
}
