import Parquet
import PondSQLite
import PondTime

/// A `QueryTable` as an SQLite virtual table: the schema's columns, then the capture columns (text).
///
/// Types: BOOLEAN, INT32 and INT64 are INTEGER (booleans 0 and 1), FLOAT and DOUBLE are REAL, strings TEXT,
/// other byte arrays BLOB, dates and timestamps TEXT (`TimestampText`). Constraints `=`, `<`, `<=`, `>`,
/// `>=` on the time column with an instant are used to skip files (by `ParquetSource.timeRange`, unopened),
/// pages whose time values all fall outside, and rows; SQLite still checks every constraint itself. Columns
/// are found in each file by name: one a file lacks (an older version of a widened series) is null in its
/// rows.
final class ParquetVirtualTable: SQLiteVirtualTable {
  let table: QueryTable
  let columns: [SQLiteVirtualColumn]
  /// The index of the time column, when its type allows skipping.
  let timeColumn: Int?

  init(_ table: QueryTable) throws {
    self.table = table
    var columns: [SQLiteVirtualColumn] = []
    var names = Set<String>()
    for column in table.schema.columns {
      columns.append(Self.column(for: column))
      names.insert(column.name.lowercased())
    }
    for capture in table.captureColumns {
      guard names.insert(capture.lowercased()).inserted else {
        throw QueryError.invalidTable(table.name, "two columns are named \"\(capture)\"")
      }
      columns.append(SQLiteVirtualColumn(name: capture, type: .text))
    }
    for source in table.sources where source.captures.count != table.captureColumns.count {
      throw QueryError.invalidTable(
        table.name,
        "\(source.name) has \(source.captures.count) capture values for \(table.captureColumns.count) capture columns"
      )
    }
    self.columns = columns
    if let name = table.timeColumn {
      guard let index = table.schema.index(of: name) else {
        throw QueryError.invalidTable(table.name, "no time column \"\(name)\"")
      }
      guard TimeScale(table.schema.columns[index]) != nil else {
        throw QueryError.invalidTable(
          table.name, "time column \"\(name)\" is \(table.schema.columns[index]), not a timestamp")
      }
      timeColumn = index
    } else {
      timeColumn = nil
    }
  }

  private static func column(for column: ParquetColumn) -> SQLiteVirtualColumn {
    switch (column.physicalType, column.logicalType) {
    case (_, .timestamp?):
      SQLiteVirtualColumn(name: column.name, type: .text, collation: TimestampText.collation)
    case (_, .date?), (_, .string?): SQLiteVirtualColumn(name: column.name, type: .text)
    case (.boolean, _), (.int32, _), (.int64, _):
      SQLiteVirtualColumn(name: column.name, type: .integer)
    case (.float, _), (.double, _): SQLiteVirtualColumn(name: column.name, type: .real)
    case (.byteArray, _): SQLiteVirtualColumn(name: column.name, type: .blob)
    }
  }

  func plan(_ request: SQLiteIndexRequest) -> SQLiteIndexPlan {
    var chosen: [Int] = []
    var bounded = false
    var equal = false
    if let timeColumn {
      for (index, constraint) in request.constraints.enumerated()
      where constraint.column == timeColumn {
        // A value known now is of use when it is a text (one that names no instant is refused by the
        // cursor's filter) or NULL; one known only later is checked then.
        if let value = request.values[index] {
          switch value {
          case .text, .null: break
          default: continue
          }
        }
        chosen.append(index)
        if constraint.operator == .equal { equal = true } else { bounded = true }
      }
    }
    let rows: Int64 = equal ? 10 : bounded ? 100_000 : 1_000_000
    return SQLiteIndexPlan(
      constraints: chosen, estimatedCost: Double(rows), estimatedRows: rows)
  }

  func makeCursor() throws -> any SQLiteVirtualTableCursor { ParquetTableCursor(self) }
}

/// The unit of a time column's values, with what one is in microseconds.
struct TimeScale {
  /// Units per second; days for a DATE column are 86,400 seconds.
  let microsecondsOf: (Int64) -> Int64

  init?(_ column: ParquetColumn) {
    switch column.logicalType {
    case .timestamp(let unit, _)?:
      let scale = ParquetTimeUnitScale(perSecond: unit.perSecond)
      microsecondsOf = { scale.microseconds($0) }
    case .date?: microsecondsOf = { ParquetTimeUnitScale.clampedProduct($0, 86_400_000_000) }
    default: return nil
    }
  }
}

