import Parquet
public import TLogFS
public import TinyFS

/// Pond tables and series of tables as query tables: what `pond query --table NAME=PATH_OR_GLOB` and
/// `pond cat --sql` read.
public enum PondQuery {
  /// The query table `name` over the table, series of tables, or glob of them at `pattern` in
  /// `fileSystem` (a version of `store`).
  ///
  /// A series is read with its latest version's schema: a column an older version lacks is null in its
  /// rows (`TableSeries`). A glob unions every table and series of tables it matches (other matches,
  /// directories say, are left out), all of one time column and of one schema, or of schemas the widest
  /// of them extends (`TableSchema.refusal(toExtend:)`), with a text column per wildcard (`capture1`,
  /// `capture2`, ...) holding what it matched. Each version becomes one source whose recorded time range
  /// lets a query skip it unopened.
  public static func table(
    named name: String, pattern: String, in store: PondStore, fileSystem: FileSystem
  ) throws -> QueryTable {
    var matches: [(path: String, captures: [String])] = []
    if FileSystem.isPattern(pattern) {
      matches = try fileSystem.glob(pattern).filter { $0.entryType.isTable }.map {
        ($0.path, $0.captures)
      }
      guard !matches.isEmpty else {
        throw PondError(
          .invalidArgument, path: pattern, "matches no table or series of tables",
          hint: "list what it matches with 'pond list -l \(pattern)'")
      }
    } else {
      matches = [(try fileSystem.stat(pattern).path, [])]
    }
    // Each match is read with its latest version's schema (`TableSeries.schema(of:path:)`); the glob's
    // with the widest of them, which every other must widen to, as a new version of a series could.
    var widest: (path: String, schema: TableSchema, timeColumn: String?)?
    var schemas: [(path: String, schema: TableSchema, timeColumn: String?)] = []
    var sources: [ParquetSource] = []
    let reading = StoreReference(store: store)
    for match in matches {
      let versions = try store.tableVersions(match.path, in: fileSystem)
      guard let schema = try TableSeries.schema(of: versions, path: match.path) else { continue }
      let found = (match.path, schema, versions.last!.table.timeColumn)
      schemas.append(found)
      if widest == nil || widest!.schema.refusal(toExtend: schema) != nil { widest = found }
      for version in versions {
        sources.append(
          ParquetSource(
            name: "\(match.path) (version \(version.version))", timeRange: version.table.timeRange,
            captures: match.captures
          ) { try reading.open(version) })
      }
    }
    guard let widest else {
      // Only a series whose every version appended nothing (moves) has none: its columns are unknown.
      throw PondError(
        .invalidArgument, path: pattern, "holds no table version yet",
        hint: "store one with 'pond copy --table'")
    }
    for other in schemas {
      if let refusal = widest.schema.refusal(toExtend: other.schema) {
        throw PondError(
          .invalidArgument, path: other.path,
          "has columns \(other.schema), which \(widest.path)'s (\(widest.schema)) do not extend "
            + "(\(refusal))",
          hint:
            "a table of a query holds tables of one schema, or of schemas that widen one another "
            + "with nullable columns: name them with separate --table")
      }
      guard other.timeColumn == widest.timeColumn else {
        throw PondError(
          .invalidArgument, path: other.path,
          "has the time column \(other.timeColumn ?? "none"); \(widest.path) has "
            + "\(widest.timeColumn ?? "none")",
          hint:
            "a table of a query holds tables of one time column: name them with separate --table")
      }
    }
    let schema = widest.schema
    let captureCount = matches.first?.captures.count ?? 0
    return QueryTable(
      name: name, schema: schema.parquetSchema, timeColumn: widest.timeColumn,
      captureColumns: (0..<captureCount).map { "capture\($0 + 1)" }, sources: sources)
  }
}

/// A pond store handed to the query engine's sources.
///
/// `@unchecked Sendable`: `ParquetSource.open` must be `@Sendable`, but the engine calls it on the thread
/// that runs the query, the one that owns the store; the store is never used from two threads at once.
private final class StoreReference: @unchecked Sendable {
  let store: PondStore
  init(store: PondStore) { self.store = store }

  func open(_ version: TableVersion) throws -> ParquetReader {
    try store.parquetReader(of: version)
  }
}
