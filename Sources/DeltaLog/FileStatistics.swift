public import Parquet
import PondTime

/// Per-file statistics for an `add` (`stats`, a JSON string inside the action; delta-parquet.md §2.4).
///
/// `numRecords` must be exact (engines answer `COUNT(*)` from it). Give a min/max only when it is exactly
/// right: a wrong one silently drops rows from filtered reads. Strings longer than 32 characters and
/// timestamps outside years 0001-9999 are left out when encoding, and binary columns have no min/max.
public struct FileStatistics: Sendable, Equatable {
  /// A min/max value of a column.
  public enum Value: Sendable, Equatable {
    /// A `long` or `integer` column value.
    case integer(Int64)
    /// A `string` column value.
    case string(String)
    /// A `timestamp` column value in µs since the epoch; written truncated down to ms, ISO-8601 UTC.
    case timestamp(microseconds: Int64)
  }

  public var numRecords: Int64
  public var minValues: [String: Value]
  public var maxValues: [String: Value]
  public var nullCount: [String: Int64]

  public init(
    numRecords: Int64, minValues: [String: Value] = [:], maxValues: [String: Value] = [:],
    nullCount: [String: Int64] = [:]
  ) {
    self.numRecords = numRecords
    self.minValues = minValues
    self.maxValues = maxValues
    self.nullCount = nullCount
  }

  /// The JSON text for `add.stats` (keys sorted, so equal statistics give equal bytes).
  public var jsonString: String {
    var members: [(String, JSONValue)] = [("numRecords", .int(numRecords))]
    let minimum = Self.encode(minValues)
    let maximum = Self.encode(maxValues)
    if !minimum.isEmpty { members.append(("minValues", .object(minimum))) }
    if !maximum.isEmpty { members.append(("maxValues", .object(maximum))) }
    if !nullCount.isEmpty {
      members.append(
        (
          "nullCount",
          .object(nullCount.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })
        ))
    }
    return JSONValue.object(members).serialized
  }

  private static func encode(_ values: [String: Value]) -> [(String, JSONValue)] {
    values.sorted { $0.key < $1.key }.compactMap { name, value in
      switch value {
      case .integer(let i): return (name, .int(i))
      case .string(let s): return s.count > 32 ? nil : (name, .string(s))
      case .timestamp(let micros):
        guard let text = UTCMilliseconds(UTCMicroseconds(rawValue: micros)).iso8601 else {
          return nil
        }
        return (name, .string(text))
      }
    }
  }
}

extension FileStatistics {
  /// The statistics of a Parquet file as its writer reported them: exact row count, null counts, and the
  /// min/max Parquet kept (the encoding leaves out what Delta cannot represent).
  public init(_ summary: ParquetFileSummary) {
    func value(_ value: ParquetStatisticsValue?) -> Value? {
      switch value {
      case .int32(let integer): .integer(Int64(integer))
      case .int64(let integer): .integer(integer)
      case .timestamp(let microseconds): .timestamp(microseconds: microseconds)
      case .string(let text): .string(text)
      case nil: nil
      }
    }
    self.init(numRecords: summary.numRows)
    for column in summary.columns {
      minValues[column.name] = value(column.min)
      maxValues[column.name] = value(column.max)
      nullCount[column.name] = column.nullCount
    }
  }
}
