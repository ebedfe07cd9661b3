public import PondFiles
public import TLogFS
public import TinyFS

/// `pond copy --table`: a CSV or Parquet file (or standard input) stored as a table, or appended to a series
/// of tables, in the pond.
public enum TableCopy {
  /// What `copy(_:to:...)` stored.
  public struct Report: Sendable {
    /// The pond path written.
    public var path: String
    /// What the new version holds.
    public var table: TableInfo
    /// True when the source was a Parquet file stored as it is; false when it was CSV, converted.
    public var wasParquet: Bool
  }

  /// A table ready to be stored: a Parquet file in `$POND/local/` that this value removes when it goes.
  public final class Prepared {
    /// The pond path it goes to, and whether it is appended to a series of tables there.
    public let destination: String
    public let series: Bool
    /// What the Parquet file holds.
    public let table: TableInfo
    /// True when the source was a Parquet file (stored as it is); false when it was CSV, converted.
    public let wasParquet: Bool
    let parquet: String
    private let temporaries: [String]

    init(
      destination: String, series: Bool, table: TableInfo, wasParquet: Bool, parquet: String,
      temporaries: [String]
    ) {
      self.destination = destination
      self.series = series
      self.table = table
      self.wasParquet = wasParquet
      self.parquet = parquet
      self.temporaries = temporaries
    }

    deinit { for path in temporaries { try? LocalFiles.remove(path) } }

    /// Stores the table in `store` (opened for writing) as one commit: a new version of the table at the
    /// destination, or one more version of the series there, which must extend its latest version
    /// (`TableSeries.checkAppend`, checked here under the writer lock).
    public func store(into store: PondStore, commandLine: String) throws -> Report {
      try store.change(commandLine: commandLine) { fileSystem in
        try stage(into: store, in: fileSystem)
      }
    }

    /// `store(into:commandLine:)` inside a transaction of `store.change`, whose file system is
    /// `fileSystem`: several tables (and other changes) then make one commit.
    public func stage(into store: PondStore, in fileSystem: FileSystem) throws -> Report {
      _ = try store.stageTable(
        parquetAt: parquet, describedBy: table, to: destination, series: series, in: fileSystem,
        check: series ? TableSeries.appendCheck(table, series: destination) : { _ in })
      return Report(path: destination, table: table, wasParquet: wasParquet)
    }
  }

  /// Reads `source` (a host path, or `-` for standard input) into a table for the pond path `destination`
  /// of `pond` (opened for reading: no writer lock is held while this runs, however large the source):
  /// a Parquet file (by its `PAR1` magic) is copied into `$POND/local/` and every page of the copy decoded
  /// (the copy is what is stored, so the description fits its bytes even if the source changes); anything
  /// else is read as CSV and converted there, with `schema` (the `--schema` text) or an inferred one.
  /// `timeColumn` names the time column (inferred when one column is a timestamp). With `series`, a CSV
  /// appended to an existing series is converted with the series' schema and time column unless others
  /// are given (a column of whole numbers in a file joins a series' double column); columns of the file
  /// that the series lacks widen it (`TableImport.convertCSV`'s `widening`).
  public static func prepare(
    _ source: String, to destination: String, series: Bool, schema: String?, timeColumn: String?,
    reading pond: PondStore
  ) throws -> Prepared {
    let local = pond.root + "/" + PondLayout.localDirectory
    var temporaries: [String] = []
    // On a failure, the temporaries go; on success, `Prepared` takes them over.
    var handedOver = false
    defer { if !handedOver { for path in temporaries { try? LocalFiles.remove(path) } } }
    var input = source
    if source == PondStore.standardInputSource {
      input = TemporaryName.make(in: local)
      temporaries.append(input)
      try spoolStandardInput(to: input)
    }
    var given = try schema.map { try TableSchema(parsing: $0) }
    var timeColumn = timeColumn
    if series, schema == nil, let latest = try seriesLatest(destination, in: pond) {
      given = try TableSchema(parsing: latest.schema)
      timeColumn = timeColumn ?? latest.timeColumn
    }
    let info: TableInfo
    var parquet: String
    let isParquet = try startsWithParquetMagic(input, name: source)
    if isParquet {
      parquet = input
      if source != PondStore.standardInputSource {
        parquet = TemporaryName.make(in: local)
        temporaries.append(parquet)
        try copyFile(input, to: parquet, name: source)
      }
      info = try TableImport.checkParquet(at: parquet, timeColumn: timeColumn)
      if let given, schema != nil,
        let difference = given.difference(fromSeries: try TableSchema(parsing: info.schema))
      {
        throw TableError(
          .schema, path: source,
          reason: "the Parquet file's schema is not the one given with --schema: \(difference)")
      }
    } else {
      parquet = TemporaryName.make(in: local)
      temporaries.append(parquet)
      info = try TableImport.convertCSV(
        at: input, to: parquet, schema: given, timeColumn: timeColumn,
        widening: schema == nil && given != nil)
    }
    handedOver = true
    return Prepared(
      destination: destination, series: series, table: info, wasParquet: isParquet,
      parquet: parquet, temporaries: temporaries)
  }

  /// Copies the host file `source` to the new file `path`; `name` names the source in errors.
  private static func copyFile(_ source: String, to path: String, name: String) throws {
    do {
      let pending = try PendingFile(publishingAs: path)
      _ = try OpenFile(readingAt: source).copy(to: pending.file)
      try pending.publishReplacing(durable: false, syncingDirectory: false)
    } catch {
      throw TableError(
        .io, path: name, reason: "cannot copy the file into the pond's local/: \(error)")
    }
  }

  /// The latest version's description of the series of tables at `path`, or nil when nothing is there yet
  /// (what is there is checked again under the writer lock).
  private static func seriesLatest(_ path: String, in store: PondStore) throws -> TableInfo? {
    let fileSystem = try store.fileSystem()
    guard try fileSystem.exists(path), try fileSystem.stat(path).entryType == .tableSeries else {
      return nil
    }
    return try store.tableVersions(path, in: fileSystem).last?.table
  }

  /// Reads standard input to its end into a new file at `path`.
  private static func spoolStandardInput(to path: String) throws {
    let input = try OpenFile.standardInput()
    let output = try PendingFile(publishingAs: path)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
      if count == 0 { break }
      try buffer.withUnsafeBytes {
        try output.write(UnsafeRawBufferPointer(rebasing: $0[..<count]))
      }
    }
    try output.publishReplacing(durable: false, syncingDirectory: false)
  }

  /// True when the file at `path` begins with Parquet's magic `PAR1`; `name` names it in errors.
  private static func startsWithParquetMagic(_ path: String, name: String) throws -> Bool {
    let file: OpenFile
    do {
      file = try OpenFile(readingAt: path)
    } catch {
      throw TableError(.io, path: name, reason: "cannot open the file: \(error)")
    }
    var magic = [UInt8](repeating: 0, count: 4)
    let count = try magic.withUnsafeMutableBytes { try file.read(into: $0) }
    return count == 4 && magic == Array("PAR1".utf8)
  }
}
