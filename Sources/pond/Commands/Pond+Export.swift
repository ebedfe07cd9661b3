import ArgumentParser
import TLogFS
import Tables

extension Pond {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Write tables and series of tables as Parquet files in a host directory.",
      discussion: """
        Each match is written under DIR/<its pond path>/. Without --temporal, every version is one file, \
        part-<pond version>.parquet, the stored bytes as they are. With --temporal year[,month[,day[,hour]]], \
        rows are split by their time column (UTC) into hive partitions, e.g. \
        year=2024/month=06/day=01/part-<pond version>-<n>.parquet; rows whose time is null go to \
        year=__HIVE_DEFAULT_PARTITION__. DuckDB reads them with \
        read_parquet('DIR/**/*.parquet', hive_partitioning=true), pyarrow with \
        pyarrow.dataset.dataset('DIR/<pond path>', partitioning='hive').

        DIR must be missing (it is created) or empty. A pattern that matches nothing, a match that is not a \
        table or series of tables, and with --temporal a table without a time column are refused before \
        anything is written.
        """)

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Option(
      help: ArgumentHelp(
        "Partition rows by time: year, year,month, year,month,day or year,month,day,hour.",
        valueName: "levels"))
    var temporal: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(
      help: ArgumentHelp(
        "Pond paths or glob patterns of tables, then the host directory (DIR).",
        valueName: "pattern-or-dir"))
    var arguments: [String]

    func validate() throws {
      guard arguments.count >= 2 else {
        throw ValidationError("name at least one pond path or pattern and the host directory")
      }
    }

    func run() throws {
      try reportingFailures("export") { output in
        let partitioning = try temporal.map { try ExportPartitioning(parsing: $0) }
        let store = try location.openForReading()
        let fileSystem = try store.fileSystem(at: try at.version(in: store))
        let reports = try Tables.Export.run(
          Array(arguments.dropLast()), from: store, in: fileSystem, to: arguments.last!,
          partitioning: partitioning)
        if json {
          try printJSON(reports, to: output)
          return
        }
        for report in reports {
          try output.line(
            "\(report.path) -> \(report.directory): \(report.files) files, \(report.rows) rows, "
              + "\(report.bytes) bytes (versions: \(report.versions), split: \(report.splitVersions), "
              + "widened: \(report.widenedVersions))"
          )
        }
      }
    }
  }
}
