import ArgumentParser
import TLogFS
import Tables

extension Pond {
  struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "query",
      abstract: "Run SQL over pond tables and series of tables.",
      discussion: """
        Each --table NAME=PATH_OR_GLOB makes the table, series of tables, or glob of them at that \
        path readable as NAME (a series with its latest version's columns: NULL in older rows \
        that lack them). A glob unions every table it matches (one schema, or narrower ones \
        the widest extends), with a text \
        column per wildcard (capture1, capture2, ...) holding what it matched. The engine is \
        SQLite: its functions (strftime, date, avg, ...) and syntax; timestamps are ISO 8601 text \
        in UTC ('2024-06-01T12:00:00.000000Z'), so compare them with such literals. Constraints on \
        a table's time column skip the versions and pages outside them. With --at the pond is \
        read as it was then. See docs/tables.md.
        """)

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Option(
      name: .customLong("table"),
      help: ArgumentHelp("A name for a pond table or glob of tables.", valueName: "name=path"))
    var tables: [String] = []

    @Option(help: "Output format: table, csv or json (JSON lines).")
    var format: Format = .table

    enum Format: String, ExpressibleByArgument, CaseIterable {
      case table, csv, json
    }

    @Argument(help: "One SQL statement.")
    var sql: String

    func validate() throws {
      for table in tables {
        guard let equals = table.firstIndex(of: "="), equals != table.startIndex,
          table.index(after: equals) != table.endIndex
        else { throw ValidationError("--table takes NAME=PATH_OR_GLOB, not '\(table)'") }
      }
    }

    func run() throws {
      try reportingFailures("query") { output in
        let store = try location.openForReading()
        let fileSystem = try store.fileSystem(at: try at.version(in: store))
        let engine = try QueryEngine()
        for table in tables {
          let equals = table.firstIndex(of: "=")!
          try engine.register(
            try PondQuery.table(
              named: String(table[..<equals]),
              pattern: String(table[table.index(after: equals)...]),
              in: store, fileSystem: fileSystem))
        }
        try Self.print(
          sql, engine: engine, format: QueryOutputFormat(rawValue: format.rawValue)!, to: output)
      }
    }

    /// Runs `sql` on `engine`, printing the rows in `format` as they come (a table's at the end).
    static func print(
      _ sql: String, engine: QueryEngine, format: QueryOutputFormat, to output: StandardOutput
    ) throws {
      var failure: (any Error)?
      var printer: QueryOutput?
      func write(_ text: String) {
        guard failure == nil else { return }
        do { try output.write(text) } catch { failure = error }
      }
      try engine.run(sql) { columns in
        printer = QueryOutput(format: format, columns: columns, write: write)
      } row: { values in
        printer!.add(values)
        return failure == nil
      }
      printer?.finish()
      if let failure { throw failure }
    }
  }
}