/// One scan of a `ParquetVirtualTable`: its sources one after the other, each row group, and in it one page
/// cursor per column the statement reads, so that memory stays at about a page per column.
final class ParquetTableCursor: SQLiteVirtualTableCursor {
  private let table: ParquetVirtualTable
  private let schema: ParquetSchema
  /// The schema's columns, held apart so that a row's cells do not copy the schema.
  private let columns: [ParquetColumn]
  private var formatter = TimestampFormatter()
  private let timeScale: TimeScale?
  /// The instants (µs, inclusive) rows must lie in to be yielded, from the time constraints.
  private var range: ClosedRange<Int64>?
  /// Parquet columns the statement reads.
  private var needed: [Int] = []
  private var sourceIndex = -1
  private var reader: ParquetReader?
  /// For each schema column, its index in `reader`'s file; nil when the file lacks it (read as null).
  private var positions: [Int?] = []
  private var rowGroup = -1
  private var rowGroupRows = 0
  /// The current row in the row group.
  private var row = 0
  private var columnStates: [ColumnState?] = []
  private(set) var rowID: Int64 = 0
  private(set) var isAtEnd = true
  /// Reused for each timestamp's text.
  private var text: [UInt8] = []
  /// The time bounds of the pages this cursor has decoded, kept across scans (a few bytes a page).
  private var pageTimes: [PageKey: PageTimes] = [:]
  /// The page whose bounds were recorded last: recorded once per page, not once per row.
  private var recordedPage: PageKey?
  /// Readers this cursor opened, kept across scans: the inner side of a join is scanned once per outer row.
  private var openReaders: [Int: (reader: ParquetReader, positions: [Int?])] = [:]
  private var readerOrder: [Int] = []
  private static let keptReaders = 8

  private struct PageKey: Hashable {
    let source: Int
    let rowGroup: Int
    let page: Int
  }

  private struct PageTimes {
    /// Nil when every time of the page is null.
    let bounds: ClosedRange<Int64>?
  }

  init(_ table: ParquetVirtualTable) {
    self.table = table
    schema = table.table.schema
    columns = table.table.schema.columns
    timeScale = table.timeColumn.flatMap { TimeScale(table.table.schema.columns[$0]) }
  }

  func filter(_ constraints: [SQLiteBoundConstraint], columnsUsed: SQLiteColumnSet) throws {
    var lower = Int64.min
    var upper = Int64.max
    var constrained = false
    for bound in constraints {
      guard case .text(let value) = bound.value,
        let instant = UTCMicroseconds(iso8601: value, options: .lenient)?.rawValue
      else {
        // NULL compares false with everything; a text that names no instant is a mistake (it would sort
        // after every time: all rows or none, silently); numbers and blobs are left to SQLite.
        if bound.value == .null {
          lower = Int64.max
          upper = Int64.min
          constrained = true
        } else if case .text(let value) = bound.value {
          throw QueryError.notAnInstant(
            table.table.name, column: table.table.timeColumn ?? "time", value)
        }
        continue
      }
      constrained = true
      // Inclusive bounds at microsecond precision: wider than `<` and `>` and than finer units need,
      // which is safe because SQLite checks each row again.
      switch bound.constraint.operator {
      case .equal:
        lower = max(lower, instant)
        upper = min(upper, instant)
      case .greaterThan, .greaterThanOrEqual: lower = max(lower, instant)
      case .lessThan, .lessThanOrEqual: upper = min(upper, instant)
      }
    }
    range = constrained ? (lower <= upper ? lower...upper : nil) : nil
    let impossible = constrained && range == nil
    needed = schema.columns.indices.filter { columnsUsed.contains($0) }
    if let time = table.timeColumn, range != nil, !needed.contains(time) {
      needed.append(time)
    }
    sourceIndex = -1
    reader = nil
    rowGroup = -1
    rowGroupRows = 0
    row = 0
    rowID = 0
    columnStates = Array(repeating: nil, count: schema.columns.count)
    isAtEnd = false
    if impossible {
      isAtEnd = true
      return
    }
    try advance()
  }

  func next() throws {
    row += 1
    rowID += 1
    try advance()
  }

