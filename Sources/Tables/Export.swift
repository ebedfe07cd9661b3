public import Parquet
public import PondFiles
public import TLogFS
public import TinyFS

/// `pond export`: tables and series of tables written out as plain Parquet files in a host directory, for
/// DuckDB, pandas or a web page (docs/tables.md, "Export").
///
/// Each match goes under `DIR/<its pond path without the leading />/`. Without partitioning, every version
/// the pond reads is one file `part-<pond version>.parquet`, its stored bytes copied as they are. With an
/// `ExportPartitioning`, rows go into hive directories by their time (UTC): `year=2024/month=06/day=01/
/// part-<pond version>-<n>.parquet`. A version whose recorded time range lies in one period and whose time
/// column holds no null is copied as it is; any other is split, row batch by row batch
/// (`ParquetRowBatches`), into new files of the same schema, one per run of rows in one period. Rows whose
/// time is null go into the null partition (`year=__HIVE_DEFAULT_PARTITION__/...`). Files are never merged
/// across versions, and a version of no rows writes no file under partitioning.
///
/// Every file of a match has the schema it is read with (`TableSeries.schema(of:path:)`, its latest
/// version's): an older version of a widened series, which lacks columns, is written anew with them, null
/// (so DuckDB and pyarrow, which take the first file's schema, read every column without union_by_name).
public enum Export {
  /// What was written for one match.
  public struct MatchReport: Sendable, Codable, Equatable {
    /// The pond path of the table or series.
    public var path: String
    /// Where its files are, on the host.
    public var directory: String
    /// The versions exported.
    public var versions: Int
    /// The files written.
    public var files: Int
    /// The rows in them.
    public var rows: Int64
    /// The bytes of the files written.
    public var bytes: Int64
    /// How many versions were split into periods (the others were copied as they are).
    public var splitVersions: Int
    /// How many versions lacked columns of the latest version's schema and were written with it, nulls
    /// in those columns (older versions of a widened series).
    public var widenedVersions: Int
  }

  /// Exports the tables and series of tables that `patterns` match in `fileSystem` (a pond's, at some
  /// version) into the host directory `directory`, which must be missing or empty (it is created).
  ///
  /// Everything is checked before anything is written: a pattern that matches nothing, a match that is not
  /// a table or series of tables, and, with `partitioning`, a version without a time column are refused.
  public static func run(
    _ patterns: [String], from store: PondStore, in fileSystem: FileSystem, to directory: String,
    partitioning: ExportPartitioning?, batchRows: Int = 8192
  ) throws -> [MatchReport] {
    var plan: [(path: String, versions: [TableVersion], schema: TableSchema)] = []
    var seen = Set<[UInt8]>()
    for pattern in patterns {
      let matches: [String]
      if FileSystem.isPattern(pattern) {
        matches = try fileSystem.glob(pattern).map(\.path)
        guard !matches.isEmpty else {
          throw TableError(
            .export, path: pattern, reason: "no pond path matches the pattern; nothing was written")
        }
      } else {
        matches = [try fileSystem.stat(pattern).path]
      }
      for path in matches where seen.insert(Array(path.utf8)).inserted {
        let info = try fileSystem.stat(path)
        guard info.entryType.isTable else {
          throw TableError(
            .export, path: path,
            reason:
              "is a \(info.entryType), not a table or a series of tables; nothing was written "
              + "(narrow the pattern to tables)")
        }
        let versions = try store.tableVersions(path, in: fileSystem)
        if partitioning != nil,
          let missing = versions.first(where: { $0.table.timeColumn == nil })
        {
          throw TableError(
            .export, path: path,
            reason:
              "has no time column (pond version \(missing.transaction)) to partition by; nothing was "
              + "written (export it without --temporal)")
        }
        guard let schema = try TableSeries.schema(of: versions, path: path) else { continue }
        plan.append((path, versions, schema))
      }
    }
    try prepare(directory)
    var reports: [MatchReport] = []
    for (path, versions, schema) in plan {
      let relative = path.drop(while: { $0 == "/" })
      let target = relative.isEmpty ? directory : directory + "/" + relative
      var report = MatchReport(
        path: path, directory: target, versions: versions.count, files: 0, rows: 0, bytes: 0,
        splitVersions: 0, widenedVersions: 0)
      try LocalFiles.makeDirectories(target)
      for version in versions {
        let widened = version.table.schema != schema.description
        if widened { report.widenedVersions += 1 }
        if let partitioning {
          try exportPartitioned(
            version, schema: schema, widened: widened, store: store, partitioning: partitioning,
            to: target, batchRows: batchRows, &report)
        } else if widened {
          try exportWidened(
            version, schema: schema, store: store,
            to: target + "/part-\(version.transaction).parquet", batchRows: batchRows, &report)
        } else {
          report.bytes += try copy(
            version, store: store, to: target + "/part-\(version.transaction).parquet")
          report.files += 1
          report.rows += version.table.rows
        }
      }
      reports.append(report)
    }
    return reports
  }

