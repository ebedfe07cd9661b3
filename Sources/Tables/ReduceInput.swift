import Parquet
import TLogFS

/// Reads the rows of one input table version into the finest open buckets, a page at a time per column:
/// memory is one page per column plus the open buckets, whatever the version's size.
struct ReduceInput {
  /// Adds every row of `version` with a non-null time to `levels.finest`; returns the rows read and the
  /// largest time seen (µs). A row in a bucket before `closedBefore` is late data.
  static func read(
    _ version: TableVersion, path: String, store: PondStore, columns: [ReduceConfiguration.Column],
    closedBefore: Int64?, into levels: inout ReduceLevels
  ) throws -> (rows: Int64, maxTime: Int64?) {
    let reader: ParquetReader
    do {
      switch try store.tableContent(version) {
      case .bytes(let bytes): reader = try ParquetReader(bytes: bytes, name: path)
      case .file(let file): reader = try ParquetReader(path: file)
      }
    } catch let error as ParquetError {
      throw TableError(error)
    }
    let schema = try TableSchema(parquet: reader.schema)
    guard let timeName = version.table.timeColumn, let timeIndex = schema.index(of: timeName) else {
      throw TableError(
        .timeColumn, path: path,
        reason: "version \(version.version) has no time column: pond reduce buckets rows by time")
    }
    let timeType = schema.columns[timeIndex].type
    var time = ColumnCursor(pages: reader.pages(ofColumn: timeIndex), path: path)
    var values: [ColumnCursor] = []
    for column in columns {
      guard let index = schema.index(of: column.name) else {
        throw TableError(
          .configuration, path: path, column: column.name,
          reason:
            "version \(version.version) has no column \(column.name) (columns: \(schema.columns.map(\.name).joined(separator: ", ")))"
        )
      }
      let type = schema.columns[index].type
      guard [.double, .float, .int64, .int32].contains(type) else {
        throw TableError(
          .configuration, path: path, column: column.name,
          reason:
            "\(column.name) is \(type): only double, float, int64 and int32 columns are aggregated")
      }
      values.append(ColumnCursor(pages: reader.pages(ofColumn: index), path: path))
    }
    let finest = levels.resolutions[0]
    let perSecond = timeType.timeUnit!.perSecond
    var current: ReducePartial?
    var maxTime: Int64?
    var rows: Int64 = 0
    for _ in 0..<reader.numRows {
      guard let raw = try time.nextInteger() else {
        for index in values.indices { _ = try values[index].nextDouble() }
        continue
      }
      let micros = Self.microseconds(raw, perSecond: perSecond)
      let start = finest.bucketStart(of: micros)
      if current?.start != start {
        if let current { levels.finest[current.start] = current }
        if let closedBefore, start < closedBefore {
          throw TableError(
            .reduceState, path: path,
            reason:
              "version \(version.version) has a row at \(PondStore.formatTime(micros / 1000)), in a bucket already written; nothing was written (late data: run 'pond reduce --rebuild' to recompute)"
          )
        }
        current =
          levels.finest.removeValue(forKey: start)
          ?? ReducePartial(start: start, columns: columns.count)
      }
      current!.rows += 1
      for index in values.indices {
        if let value = try values[index].nextDouble() { current!.add(value, column: index) }
      }
      maxTime = Swift.max(maxTime ?? micros, micros)
      rows += 1
    }
    if let current { levels.finest[current.start] = current }
    return (rows, maxTime)
  }

  /// A time in `perSecond` units as µs, rounded towards the past (as DuckDB's `time_bucket` sees it).
  static func microseconds(_ value: Int64, perSecond: Int64) -> Int64 {
    switch perSecond {
    case 1_000_000: return value
    case 1000: return value * 1000
    default:
      let divisor = perSecond / 1_000_000
      let quotient = value / divisor
      return value % divisor < 0 ? quotient - 1 : quotient
    }
  }
}

/// One column's pages, read row by row: a page's values are held in stored form (`integers` for INT64
/// columns, times among them) or as doubles (the other numeric columns).
private struct ColumnCursor {
  var pages: ParquetColumnPages
  let path: String
  var doubles: [Double] = []
  var integers: [Int64] = []
  var holdsIntegers = false
  var presence: [Bool]?
  var row = 0
  var rowCount = 0
  var next = 0

  init(pages: ParquetColumnPages, path: String) {
    self.pages = pages
    self.path = path
  }

  /// Moves to the next row; false when it is null.
  private mutating func advance() throws(TableError) -> Bool {
    while row == rowCount {
      let page: ParquetColumnData?
      do {
        page = try pages.next()
      } catch {
        throw TableError(error)
      }
      guard let page else {
        throw TableError(
          .parquet, path: path, column: pages.column.name,
          reason: "the column ends before the file's last row")
      }
      holdsIntegers = false
      switch page.values {
      case .double(let values): doubles = values
      case .float(let values): doubles = values.map(Double.init)
      case .int32(let values): doubles = values.map(Double.init)
      case .int64(let values):
        integers = values
        holdsIntegers = true
      case .boolean, .byteArray:
        preconditionFailure("the column's type was checked")
      }
      presence = page.presence
      row = 0
      next = 0
      rowCount = page.rowCount
    }
    defer { row += 1 }
    if let presence, !presence[row] { return false }
    next += 1
    return true
  }

  /// The next row of an INT64 column.
  mutating func nextInteger() throws(TableError) -> Int64? {
    guard try advance() else { return nil }
    precondition(holdsIntegers, "the time column is INT64")
    return integers[next - 1]
  }

  mutating func nextDouble() throws(TableError) -> Double? {
    guard try advance() else { return nil }
    return holdsIntegers ? Double(integers[next - 1]) : doubles[next - 1]
  }
}
