public import TinyFS

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

/// One version of a table or of a series of tables, as a query reads it.
public struct TableVersion: Sendable, Hashable {
  /// The table's node.
  public var node: NodeID
  /// The node's version, from 1.
  public var version: UInt64
  /// The pond version (transaction) that wrote it.
  public var transaction: Int64
  /// What its Parquet bytes hold.
  public var table: TableInfo
  /// SHA-256 (hex) of its Parquet bytes.
  public var sha256: String
  /// Its Parquet bytes' size.
  public var size: Int64
  /// True when the bytes are in `_large_files`, false when inline in the oplog.
  var isBlob: Bool
}

/// Where a table version's Parquet bytes can be read.
public enum TableContent: Sendable {
  /// Small tables, held inline in the oplog.
  case bytes([UInt8])
  /// A local Parquet file (`local/tables/`): large tables, decompressed from `_large_files` once.
  case file(String)
}