  /// Moves from `row` to the first row at or after it that is in range, or to the end.
  private func advance() throws {
    while true {
      if reader == nil || row >= rowGroupRows {
        guard try nextRowGroup() else {
          isAtEnd = true
          return
        }
        continue
      }
      if let range, let time = table.timeColumn, let timeScale {
        // A page none of whose times is in range is passed over whole (nulls are never in range); one
        // seen by an earlier scan of this cursor (the inner side of a join) is not even decoded.
        let source = sourceIndex
        let group = rowGroup
        let decoded = try columnStates[time]!.seek(to: row) { page in
          guard let known = pageTimes[PageKey(source: source, rowGroup: group, page: page)] else {
            return false
          }
          return !(known.bounds?.overlaps(range) ?? false)
        }
        guard decoded else {
          row = columnStates[time]!.pageEnd
          continue
        }
        let bounds = columnStates[time]!.bounds(timeScale)
        let key = PageKey(source: source, rowGroup: group, page: columnStates[time]!.pageOrdinal)
        if key != recordedPage {
          pageTimes[key] = PageTimes(bounds: bounds)
          recordedPage = key
        }
        guard let bounds, bounds.overlaps(range) else {
          row = columnStates[time]!.pageEnd
          continue
        }
        guard let instant = columnStates[time]!.instant(at: row, timeScale),
          range.contains(instant)
        else {
          row += 1
          continue
        }
      }
      return
    }
  }

  /// Opens the next row group (of this source or the next one in range); false after the last.
  private func nextRowGroup() throws -> Bool {
    while true {
      if let reader, rowGroup + 1 < reader.rowGroupRowCounts.count {
        rowGroup += 1
        rowGroupRows = Int(reader.rowGroupRowCounts[rowGroup])
        row = 0
        for column in needed {
          columnStates[column] = positions[column].map {
            ColumnState(pages: reader.pages(ofColumn: $0, rowGroup: rowGroup), path: reader.path)
          }
        }
        if rowGroupRows > 0 { return true }
        continue
      }
      reader = nil
      for column in needed { columnStates[column] = nil }
      sourceIndex += 1
      let sources = table.table.sources
      guard sourceIndex < sources.count else { return false }
      let source = sources[sourceIndex]
      if let range, let known = source.timeRange, !known.overlaps(range) { continue }
      (reader, positions) = try open(sourceIndex)
      rowGroup = -1
      // A file without the time column has only null times, none in range.
      if range != nil, let time = table.timeColumn, positions[time] == nil { reader = nil }
    }
  }

  /// The reader of source `index`, and where the table's columns are in it (`TableSeries.positions`).
  private func open(_ index: Int) throws -> (reader: ParquetReader, positions: [Int?]) {
    if let kept = openReaders[index] { return kept }
    let source = table.table.sources[index]
    let opened = try source.open()
    guard let positions = TableSeries.positions(of: schema, in: opened.schema) else {
      throw QueryError.schemaMismatch(
        table.table.name, source: source.name, found: opened.schema, expected: schema)
    }
    if readerOrder.count == Self.keptReaders { openReaders[readerOrder.removeFirst()] = nil }
    readerOrder.append(index)
    openReaders[index] = (opened, positions)
    return (opened, positions)
  }

  func column(_ index: Int, into cell: SQLiteResultCell) throws {
    let schemaColumns = schema.columns.count
    guard index < schemaColumns else {
      var capture = table.table.sources[sourceIndex].captures[index - schemaColumns]
      capture.withUTF8 { cell.setText(UnsafeRawBufferPointer($0)) }
      return
    }
    guard let state = columnStates[index] else {
      precondition(
        needed.contains(index), "SQLite read column \(index), which colUsed left out")
      cell.setNull()
      return
    }
    try state.seek(to: row)
    guard let valueIndex = state.valueIndex(at: row) else {
      cell.setNull()
      return
    }
    let column = columns[index]
    switch state.view! {
    case .booleans(let values): cell.set(values[valueIndex] ? Int64(1) : 0)
    case .int32s(let values):
      if column.logicalType == .date {
        guard TimestampText.formatDate(days: Int64(values[valueIndex]), into: &text) else {
          throw outOfRange(column, "date \(values[valueIndex]) days")
        }
        text.withUnsafeBytes { cell.setText($0) }
      } else {
        cell.set(Int64(values[valueIndex]))
      }
    case .int64s(let values):
      if case .timestamp(let unit, let utc)? = column.logicalType {
        let scale = ParquetTimeUnitScale(perSecond: unit.perSecond)
        guard formatter.format(values[valueIndex], unit: scale, utc: utc, into: &text) else {
          throw outOfRange(column, "timestamp \(values[valueIndex]) (\(unit))")
        }
        text.withUnsafeBytes { cell.setText($0) }
      } else {
        cell.set(values[valueIndex])
      }
    case .floats(let values): cell.set(Double(values[valueIndex]))
    case .doubles(let values): cell.set(values[valueIndex])
    case .bytes(let values):
      let offsets = values.offsets
      values.bytes.withUnsafeBytes { all in
        let value = UnsafeRawBufferPointer(
          rebasing: all[offsets[valueIndex]..<offsets[valueIndex + 1]])
        if column.logicalType == .string { cell.setText(value) } else { cell.setBlob(value) }
      }
    }
  }

