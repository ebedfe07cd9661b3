/// A flat Delta table schema (the `schemaString` of `metaData`), restricted to the types pond writes.
public struct DeltaSchema: Sendable, Equatable {
  /// The Delta primitive types pond supports (delta-parquet.md Summary 5-6).
  public enum FieldType: String, Sendable, CaseIterable {
    case string, long, integer, boolean, binary, timestamp
  }

  public struct Field: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var nullable: Bool

    public init(_ name: String, _ type: FieldType, nullable: Bool = true) {
      self.name = name
      self.type = type
      self.nullable = nullable
    }
  }

  public var fields: [Field]

  /// A schema of `fields`; names must match `[a-z_][a-z0-9_]*` and be unique (they must equal the Parquet
  /// column names exactly, and Delta readers reject many other characters without column mapping).
  public init(_ fields: [Field]) throws(DeltaLogError) {
    var seen = Set<String>()
    for field in fields {
      guard Self.isValidColumnName(field.name) else {
        throw DeltaLogError(
          .invalidArgument, "column name '\(field.name)' is not of the form [a-z_][a-z0-9_]*",
          hint: "rename the column")
      }
      guard seen.insert(field.name).inserted else {
        throw DeltaLogError(.invalidArgument, "column '\(field.name)' appears twice in the schema")
      }
    }
    guard !fields.isEmpty else { throw DeltaLogError(.invalidArgument, "a schema needs a column") }
    self.fields = fields
  }

  private init(unchecked fields: [Field]) { self.fields = fields }

  static func isValidColumnName(_ name: String) -> Bool {
    guard let first = name.utf8.first else { return false }
    let isStart =
      (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) || first == UInt8(ascii: "_")
    return isStart
      && name.utf8.allSatisfy {
        ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
          || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_")
      }
  }

  /// The `schemaString` JSON: every field with `name`, `type`, `nullable` and `"metadata":{}`.
  public var jsonString: String {
    let fieldValues: [JSONValue] = fields.map { field in
      .object([
        ("name", .string(field.name)),
        ("type", .string(field.type.rawValue)),
        ("nullable", .bool(field.nullable)),
        ("metadata", .object([])),
      ])
    }
    return JSONValue.object([("type", .string("struct")), ("fields", .array(fieldValues))])
      .serialized
  }

  /// Parses a `schemaString`; nested, unknown or unsupported types are rejected with the column named.
  public init(parsing schemaString: String) throws(DeltaLogError) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(schemaString)
    } catch {
      throw DeltaLogError(.invalidAction, "metaData.schemaString is not valid JSON: \(error)")
    }
    guard value["type"]?.stringValue == "struct", let items = value["fields"]?.arrayValue else {
      throw DeltaLogError(.invalidAction, "metaData.schemaString is not a struct with fields")
    }
    var fields: [Field] = []
    for item in items {
      guard let name = item["name"]?.stringValue, let nullable = item["nullable"]?.boolValue,
        item["metadata"]?.objectMembers != nil
      else {
        throw DeltaLogError(
          .invalidAction, "a schema field lacks name, nullable or metadata: \(item.serialized)")
      }
      guard let typeName = item["type"]?.stringValue, let type = FieldType(rawValue: typeName)
      else {
        throw DeltaLogError(
          .unsupportedFeature,
          "column '\(name)' has type \(item["type"]?.serialized ?? "null"), which pond does not support",
          hint: "supported types: \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      if let metadata = item["metadata"]?.objectMembers,
        metadata.contains(where: { $0.0.hasPrefix("delta.columnMapping") })
      {
        throw DeltaLogError(
          .unsupportedFeature, "column '\(name)' carries column-mapping metadata",
          hint: "pond reads only tables without column mapping")
      }
      fields.append(Field(name, type, nullable: nullable))
    }
    self.init(unchecked: fields)
  }
}
