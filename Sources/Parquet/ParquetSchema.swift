/// The column types the pond stores, each with one fixed Parquet encoding (`delta-parquet.md` §4.4).
public enum ParquetType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// BOOLEAN; Delta `boolean`.
  case boolean
  /// INT32; Delta `integer`.
  case int32
  /// INT64; Delta `long`.
  case int64
  /// BYTE_ARRAY annotated UTF8/STRING; values must be valid UTF-8. Delta `string`.
  case string
  /// BYTE_ARRAY without annotation; any bytes. Delta `binary`.
  case binary
  /// INT64 microseconds since the Unix epoch, TIMESTAMP(isAdjustedToUTC=true, MICROS). Delta `timestamp`.
  case timestamp

  public var description: String {
    switch self {
    case .boolean: "boolean"
    case .int32: "int32"
    case .int64: "int64"
    case .string: "string"
    case .binary: "binary"
    case .timestamp: "timestamp"
    }
  }

  /// The Parquet physical type number (parquet.thrift `Type`).
  var physicalType: Int32 {
    switch self {
    case .boolean: 0
    case .int32: 1
    case .int64, .timestamp: 2
    case .string, .binary: 6
    }
  }
}

/// One flat column: a name, a type, and whether it may hold nulls (OPTIONAL) or not (REQUIRED).
public struct ParquetColumn: Sendable, Hashable {
  public var name: String
  public var type: ParquetType
  public var nullable: Bool

  public init(name: String, type: ParquetType, nullable: Bool) {
    self.name = name
    self.type = type
    self.nullable = nullable
  }
}

/// A flat schema: an ordered list of uniquely named columns.
public struct ParquetSchema: Sendable, Hashable {
  public let columns: [ParquetColumn]

  /// - Throws: `ParquetError` (`.invalidInput`) when there is no column, a name is empty, or two names are equal.
  public init(_ columns: [ParquetColumn]) throws(ParquetError) {
    func fail(_ reason: String) -> ParquetError {
      ParquetError(path: "<schema>", kind: .invalidInput, reason: reason)
    }
    guard !columns.isEmpty else { throw fail("a schema needs at least one column") }
    var seen = Set<String>()
    for column in columns {
      guard !column.name.isEmpty else { throw fail("column names must not be empty") }
      guard seen.insert(column.name).inserted else {
        throw fail("column name \"\(column.name)\" appears twice")
      }
    }
    self.columns = columns
  }

  /// The index of the column named exactly `name` (case-sensitive, as Delta requires).
  public func index(of name: String) -> Int? {
    columns.firstIndex { $0.name == name }
  }
}
