import ArgumentParser
import TLogFS

extension Pond {
  struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "log",
      abstract: "One line per version: number, time, command line, what changed.")

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      try reportingFailures("log") { output in
        let store = try location.openForReading()
        let version = try at.version(in: store)
        if json {
          var array = JSONArrayPrinter(to: output)
          try store.log(upTo: version) { try array.print($0) }
          try array.finish()
          return
        }
        try store.log(upTo: version) { report in
          let names = report.changed.prefix(6).map(\.escapedForLine).joined(separator: " ")
          let changed =
            report.changed.count > 6 ? names + " (+\(report.changed.count - 6) more)" : names
          try output.line(
            "\(report.version)\t\(report.time)\t\(report.command.escapedForLine)\t\(changed)")
        }
      }
    }
  }
}
