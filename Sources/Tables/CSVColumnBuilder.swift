import Parquet

/// Collects one column's cells of a batch of CSV records as Parquet values, and the column's time range.
struct CSVColumnBuilder {
  let column: TableColumn
  private var booleans: [Bool] = []
  private var int32s: [Int32] = []
  private var int64s: [Int64] = []
  private var floats: [Float] = []
  private var doubles: [Double] = []
  private var bytes = ParquetByteArrays()
  private var presence: [Bool] = []
  private var nullCount = 0
  /// The smallest and largest timestamp written, UTC microseconds (local times read as UTC).
  private(set) var timeRange: ClosedRange<Int64>?

  init(column: TableColumn) { self.column = column }

  /// Why a cell was refused (the caller adds the path, line and column).
  struct Refusal: Error {
    let reason: String
  }

  /// Appends one cell; `quoted` tells `""` (an empty string) from an empty cell (null) in a string column.
  mutating func append(_ cell: CSVValues.Cell, quoted: Bool) throws(Refusal) {
    let type = column.type
    let value = type == .string || type == .binary ? cell : CSVValues.trimmed(cell)
    let isNull = type == .string || type == .binary ? value.isEmpty && !quoted : value.isEmpty
    if isNull {
      guard column.nullable else {
        throw Refusal(
          reason:
            "the cell is empty but the column is not nullable (write \(column.name):\(type)? in the schema)"
        )
      }
      presence.append(false)
      nullCount += 1
      return
    }
    func refuse() -> Refusal {
      let text = String(decoding: value, as: UTF8.self)
      return Refusal(reason: "\(text.debugDescription) is not \(Self.article(type)) \(type)")
    }
    switch type {
    case .bool:
      guard let parsed = CSVValues.bool(value) else { throw refuse() }
      booleans.append(parsed)
    case .int32:
      guard let parsed = CSVValues.int32(value) else { throw refuse() }
      int32s.append(parsed)
    case .date:
      guard let parsed = CSVValues.date(value) else { throw refuse() }
      int32s.append(parsed)
    case .int64:
      guard let parsed = CSVValues.int64(value) else { throw refuse() }
      int64s.append(parsed)
    case .float:
      guard let parsed = CSVValues.float(value) else { throw refuse() }
      floats.append(parsed)
    case .double:
      guard let parsed = CSVValues.double(value) else { throw refuse() }
      doubles.append(parsed)
    case .string:
      guard String(validating: value, as: UTF8.self) != nil else {
        throw Refusal(reason: "the cell is not valid UTF-8")
      }
      bytes.append(value)
    case .binary:
      bytes.append(value)
    case .timestamp, .timestampMilliseconds, .timestampNanoseconds, .localTimestamp,
      .localTimestampMilliseconds, .localTimestampNanoseconds:
      let perSecond = type.timeUnit!.perSecond
      guard let parsed = CSVValues.timestamp(value, perSecond: perSecond) else {
        throw refuse()
      }
      int64s.append(parsed)
      let micros = TimeRange.microseconds(parsed, perSecond: perSecond)
      timeRange = TimeRange.widen(timeRange, micros.lowerBound...micros.upperBound)
    }
    presence.append(true)
  }

  /// The rows appended since the last call, as one batch for `ParquetWriter.write(_:)`.
  mutating func takeBatch() -> ParquetColumnData {
    let values: ParquetValues
    switch column.type.physicalType {
    case .boolean: values = .boolean(booleans)
    case .int32: values = .int32(int32s)
    case .int64: values = .int64(int64s)
    case .float: values = .float(floats)
    case .double: values = .double(doubles)
    case .byteArray: values = .byteArray(bytes)
    }
    let data = ParquetColumnData(values: values, presence: nullCount > 0 ? presence : nil)
    let rows = presence.count
    booleans = []
    int32s = []
    int64s = []
    floats = []
    doubles = []
    bytes = ParquetByteArrays()
    presence = []
    presence.reserveCapacity(rows)
    nullCount = 0
    return data
  }

  private static func article(_ type: TableColumnType) -> String {
    switch type {
    case .int64, .int32: "an"
    default: "a"
    }
  }
}

/// Time ranges in UTC microseconds, from timestamps of any unit.
enum TimeRange {
  /// The microseconds holding `value` (a count of `perSecond` units): one for ms and µs, the microseconds
  /// below and above a nanosecond value that falls between two.
  static func microseconds(_ value: Int64, perSecond: Int64) -> ClosedRange<Int64> {
    let down = ParquetTimeUnitScale(perSecond: perSecond).microseconds(value)
    guard perSecond > 1_000_000, value % (perSecond / 1_000_000) != 0, down < Int64.max else {
      return down...down
    }
    return down...(down + 1)
  }

  static func widen(_ range: ClosedRange<Int64>?, _ more: ClosedRange<Int64>) -> ClosedRange<Int64>
  {
    guard let range else { return more }
    return min(range.lowerBound, more.lowerBound)...max(range.upperBound, more.upperBound)
  }
}
