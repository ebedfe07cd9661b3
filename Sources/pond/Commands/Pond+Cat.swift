import ArgumentParser
import TLogFS
import Tables

extension Pond {
  struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cat",
      abstract: "Write the content of pond files, series or tables to standard output.",
      discussion: """
        A table or series of tables is printed as CSV (the rows of every version of a series, in \
        order), or in --format json (JSON lines), table, or parquet (the stored bytes of a table, \
        or of a series holding one version). --sql 'SELECT ... FROM source' runs SQL over the one \
        table named on the command line, called source (see 'pond query --help').
        """)

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Option(help: "For tables: csv, json, table or parquet (default: csv).")
    var format: CatFormat?

    @Option(help: "For one table: SQL over it, named source.")
    var sql: String?

    @Argument(help: "Pond paths of files, series or tables.")
    var paths: [String]

    enum CatFormat: String, ExpressibleByArgument, CaseIterable {
      case csv, json, table, parquet
    }

    func validate() throws {
      if sql != nil && paths.count != 1 {
        throw ValidationError("--sql reads one table: name one path")
      }
      if sql != nil && format == .parquet {
        throw ValidationError("--sql prints csv, json or table, not parquet")
      }
    }

    func run() throws {
      try reportingFailures("cat") { output in
        let store = try location.openForReading()
        let fileSystem = try store.fileSystem(at: try at.version(in: store))
        for path in paths {
          let type = try fileSystem.stat(path).entryType
          guard type.isTable else {
            if sql != nil || format != nil {
              throw ValidationError(
                "\(path) is a \(type), not a table: --sql and --format apply to tables only")
            }
            // A failing write (a full disk, a closed pipe) comes back as the output's own error.
            try store.streamFile(path, fileSystem) { try output.write($0) }
            continue
          }
          if format == .parquet {
            let versions = try store.tableVersions(path, in: fileSystem)
            guard versions.count == 1 else {
              throw ValidationError(
                "\(path) is a series of \(versions.count) Parquet tables, not one Parquet file: "
                  + "print it as csv or json, or write one file per version with 'pond export'")
            }
            try store.streamTableContent(versions[0]) { try output.write($0) }
            continue
          }
          let engine = try QueryEngine()
          try engine.register(
            try PondQuery.table(named: "source", pattern: path, in: store, fileSystem: fileSystem))
          try Query.print(
            sql ?? "SELECT * FROM source", engine: engine,
            format: QueryOutputFormat(rawValue: (format ?? .csv).rawValue)!, to: output)
        }
      }
    }
  }
}
