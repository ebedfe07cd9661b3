/// What the oplog row of one table version records about its Parquet content, so that planning a query or
/// describing a series opens no table file.
public struct TableInfo: Sendable, Hashable {
  /// Rows in this version's Parquet file.
  public var rows: Int64
  /// The columns, in the `--schema` syntax of docs/tables.md (`time:timestamp,temp_c:double,...`).
  public var schema: String
  /// The column holding each row's time, when the table has one.
  public var timeColumn: String?
  /// The smallest and largest value of `timeColumn` in this version, UTC microseconds (rounded outwards
  /// from finer units); nil when the table has no time column or no non-null time.
  public var timeRange: ClosedRange<Int64>?

  public init(rows: Int64, schema: String, timeColumn: String?, timeRange: ClosedRange<Int64>?) {
    self.rows = rows
    self.schema = schema
    self.timeColumn = timeColumn
    self.timeRange = timeRange
  }
}
