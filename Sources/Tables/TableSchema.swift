public import Parquet

/// The type of a table column, as the `--schema` text names it.
///
/// The CSV importer infers and writes `timestamp` (UTC microseconds), `double`, `int64`, `bool` and
/// `string`; the other types come from Parquet files stored as they are (pyarrow's and DuckDB's) and can be
/// given in `--schema` too. Local timestamps (Parquet `isAdjustedToUTC=false`: DuckDB's `TIMESTAMP`,
/// pyarrow's without `tz`) are kept as they are and read as UTC where an instant is needed (the time range).
public enum TableColumnType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// UTC microseconds since the epoch (Parquet INT64 TIMESTAMP(isAdjustedToUTC=true, MICROS)).
  case timestamp
  /// UTC milliseconds since the epoch.
  case timestampMilliseconds = "timestamp_ms"
  /// UTC nanoseconds since the epoch.
  case timestampNanoseconds = "timestamp_ns"
  /// A local date and time of unknown zone, microseconds.
  case localTimestamp = "timestamp_local"
  /// A local date and time of unknown zone, milliseconds.
  case localTimestampMilliseconds = "timestamp_ms_local"
  /// A local date and time of unknown zone, nanoseconds.
  case localTimestampNanoseconds = "timestamp_ns_local"
  /// IEEE 754 binary64.
  case double
  /// IEEE 754 binary32.
  case float
  case int64
  case int32
  case bool
  /// UTF-8 text.
  case string
  /// Any bytes.
  case binary
  /// Days since 1970-01-01.
  case date

  /// The type named `name` in schema text; also `timestamp_us`, `timestamp_us_local` and `boolean`.
  public init?(name: String) {
    switch name {
    case "timestamp_us": self = .timestamp
    case "timestamp_us_local": self = .localTimestamp
    case "boolean": self = .bool
    default: self.init(rawValue: name)
    }
  }

  /// The name schema text uses.
  public var description: String { rawValue }

  /// The unit of a timestamp type, nil for the others.
  public var timeUnit: ParquetTimeUnit? {
    switch self {
    case .timestamp, .localTimestamp: .microseconds
    case .timestampMilliseconds, .localTimestampMilliseconds: .milliseconds
    case .timestampNanoseconds, .localTimestampNanoseconds: .nanoseconds
    case .double, .float, .int64, .int32, .bool, .string, .binary, .date: nil
    }
  }

  /// Whether a column of this type can be a table's time column.
  public var isTimestamp: Bool { timeUnit != nil }

  var physicalType: ParquetPhysicalType {
    switch self {
    case .timestamp, .timestampMilliseconds, .timestampNanoseconds, .localTimestamp,
      .localTimestampMilliseconds, .localTimestampNanoseconds, .int64:
      .int64
    case .double: .double
    case .float: .float
    case .int32, .date: .int32
    case .bool: .boolean
    case .string, .binary: .byteArray
    }
  }

  var logicalType: ParquetLogicalType? {
    switch self {
    case .timestamp, .timestampMilliseconds, .timestampNanoseconds:
      .timestamp(unit: timeUnit!, isAdjustedToUTC: true)
    case .localTimestamp, .localTimestampMilliseconds, .localTimestampNanoseconds:
      .timestamp(unit: timeUnit!, isAdjustedToUTC: false)
    case .string: .string
    case .date: .date
    case .double, .float, .int64, .int32, .bool, .binary: nil
    }
  }
}

/// One named column of a table.
public struct TableColumn: Sendable, Hashable, CustomStringConvertible {
  public var name: String
  public var type: TableColumnType
  /// Whether the column may hold nulls (written `name:type?`).
  public var nullable: Bool

  public init(name: String, type: TableColumnType, nullable: Bool) {
    self.name = name
    self.type = type
    self.nullable = nullable
  }

  /// `name:type`, or `name:type?` when nullable.
  public var description: String { "\(name):\(type)\(nullable ? "?" : "")" }
}

