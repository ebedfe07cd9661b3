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
    var plan: [(path: String, versions: [TableVersion])] = []
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
        plan.append((path, versions))
      }
    }
    try prepare(directory)
    var reports: [MatchReport] = []
    for (path, versions) in plan {
      let relative = path.drop(while: { $0 == "/" })
      let target = relative.isEmpty ? directory : directory + "/" + relative
      var report = MatchReport(
        path: path, directory: target, versions: versions.count, files: 0, rows: 0, bytes: 0,
        splitVersions: 0)
      try LocalFiles.makeDirectories(target)
      for version in versions {
        if let partitioning {
          try exportPartitioned(
            version, store: store, partitioning: partitioning, to: target, batchRows: batchRows,
            &report)
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

  private static func exportPartitioned(
    _ version: TableVersion, store: PondStore, partitioning: ExportPartitioning, to target: String,
    batchRows: Int, _ report: inout MatchReport
  ) throws {
    guard version.table.rows > 0 else { return }
    let reader = try store.parquetReader(of: version)
    guard let timeName = version.table.timeColumn,
      let timeIndex = reader.schema.index(of: timeName),
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
    if let range = version.table.timeRange {
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
    var batches = ParquetRowBatches(
      reader: reader, columns: Array(reader.schema.columns.indices), batchRows: batchRows)
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
      let time = batch[timeIndex]
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
            path: directory + "/\(prefix)\(fileNumber).parquet", schema: reader.schema)
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
