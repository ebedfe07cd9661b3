import ArgumentParser
import TLogFS
import Tables

extension Pond {
  struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "copy",
      abstract: "Copy host files into the pond, or pond files out to a host directory.",
      discussion: """
        In: pond copy HOST_PATH... POND_PATH copies host files, directories (recursively) and \
        globs into the pond in one commit. With one source the pond path is the new name unless it \
        is an existing directory; with several it must be an existing directory.
        A source - reads standard input to its end (collector | pond copy --series - POND_PATH): \
        alone, into a file path; committed once the input reaches its end (a file named - is \
        ./-). Named FIFOs, \
        /dev/stdin and /proc files are read to their end too, not by their size.
        Tables: pond copy --table SOURCE POND_PATH stores one table (--series: appends it to the \
        series of tables there, whose columns it must keep; new ones must be nullable). A Parquet \
        file is stored as it is, once \
        every page is read; anything else is read as CSV (header required) and converted to Parquet \
        with --schema 'time:timestamp,temp_c:double?,...' or a schema inferred from the values \
        (timestamp, double, int64, bool, string; empty cells are nulls). See docs/tables.md.
        Out: pond copy --out POND_PATH_OR_GLOB... HOST_DIR writes pond files, directories and \
        glob matches (at --at) into an existing host directory.
        Files of 64 KiB or more are streamed into data/_large_files (stored once per content); so \
        are smaller ones once a command holds 32 MiB of them. A symbolic link named as a source is \
        followed; one inside a copied directory is copied as a link. One command appends to a \
        given series once. Copying out, two sources with the same host name, or a named link \
        that points nowhere, are refused before anything is written.
        """)

    @OptionGroup var pond: WritablePond
    @OptionGroup var at: AtOption

    @Flag(help: "Append each host file to the series of the same name (created if missing).")
    var series = false

    @Flag(help: "Copy from the pond out to a host directory.")
    var out = false

    @Flag(help: "Store the source as a table: Parquet as it is, CSV converted (docs/tables.md).")
    var table = false

    @Option(
      help: ArgumentHelp(
        "The CSV's columns, e.g. 'time:timestamp,temp_c:double?' (? allows empty cells); with --table.",
        valueName: "columns"))
    var schema: String?

    @Option(
      help: ArgumentHelp(
        "The column holding each row's time (default: the only timestamp column); with --table.",
        valueName: "name"))
    var timeColumn: String?

    @Argument(help: "Sources (- for standard input), then the destination.")
    var paths: [String]

    func validate() throws {
      if paths.count < 2 { throw ValidationError("give at least one source and a destination") }
      if out && series { throw ValidationError("--series only applies when copying into the pond") }
      if !out && at.at != nil { throw ValidationError("--at only applies to 'copy --out'") }
      if (schema != nil || timeColumn != nil) && !table {
        throw ValidationError("--schema and --time-column only apply with --table")
      }
      if table && out { throw ValidationError("--table only applies when copying into the pond") }
      if table && paths.count != 2 {
        throw ValidationError("--table copies one source (a file or -) to one pond path")
      }
      if out && pond.wait {
        throw ValidationError(
          "--wait only applies when copying into the pond ('copy --out' only reads)")
      }
    }

    func run() throws {
      try reportingFailures("copy") { output in
        let sources = Array(paths.dropLast())
        let destination = paths.last!
        if out {
          let store = try pond.location.openForReading()
          let report = try store.copyOut(
            patterns: sources, to: destination, at: try at.version(in: store))
          try output.line(
            "Copied \(report.written.count) file(s), \(report.bytes) bytes, to \(destination)")
        } else if table {
          // Read and converted before the writer lock is taken: a large source does not hold up writers.
          let prepared = try TableCopy.prepare(
            sources[0], to: destination, series: series, schema: schema, timeColumn: timeColumn,
            reading: try pond.location.openForReading())
          let store = try pond.open()
          let report = try prepared.store(into: store, commandLine: Invocation.commandLine)
          let range = report.table.timeRange.map { range in
            ", \(report.table.timeColumn ?? "time") "
              + "\(PondStore.formatTime(range.lowerBound / 1000)) .. "
              + "\(PondStore.formatTime(range.upperBound / 1000))"
          }
          output.confirm(
            "\(series ? "Appended" : "Stored") \(report.table.rows) rows\(range ?? "") to \(destination) "
              + "as version \(store.head)",
            command: "copy", done: "the table was committed as version \(store.head)")
        } else {
          let store = try pond.open()
          try Self.copyIn(sources, to: destination, series: series, store: store, output: output)
        }
      }
    }

    /// Copies host files into `store` in one commit and says what it did.
    static func copyIn(
      _ sources: [String], to destination: String, series: Bool, store: PondStore,
      output: StandardOutput
    ) throws {
      let before = store.head
      let report = try store.copyIn(
        hostSources: sources, to: destination, series: series, commandLine: Invocation.commandLine)
      if store.head == before {
        try output.line(
          "Nothing to copy: the pond already holds what \(sources.count == 1 ? "the source holds" : "the sources hold"); "
            + "no new version, the pond stays at version \(before)")
      } else {
        output.confirm(
          "Copied \(report.written.count) file(s), \(report.bytes) bytes, as version \(store.head)",
          command: "copy", done: "the copy was committed as version \(store.head)")
      }
    }

    /// Runs the form a collector runs once per reading (`parsedDirectly`) as `run()` would, without
    /// ArgumentParser; false, having done nothing, for any other form.
    static func runDirectly(_ arguments: ArraySlice<String>) throws -> Bool {
      guard let direct = parsedDirectly(arguments) else { return false }
      try reportingFailures("copy") { output in
        let store = try WritablePond.open(pond: direct.pond, wait: direct.wait)
        let sources = Array(direct.paths.dropLast())
        try copyIn(
          sources, to: direct.paths.last!, series: direct.series, store: store, output: output)
      }
      return true
    }

    /// What `pond copy [--pond PATH] [--wait] [--series] SOURCE... DESTINATION` asks for.
    struct DirectArguments: Equatable {
      var pond: String?
      var wait = false
      var series = false
      var paths: [String] = []
    }

    /// `arguments` (after `pond`) when they are `copy [--pond PATH] [--wait] [--series] SOURCE...
    /// DESTINATION`, read without ArgumentParser, whose reflection over a command's properties is more than
    /// half of such a process's instructions (docs/benchmarks.md, start-up). A SOURCE may be `-` (standard
    /// input), which ArgumentParser too reads as a value. Nil for any other form (help, `--out`, `--at`,
    /// `--pond=PATH`, an unknown or repeated option, any other value starting with `-`), which ArgumentParser
    /// then parses: to the same command, or to its own error.
    static func parsedDirectly(_ arguments: ArraySlice<String>) -> DirectArguments? {
      var arguments = arguments
      guard arguments.popFirst() == "copy" else { return nil }
      var direct = DirectArguments()
      while let argument = arguments.popFirst() {
        switch argument {
        case "--pond" where direct.pond == nil:
          guard let path = arguments.popFirst(), !path.isEmpty, !path.hasPrefix("-") else {
            return nil
          }
          direct.pond = path
        case "--wait" where !direct.wait: direct.wait = true
        case "--series" where !direct.series: direct.series = true
        case PondStore.standardInputSource: direct.paths.append(argument)
        case _ where argument.isEmpty || argument.hasPrefix("-") || argument == "help": return nil
        default: direct.paths.append(argument)
        }
      }
      return direct.paths.count >= 2 ? direct : nil
    }
  }
}
