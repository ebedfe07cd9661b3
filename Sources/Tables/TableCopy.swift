public import PondFiles
public import TLogFS

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

  /// Stores `source` (a host path, or `-` for standard input) at the pond path `destination`: a Parquet file
  /// (by its `PAR1` magic) as it is, once every page has been decoded; anything else as CSV, converted with
  /// `schema` (the `--schema` text) or an inferred one. `timeColumn` names the time column (inferred when
  /// one column is a timestamp). With `series`, the table is appended to the series of tables at
  /// `destination`, whose latest version's schema and time column it must match; a CSV appended to an
  /// existing series is converted with the series' schema and time column unless others are given (a
  /// column of whole numbers in a file joins a series' double column).
  ///
  /// The conversion is done before the writer lock is taken, into a temporary file in `$POND/local/`
  /// (standard input is first read into one too); only the store and the schema check hold it.
  public static func copy(
    _ source: String, to destination: String, series: Bool, schema: String?, timeColumn: String?,
    into store: PondStore, commandLine: String
  ) throws -> Report {
    let local = store.root + "/" + PondLayout.localDirectory
    var temporaries: [String] = []
    defer { for path in temporaries { try? LocalFiles.remove(path) } }
    var input = source
    if source == PondStore.standardInputSource {
      input = TemporaryName.make(in: local)
      temporaries.append(input)
      try spoolStandardInput(to: input)
    }
    var given = try schema.map { try TableSchema(parsing: $0) }
    var timeColumn = timeColumn
    if series, schema == nil, let latest = try seriesLatest(destination, in: store) {
      given = try TableSchema(parsing: latest.schema)
      timeColumn = timeColumn ?? latest.timeColumn
    }
    let info: TableInfo
    let parquet: String
    let isParquet = try startsWithParquetMagic(input, name: source)
    if isParquet {
      info = try TableImport.checkParquet(at: input, timeColumn: timeColumn)
      if let given, schema != nil,
        let difference = given.difference(fromSeries: try TableSchema(parsing: info.schema))
      {
        throw TableError(
          .schema, path: source,
          reason: "the Parquet file's schema is not the one given with --schema: \(difference)")
      }
      parquet = input
    } else {
      parquet = TemporaryName.make(in: local)
      temporaries.append(parquet)
      info = try TableImport.convertCSV(
        at: input, to: parquet, schema: given, timeColumn: timeColumn)
    }
    _ = try store.storeTable(
      parquetAt: parquet, describedBy: info, to: destination, series: series,
      commandLine: commandLine
    ) { previous in
      guard series, let previous else { return }
      try checkAppend(info, onto: previous, series: destination)
    }
    return Report(path: destination, table: info, wasParquet: isParquet)
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

  /// Refuses a version whose schema or time column differs from the series' latest version's.
  static func checkAppend(_ new: TableInfo, onto previous: TableInfo, series path: String) throws {
    let seriesSchema = try TableSchema(parsing: previous.schema)
    if let difference = try TableSchema(parsing: new.schema).difference(fromSeries: seriesSchema) {
      throw TableError(
        .schema, path: path,
        reason: "the table does not match the series' schema (\(seriesSchema)): \(difference); "
          + "nothing was appended")
    }
    guard new.timeColumn == previous.timeColumn else {
      throw TableError(
        .timeColumn, path: path,
        reason: "the table's time column is \(new.timeColumn ?? "none"), the series' is "
          + "\(previous.timeColumn ?? "none"); nothing was appended")
    }
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