  /// Creates `directory`, or checks that it is an empty directory.
  private static func prepare(_ directory: String) throws {
    guard let status = try LocalFiles.status(directory) else {
      try LocalFiles.makeDirectories(directory)
      return
    }
    guard status.isDirectory else {
      throw TableError(
        .export, path: directory,
        reason: "is not a directory; export into a new or empty directory")
    }
    guard try LocalFiles.names(inDirectory: directory)?.isEmpty ?? true else {
      throw TableError(
        .export, path: directory,
        reason:
          "is not empty; export into a new or empty directory (an export never replaces files)")
    }
  }

  /// Copies the stored Parquet bytes of `version` to the new host file `path`; returns its size.
  private static func copy(_ version: TableVersion, store: PondStore, to path: String) throws
    -> Int64
  {
    let pending = try PendingFile(publishingAs: path)
    var size: Int64 = 0
    try store.streamTableContent(version) { chunk in
      try pending.write(chunk)
      size += Int64(chunk.count)
    }
    guard try pending.publishIfAbsent() == .created else {
      throw TableError(
        .export, path: path,
        reason: "appeared while the export was writing it; it was left as it is")
    }
    return size
  }

  /// Writes `version`, which lacks columns of `schema` (the series'), as one new file `path` of `schema`:
  /// the columns it lacks are null.
  private static func exportWidened(
    _ version: TableVersion, schema: TableSchema, store: PondStore, to path: String, batchRows: Int,
    _ report: inout MatchReport
  ) throws {
    let (reader, positions) = try open(version, schema: schema, store: store)
    let parquetSchema = schema.parquetSchema
    var batches = TableSeries.RowBatches(
      reader: reader, schema: parquetSchema, positions: positions,
      columns: Array(parquetSchema.columns.indices), batchRows: batchRows)
    let writer = try ParquetWriter(path: path, schema: parquetSchema)
    while let batch = try batches.next() {
      try writer.write(batch)
      report.rows += Int64(batch[0].rowCount)
    }
    report.bytes += try writer.finish().size
    report.files += 1
  }

  /// A reader of `version`'s file, and where `schema`'s columns are in it.
  private static func open(_ version: TableVersion, schema: TableSchema, store: PondStore) throws
    -> (ParquetReader, [Int?])
  {
    let reader = try store.parquetReader(of: version)
    guard let positions = TableSeries.positions(of: schema.parquetSchema, in: reader.schema) else {
      throw TableError(
        .export, path: reader.path,
        reason:
          "has columns (\(reader.schema.columns.map(\.description).joined(separator: ", "))) that do "
          + "not fit the series' (\(schema)), as its pond version \(version.transaction) records")
    }
    return (reader, positions)
  }

