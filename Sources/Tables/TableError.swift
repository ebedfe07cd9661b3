/// A table that cannot be read, converted or stored: a malformed CSV, a value that does not fit its column, a
/// bad schema text, a Parquet file the pond cannot take. Says where (file, 1-based line, column) and why.
public struct TableError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What kind of problem this is; more kinds may be added.
  public struct Kind: Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// The CSV text breaks RFC 4180 (ragged row, unterminated quote, text after a closing quote) or has no
    /// header.
    public static let malformedCSV = Kind("malformed CSV")
    /// A cell does not parse as its column's type, or is empty in a column that is not nullable.
    public static let badValue = Kind("bad value")
    /// A schema (text, header, Parquet file's) that the pond cannot use, or two schemas that differ.
    public static let schema = Kind("schema")
    /// The time column is missing, not a timestamp, or ambiguous.
    public static let timeColumn = Kind("time column")
    /// The Parquet file is unreadable, corrupt or of a kind the pond does not take.
    public static let parquet = Kind("parquet")
    /// An export that cannot be done as asked: a bad `--temporal` list, a match that is not a table, a table
    /// without a time column to partition by, a destination that is not empty.
    public static let export = Kind("export")
    /// Reading the CSV file failed.
    public static let io = Kind("I/O error")
    /// A `pond reduce` configuration that cannot be used (its line or key is named).
    public static let configuration = Kind("configuration")
    /// `pond reduce` cannot continue incrementally from what it wrote before (late data, a replaced input,
    /// a changed configuration): `--rebuild` starts over.
    public static let reduceState = Kind("reduce state")

    public var description: String { name }
  }

  public let kind: Kind
  /// The file concerned, when there is one.
  public let path: String?
  /// The 1-based line of the CSV file where the problem is.
  public let line: Int?
  /// The column: its name, or its 1-based number when the header does not name it.
  public let column: String?
  public let reason: String

  public init(
    _ kind: Kind, path: String? = nil, line: Int? = nil, column: String? = nil, reason: String
  ) {
    self.kind = kind
    self.path = path
    self.line = line
    self.column = column
    self.reason = reason
  }

  public var description: String {
    var place: [String] = []
    if let path { place.append(path) }
    if let line { place.append("line \(line)") }
    if let column { place.append("column \(column)") }
    return (place.isEmpty ? "" : place.joined(separator: ", ") + ": ") + reason
  }
}
