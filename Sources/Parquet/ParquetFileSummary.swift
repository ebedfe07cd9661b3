/// A min or max that is exact for its column.
public enum ParquetStatisticsValue: Sendable, Hashable {
  case int32(Int32)
  case int64(Int64)
  /// Microseconds since the epoch, UTC.
  case timestamp(microseconds: Int64)
  case string(String)
}

/// Per-column statistics of a finished file; `min`/`max` are present only where exact.
public struct ParquetColumnStatistics: Sendable, Hashable {
  public let name: String
  /// Exact number of null rows.
  public let nullCount: Int64
  /// Smallest value; `nil` for boolean, binary, floating-point and date columns, timestamps in nanoseconds or
  /// not adjusted to UTC, all-null columns and strings over 32 bytes (millisecond timestamps are given in µs).
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
}
