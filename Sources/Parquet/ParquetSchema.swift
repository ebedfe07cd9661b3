/// The column types of the pond's own Delta tables, each with one fixed Parquet encoding (`delta-parquet.md`
/// §4.4). A shorthand for the physical and logical type pairs of `ParquetColumn`, which can describe more.
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

  var physicalType: ParquetPhysicalType {
    switch self {
    case .boolean: .boolean
    case .int32: .int32
    case .int64, .timestamp: .int64
    case .string, .binary: .byteArray
    }
  }

  var logicalType: ParquetLogicalType? {
    switch self {
    case .string: .string
    case .timestamp: .timestamp(unit: .microseconds, isAdjustedToUTC: true)
    case .boolean, .int32, .int64, .binary: nil
    }
  }
}

/// How a column's values are stored (parquet.thrift `Type`; INT96 and FIXED_LEN_BYTE_ARRAY are not supported).
public enum ParquetPhysicalType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case boolean
  case int32
  case int64
  /// IEEE 754 binary32.
  case float
  /// IEEE 754 binary64.
  case double
  /// Variable-length bytes.
  case byteArray

  public var description: String {
    switch self {
    case .boolean: "BOOLEAN"
    case .int32: "INT32"
    case .int64: "INT64"
    case .float: "FLOAT"
    case .double: "DOUBLE"
    case .byteArray: "BYTE_ARRAY"
    }
  }

  /// The parquet.thrift `Type` number.
  var thriftValue: Int32 {
    switch self {
    case .boolean: 0
    case .int32: 1
    case .int64: 2
    case .float: 4
    case .double: 5
    case .byteArray: 6
    }
  }
}

/// The unit of a TIMESTAMP column's INT64 values.
public enum ParquetTimeUnit: Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case milliseconds
  case microseconds
  case nanoseconds

  public var description: String {
    switch self {
    case .milliseconds: "MILLIS"
    case .microseconds: "MICROS"
    case .nanoseconds: "NANOS"
    }
  }

  /// Units per second.
  public var perSecond: Int64 {
    switch self {
    case .milliseconds: 1_000
    case .microseconds: 1_000_000
    case .nanoseconds: 1_000_000_000
    }
  }
}

/// What a column's physical values mean (parquet-format LogicalTypes.md); `nil` on a column means plain
/// numbers (or raw bytes).
public enum ParquetLogicalType: Sendable, Hashable, CustomStringConvertible {
  /// BYTE_ARRAY holding UTF-8 text.
  case string
  /// INT32 days since 1970-01-01.
  case date
  /// INT64 counts of `unit` since the Unix epoch: an instant when `isAdjustedToUTC`, otherwise a local
  /// date and time of unknown zone (DuckDB's `TIMESTAMP`, pyarrow's timestamps without `tz`).
  case timestamp(unit: ParquetTimeUnit, isAdjustedToUTC: Bool)

  public var description: String {
    switch self {
    case .string: "STRING"
    case .date: "DATE"
    case .timestamp(let unit, let utc): "TIMESTAMP(isAdjustedToUTC=\(utc), \(unit))"
    }
  }

  /// The only physical type this logical type annotates.
  public var physicalType: ParquetPhysicalType {
    switch self {
    case .string: .byteArray
    case .date: .int32
    case .timestamp: .int64
    }
  }
}

/// One flat column: a name, a physical type with an optional logical type, and whether it may hold nulls
/// (OPTIONAL) or not (REQUIRED).
public struct ParquetColumn: Sendable, Hashable, CustomStringConvertible {
  public var name: String
  public var physicalType: ParquetPhysicalType
  public var logicalType: ParquetLogicalType?
  public var nullable: Bool

  /// A column of any supported type; `ParquetSchema` checks that `logicalType` fits `physicalType`.
  public init(
    name: String, physicalType: ParquetPhysicalType, logicalType: ParquetLogicalType? = nil,
    nullable: Bool
  ) {
    self.name = name
    self.physicalType = physicalType
    self.logicalType = logicalType
    self.nullable = nullable
  }

  /// A column of one of the pond's Delta types.
  public init(name: String, type: ParquetType, nullable: Bool) {
    self.init(
      name: name, physicalType: type.physicalType, logicalType: type.logicalType,
      nullable: nullable)
  }

  /// The pond type this column is, or `nil` for types outside `ParquetType` (floating point, dates,
  /// timestamps in other units or not adjusted to UTC).
  public var type: ParquetType? {
    ParquetType.allCases.first {
      $0.physicalType == physicalType && $0.logicalType == logicalType
    }
  }

  /// Whether values must be valid UTF-8.
  var isString: Bool { logicalType == .string }

  public var description: String {
    "\(name) \(physicalType)\(logicalType.map { " \($0)" } ?? "")\(nullable ? "" : " NOT NULL")"
  }
}

/// A flat schema: an ordered list of uniquely named columns.
public struct ParquetSchema: Sendable, Hashable {
  public let columns: [ParquetColumn]

  /// - Throws: `ParquetError` (`.invalidInput`) when there is no column, a name is empty, two names are
  ///   equal, or a logical type annotates a physical type it does not fit.
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
      if let logical = column.logicalType, logical.physicalType != column.physicalType {
        throw fail(
          "column \"\(column.name)\": \(logical) annotates \(logical.physicalType), not \(column.physicalType)"
        )
      }
    }
    self.columns = columns
  }

  /// The index of the column named exactly `name` (case-sensitive, as Delta requires).
  public func index(of name: String) -> Int? {
    columns.firstIndex { $0.name == name }
  }
}