  private func outOfRange(_ column: ParquetColumn, _ what: String) -> QueryError {
    QueryError.unrepresentable(
      table.table.sources[sourceIndex].name, column.name,
      "\(what) lies outside the years 0001-9999 that ISO 8601 text can write")
  }
}

/// Where one column's page cursor is: the page holding the current row, and how far its nulls are counted.
/// A class, so that the cursor's per-row calls work on it in place rather than on a copy.
final class ColumnState {
  /// A page's values, unwrapped once from `ParquetValues`.
  enum View {
    case booleans([Bool])
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    case doubles([Double])
    case bytes(ParquetByteArrays)
  }

  private var pages: ParquetColumnPages
  private(set) var view: View?
  private var presence: [Bool]?
  /// The row-group row of the page's first row, and one past its last.
  private var pageStart = 0
  private(set) var pageEnd = 0
  /// The current page's ordinal in the row group, from 0.
  private(set) var pageOrdinal = -1
  /// Nulls are counted up to this page row: `valueCount` values lie before it.
  private var countedRows = 0
  private var valueCount = 0
  private var cachedBounds: ClosedRange<Int64>??

  /// The file, for errors.
  private let path: String

  init(pages: ParquetColumnPages, path: String) {
    self.pages = pages
    self.path = path
  }

  /// Moves to the page holding `row` (rows are asked in order), passing over the pages before it without
  /// decoding them, and the page holding it too when `passOver` says so for its ordinal in the row group.
  /// Returns whether that page is decoded.
  @discardableResult
  func seek(to row: Int, passOver: (Int) -> Bool = { _ in false }) throws -> Bool {
    if row < pageEnd { return view != nil }
    while true {
      guard let count = try pages.rowCountOfNextPage() else {
        throw ParquetError(
          path: path, kind: .corrupt,
          reason: "column \"\(pages.column.name)\" ends before row \(row) of its row group")
      }
      pageOrdinal += 1
      pageStart = pageEnd
      pageEnd += count
      presence = nil
      countedRows = 0
      valueCount = 0
      cachedBounds = nil
      if row >= pageEnd || passOver(pageOrdinal) {
        try pages.skip()
        view = nil
        if row < pageEnd { return false }
        continue
      }
      guard let page = try pages.next(), page.rowCount == count else {
        throw ParquetError(
          path: path, kind: .corrupt,
          reason: "column \"\(pages.column.name)\": a page's rows differ from its header's")
      }
      presence = page.presence
      switch page.values {
      case .boolean(let values): view = .booleans(values)
      case .int32(let values): view = .int32s(values)
      case .int64(let values): view = .int64s(values)
      case .float(let values): view = .floats(values)
      case .double(let values): view = .doubles(values)
      case .byteArray(let values): view = .bytes(values)
      }
      return true
    }
  }

  /// The index in the page's values of `row`'s value, or nil when it is null. Rows are asked in order.
  func valueIndex(at row: Int) -> Int? {
    let offset = row - pageStart
    guard let presence else { return offset }
    if offset < countedRows {
      countedRows = 0
      valueCount = 0
    }
    while countedRows < offset {
      if presence[countedRows] { valueCount += 1 }
      countedRows += 1
    }
    return presence[offset] ? valueCount : nil
  }

  /// The instant (µs) of a time column's `row`, nil when it is null.
  func instant(at row: Int, _ scale: TimeScale) -> Int64? {
    guard let index = valueIndex(at: row) else { return nil }
    switch view {
    case .int64s(let values)?: return scale.microsecondsOf(values[index])
    case .int32s(let values)?: return scale.microsecondsOf(Int64(values[index]))
    default: preconditionFailure("a time column holds integers")
    }
  }

  /// The smallest and largest instant of the page's time values (µs), nil when all are null.
  func bounds(_ scale: TimeScale) -> ClosedRange<Int64>? {
    if let cachedBounds { return cachedBounds }
    var low = Int64.max
    var high = Int64.min
    switch view {
    case .int64s(let values)?:
      for value in values {
        low = min(low, value)
        high = max(high, value)
      }
    case .int32s(let values)?:
      for value in values {
        low = min(low, Int64(value))
        high = max(high, Int64(value))
      }
    default: preconditionFailure("a time column holds integers")
    }
    let result = low <= high ? scale.microsecondsOf(low)...scale.microsecondsOf(high) : nil
    cachedBounds = .some(result)
    return result
  }
}
