/// A min or max that is exact for its column, in the form Delta `add.stats` needs.
public enum ParquetStatisticsValue: Sendable, Hashable {
  case int32(Int32)
  case int64(Int64)
  /// Microseconds since the epoch, UTC.
  case timestamp(microseconds: Int64)
  case string(String)

  /// The value as a JSON literal for Delta `stats` (`delta-parquet.md` §2.4): integers as exact numbers,
  /// strings quoted, timestamps as ISO-8601 UTC truncated down to milliseconds (`"2024-06-01T12:00:00.123Z"`).
  public var deltaJSON: String {
    switch self {
    case .int32(let value): String(value)
    case .int64(let value): String(value)
    case .timestamp(let microseconds): "\"" + Self.isoMilliseconds(microseconds) + "\""
    case .string(let value): Self.quoted(value)
    }
  }

  /// Whether the value can be written in Delta's stats form (timestamps need a four-digit year).
  var isRepresentable: Bool {
    guard case .timestamp(let microseconds) = self else { return true }
    // 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59.999999Z
    return microseconds >= -62_135_596_800_000_000 && microseconds <= 253_402_300_799_999_999
  }

  static func isoMilliseconds(_ microseconds: Int64) -> String {
    let milliseconds = floorDivide(microseconds, 1000)
    let seconds = floorDivide(milliseconds, 1000)
    let millisecond = milliseconds - seconds * 1000
    let days = floorDivide(seconds, 86_400)
    let secondOfDay = seconds - days * 86_400
    let (year, month, day) = civilDate(daysSinceEpoch: days)
    func pad(_ value: Int64, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
      + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millisecond, 3))Z"
  }

  private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
  }

  /// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
  private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
    let z = daysSinceEpoch + 719_468
    let era = floorDivide(z, 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  private static func quoted(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}

/// Per-column facts a Delta `add` action needs; `min`/`max` are present only where exact and safe.
public struct ParquetColumnStatistics: Sendable, Hashable {
  public let name: String
  /// Exact number of null rows.
  public let nullCount: Int64
  /// Smallest value; `nil` for boolean and binary columns, all-null columns, strings over 32 bytes, and
  /// timestamps outside years 1...9999.
  public let min: ParquetStatisticsValue?
  public let max: ParquetStatisticsValue?

  public init(
    name: String, nullCount: Int64, min: ParquetStatisticsValue?, max: ParquetStatisticsValue?
  ) {
    self.name = name
    self.nullCount = nullCount
    self.min = min
    self.max = max
  }
}

/// What a finished file is: its exact size and row count and the statistics of every column.
public struct ParquetFileSummary: Sendable, Hashable {
  public let path: String
  /// Exact size of the file in bytes (Delta `add.size`).
  public let size: Int64
  /// Exact number of rows (Delta `numRecords`).
  public let numRows: Int64
  /// One entry per schema column, in schema order.
  public let columns: [ParquetColumnStatistics]

  public init(path: String, size: Int64, numRows: Int64, columns: [ParquetColumnStatistics]) {
    self.path = path
    self.size = size
    self.numRows = numRows
    self.columns = columns
  }

  /// The Delta `add.stats` JSON object (to be embedded as a JSON *string* in the action).
  public var deltaStatsJSON: String {
    var minimums: [String] = []
    var maximums: [String] = []
    var nulls: [String] = []
    for column in columns {
      let key = ParquetStatisticsValue.string(column.name).deltaJSON
      if let min = column.min { minimums.append("\(key):\(min.deltaJSON)") }
      if let max = column.max { maximums.append("\(key):\(max.deltaJSON)") }
      nulls.append("\(key):\(column.nullCount)")
    }
    return "{\"numRecords\":\(numRows),\"minValues\":{\(minimums.joined(separator: ","))},"
      + "\"maxValues\":{\(maximums.joined(separator: ","))},\"nullCount\":{\(nulls.joined(separator: ","))}}"
  }
}