  /// Writes `version` into the periods of `partitioning` under `target`: copied as it is when it lies in
  /// one period, is not `widened` (it has every column of `schema`, the series') and has no null time;
  /// otherwise split into new files of `schema`.
  private static func exportPartitioned(
    _ version: TableVersion, schema: TableSchema, widened: Bool, store: PondStore,
    partitioning: ExportPartitioning, to target: String, batchRows: Int,
    _ report: inout MatchReport
  ) throws {
    guard version.table.rows > 0 else { return }
    let (reader, positions) = try open(version, schema: schema, store: store)
    let parquetSchema = schema.parquetSchema
    guard let timeName = version.table.timeColumn,
      let timeColumn = parquetSchema.index(of: timeName), let timeIndex = positions[timeColumn],
      case .timestamp(let unit, _) = reader.schema.columns[timeIndex].logicalType
    else {
      throw TableError(
        .export, path: reader.path,
        reason:
          "has no timestamp column \"\(version.table.timeColumn ?? "")\" as its pond version "
          + "\(version.transaction) records")
    }
    let prefix = "part-\(version.transaction)-"
    // Fast path: one period, no null time. The recorded range is in µs, rounded outwards.
    if !widened, let range = version.table.timeRange {
      let period = partitioning.period(of: range.lowerBound, unit: .microseconds)
      if period.contains(range.upperBound),
        try !hasNull(reader: reader, column: timeIndex)
      {
        let directory = target + "/" + period.directory
        try LocalFiles.makeDirectories(directory)
        report.bytes += try copy(version, store: store, to: directory + "/\(prefix)0.parquet")
        report.files += 1
        report.rows += version.table.rows
        return
      }
    }
    report.splitVersions += 1
    var batches = TableSeries.RowBatches(
      reader: reader, schema: parquetSchema, positions: positions,
      columns: Array(parquetSchema.columns.indices), batchRows: batchRows)
    var writer: ParquetWriter?
    var current: ExportPartitioning.Period?
    var fileNumber = 0
    func finishFile() throws {
      guard let finishing = writer else { return }
      writer = nil
      let summary = try finishing.finish()
      report.files += 1
      report.bytes += summary.size
    }
    while let batch = try batches.next() {
      let time = batch[timeColumn]
      guard case .int64(let instants) = time.values else {
        preconditionFailure("a timestamp column holds INT64 values")
      }
      let rowCount = time.rowCount
      var runStart = 0
      var value = 0
      while runStart < rowCount {
        // The run of rows from runStart in one period.
        var row = runStart
        let period: ExportPartitioning.Period
        if let presence = time.presence, !presence[row] {
          period = partitioning.nullPeriod
          while row < rowCount && !presence[row] { row += 1 }
        } else {
          let first = instants[value]
          if let current, current.contains(first) {
            period = current
          } else {
            period = partitioning.period(of: first, unit: unit)
          }
          // The first row always joins: a period clamped at Int64's end does not contain Int64.max.
          row += 1
          value += 1
          while row < rowCount && (time.presence?[row] ?? true) && period.contains(instants[value])
          {
            row += 1
            value += 1
          }
        }
        if period.directory != current?.directory || writer == nil {
          try finishFile()
          let directory = target + "/" + period.directory
          try LocalFiles.makeDirectories(directory)
          writer = try ParquetWriter(
            path: directory + "/\(prefix)\(fileNumber).parquet", schema: parquetSchema)
          fileNumber += 1
          current = period
        }
        let rows = runStart..<row
        try writer!.write(batch.map { $0.slice(rows: rows) })
        report.rows += Int64(rows.count)
        runStart = row
      }
    }
    try finishFile()
  }

  /// True when column `column` of `reader` holds a null (read page by page; false at once when the column
  /// is not nullable).
  private static func hasNull(reader: ParquetReader, column: Int) throws -> Bool {
    guard reader.schema.columns[column].nullable else { return false }
    var pages = reader.pages(ofColumn: column)
    while let page = try pages.next() {
      if page.presence != nil { return true }
    }
    return false
  }
}