/// The ordered columns of a table, and their text form `name:type,name:type?,...` (`--schema`,
/// `TableInfo.schema`).
///
/// Text syntax: columns separated by `,`, each `name:type` with the types of `TableColumnType`; a `?` after
/// the type makes the column nullable (`temp_c:double?`), without it a null is refused. Spaces around names
/// and types are ignored. A name must not be empty, repeat another, contain `,`, `:` or a control
/// character, or begin or end with white space. `description` prints the canonical text, which parses back
/// to an equal schema.
public struct TableSchema: Sendable, Hashable, CustomStringConvertible {
  public let columns: [TableColumn]

  /// - Throws: `TableError` (`.schema`) for no column, or a name that is empty, repeated or holds a
  ///   forbidden character.
  public init(_ columns: [TableColumn]) throws(TableError) {
    guard !columns.isEmpty else {
      throw TableError(.schema, reason: "a table needs at least one column")
    }
    var seen = Set<String>()
    for column in columns {
      try Self.check(name: column.name)
      guard seen.insert(column.name).inserted else {
        throw TableError(
          .schema, column: column.name, reason: "the column name \"\(column.name)\" appears twice")
      }
    }
    self.columns = columns
  }

  /// Parses schema text such as `time:timestamp,temp_c:double?,site:string`.
  /// - Throws: `TableError` (`.schema`) naming the item that is not `name:type` or the unknown type.
  public init(parsing text: String) throws(TableError) {
    let names = TableColumnType.allCases.map(\.rawValue).joined(separator: ", ")
    var columns: [TableColumn] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 2 else {
        throw TableError(
          .schema,
          reason:
            "\"\(item)\" in the schema \"\(text)\" is not name:type (for example temp_c:double)")
      }
      let name = Self.trimmed(parts[0])
      var typeName = Self.trimmed(parts[1])
      let nullable = typeName.hasSuffix("?")
      if nullable { typeName = Self.trimmed(typeName.dropLast()) }
      guard let type = TableColumnType(name: typeName) else {
        throw TableError(
          .schema, column: name.isEmpty ? nil : name,
          reason:
            "unknown type \"\(typeName)\" in the schema (types: \(names); a ? after it makes the column nullable)"
        )
      }
      columns.append(TableColumn(name: name, type: type, nullable: nullable))
    }
    try self.init(columns)
  }

  /// The schema of a Parquet file's columns.
  /// - Throws: `TableError` (`.schema`) naming a column whose type or name the pond cannot take.
  public init(parquet: ParquetSchema) throws(TableError) {
    var columns: [TableColumn] = []
    for column in parquet.columns {
      guard
        let type = TableColumnType.allCases.first(where: {
          $0.physicalType == column.physicalType && $0.logicalType == column.logicalType
        })
      else {
        throw TableError(
          .schema, column: column.name,
          reason:
            "the Parquet type \(column.physicalType)\(column.logicalType.map { " \($0)" } ?? "") is not a table column type"
        )
      }
      columns.append(TableColumn(name: column.name, type: type, nullable: column.nullable))
    }
    try self.init(columns)
  }

  /// The Parquet schema of files of this table.
  public var parquetSchema: ParquetSchema {
    do {
      return try ParquetSchema(
        columns.map {
          ParquetColumn(
            name: $0.name, physicalType: $0.type.physicalType, logicalType: $0.type.logicalType,
            nullable: $0.nullable)
        })
    } catch {
      // Names are checked by init and every type maps to a valid physical and logical pair.
      preconditionFailure("a table schema maps to an invalid Parquet schema: \(error)")
    }
  }

  /// The canonical text: `name:type` items (`?` when nullable) joined by `,`.
  public var description: String { columns.map(\.description).joined(separator: ",") }

  /// The index of the column named exactly `name`.
  public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

  /// How this schema differs from `series`, exactly, in one line such as `column temp_c is double here,
  /// int64 in the series; column x is missing`; nil when equal. Nullability and column order count as
  /// differences too. (A version appended to a series may also widen it: `refusal(toExtend:)`.)
  public func difference(fromSeries series: TableSchema) -> String? {
    var notes = changes(from: series)
    for column in columns where series.index(of: column.name) == nil {
      notes.append("column \(column.name) is not in the series")
    }
    if notes.isEmpty && self != series {
      notes.append(
        "the columns are in another order (\(columns.map(\.name).joined(separator: ",")) here, \(series.columns.map(\.name).joined(separator: ",")) in the series)"
      )
    }
    return notes.isEmpty ? nil : notes.joined(separator: "; ")
  }

  /// A note for each column of `series` that this schema lacks, or holds with another type or nullability.
  private func changes(from series: TableSchema) -> [String] {
    var notes: [String] = []
    for column in series.columns {
      guard let index = index(of: column.name) else {
        notes.append("column \(column.name) is missing")
        continue
      }
      let here = columns[index]
      if here.type != column.type {
        notes.append("column \(column.name) is \(here.type) here, \(column.type) in the series")
      } else if here.nullable != column.nullable {
        notes.append(
          "column \(column.name) is \(here.nullable ? "" : "not ")nullable here, \(column.nullable ? "" : "not ")nullable in the series"
        )
      }
    }
    return notes
  }

  /// How this schema (a version's) fails to extend `latest` (the latest version's of the series it is
  /// appended to), in one line such as `column temp_c is double here, int64 in the series; column site is
  /// missing`; nil when it may be appended.
  ///
  /// The rule of a widening series: every column of `latest`, with the same type and nullability, in the
  /// same order, and any new columns nullable, anywhere between them (the rows of older versions read
  /// them as null). The schema a series is read with is its latest version's, which therefore holds every
  /// column of every older version.
  public func refusal(toExtend latest: TableSchema) -> String? {
    var notes = changes(from: latest)
    for column in columns where latest.index(of: column.name) == nil && !column.nullable {
      notes.append(
        "new column \(column.name) is not nullable (a column added to a series must be nullable, "
          + "written \(column.name):\(column.type)?: the rows of older versions read it as null)")
    }
    let kept = columns.map(\.name).filter { latest.index(of: $0) != nil }
    if notes.isEmpty && kept != latest.columns.map(\.name) {
      notes.append(
        "the series' columns are in another order (\(kept.joined(separator: ",")) here, \(latest.columns.map(\.name).joined(separator: ",")) in the series; new columns may go anywhere, the others keep their order)"
      )
    }
    return notes.isEmpty ? nil : notes.joined(separator: "; ")
  }

  /// True for a character a column name cannot hold (the schema text separates columns with `,` and names
  /// from types with `:`): a collector making names from other words replaces them.
  public static func isForbiddenInColumnName(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "," || scalar == ":" || scalar.properties.generalCategory == .control
  }

  /// Refuses a name the text syntax could not carry back.
  static func check(name: String) throws(TableError) {
    guard !name.isEmpty else {
      throw TableError(.schema, reason: "a column name is empty")
    }
    if let bad = name.unicodeScalars.first(where: isForbiddenInColumnName) {
      let shown =
        bad == "," || bad == ":" ? "\"\(bad)\"" : "a control character (U+\(hex(bad.value)))"
      throw TableError(
        .schema, column: name.debugDescription,
        reason: "a column name must not contain \(shown)")
    }
    if let first = name.unicodeScalars.first, let last = name.unicodeScalars.last,
      first.properties.isWhitespace || last.properties.isWhitespace
    {
      throw TableError(
        .schema, column: name.debugDescription,
        reason: "a column name must not begin or end with white space")
    }
  }

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  static func trimmed(_ text: Substring) -> String {
    String(
      text.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
  }

  static func trimmed(_ text: String) -> String { trimmed(text[...]) }
}
