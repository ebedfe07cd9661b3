public import Parquet

/// One Parquet file of a query table: how to open it, and what the pond already knows about it.
public struct ParquetSource: Sendable {
  /// Names the file in errors (its pond path).
  public var name: String
  /// Opens the file; called only when a query reads it, at most once per scan.
  public var open: @Sendable () throws -> ParquetReader
  /// The instants its time column spans, in microseconds UTC, when known (from the pond's metadata): a
  /// query whose time constraints fall outside skips the file without opening it.
  public var timeRange: ClosedRange<Int64>?
  /// The values of the table's capture columns for this file (what a glob's wildcards matched), one per
  /// `QueryTable.captureColumns`.
  public var captures: [String]

  public init(
    name: String, timeRange: ClosedRange<Int64>? = nil, captures: [String] = [],
    open: @escaping @Sendable () throws -> ParquetReader
  ) {
    self.name = name
    self.open = open
    self.timeRange = timeRange
    self.captures = captures
  }
}

/// A table that SQL can read: Parquet files read one after the other as one table. Each file holds the
/// schema's columns, found by name (`TableSeries.positions`), or lacks some nullable ones, which are null
/// in its rows (the older versions of a widened series).
public struct QueryTable: Sendable {
  /// The name SQL uses (`FROM name`).
  public var name: String
  public var schema: ParquetSchema
  /// The timestamp (or date) column whose constraints skip files and pages, if any.
  public var timeColumn: String?
  /// Text columns after the schema's, holding each source's `captures`.
  public var captureColumns: [String]
  public var sources: [ParquetSource]

  public init(
    name: String, schema: ParquetSchema, timeColumn: String?, captureColumns: [String] = [],
    sources: [ParquetSource]
  ) {
    self.name = name
    self.schema = schema
    self.timeColumn = timeColumn
    self.captureColumns = captureColumns
    self.sources = sources
  }
}

/// A query table that cannot be registered or read as declared.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
  private enum Code: Sendable, Equatable {
    case invalidTable, schemaMismatch, unrepresentable, notAnInstant
  }

  private let code: Code
  /// What failed, and on which table or file.
  public let message: String

  private init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  static func invalidTable(_ table: String, _ reason: String) -> QueryError {
    QueryError(.invalidTable, "table \(table): \(reason)")
  }

  static func schemaMismatch(
    _ table: String, source: String, found: ParquetSchema, expected: ParquetSchema
  ) -> QueryError {
    QueryError(
      .schemaMismatch,
      "table \(table): \(source) has columns (\(found.columns.map(\.description).joined(separator: ", "))), "
        + "not the table's (\(expected.columns.map(\.description).joined(separator: ", "))): every "
        + "file of a table must have its columns, of the same types, or lack only nullable ones")
  }

  static func unrepresentable(_ source: String, _ column: String, _ reason: String) -> QueryError {
    QueryError(.unrepresentable, "\(source): column \"\(column)\": \(reason)")
  }

  static func notAnInstant(_ table: String, column: String, _ value: String) -> QueryError {
    QueryError(
      .notAnInstant,
      "table \(table): '\(value)' is compared with the time column \(column) but names no instant; "
        + "write an ISO 8601 time such as '2024-06-01T12:00:00Z' or '2024-06-01'")
  }

  /// True when a file's columns differ from its table's.
  public var isSchemaMismatch: Bool { code == .schemaMismatch }

  public var description: String { message }
}
