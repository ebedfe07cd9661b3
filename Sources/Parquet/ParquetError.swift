/// A Parquet file could not be written or read: which file, and why.
///
/// The reader accepts flat files of the types, encodings and codecs `ParquetReader` lists (see `docs/format.md`);
/// anything else is refused with a reason naming the unsupported feature, never read approximately.
public struct ParquetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What kind of failure this is, so callers can react without parsing `reason`.
  public struct Kind: Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// The bytes are not a plain Parquet file (bad magic, encrypted footer, too short).
    public static let notParquet = Kind("not a parquet file")
    /// A valid Parquet feature this reader deliberately does not support (nesting, encryption, a codec...).
    public static let unsupported = Kind("unsupported")
    /// The file contradicts itself: sizes, counts or encodings that do not add up.
    public static let corrupt = Kind("corrupt")
    /// The caller handed the writer data that does not fit the schema.
    public static let invalidInput = Kind("invalid input")
    /// The operating system refused a file operation.
    public static let io = Kind("I/O error")

    public var description: String { name }
  }

  /// The file concerned (or `<memory>` for bytes read from memory).
  public let path: String
  public let kind: Kind
  /// What failed, in words a user can act on.
  public let reason: String

  public init(path: String, kind: Kind, reason: String) {
    self.path = path
    self.kind = kind
    self.reason = reason
  }

  public var description: String { "parquet file \(path): \(kind): \(reason)" }
}
