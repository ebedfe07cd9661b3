/// A Parquet file could not be written or read: which file, and why.
///
/// The reader accepts only the flat, PLAIN, v1-page files that the pond writes (see `delta-parquet.md` §6);
/// anything else is refused with a reason naming the unsupported feature, never read approximately.
public struct ParquetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What kind of failure this is, so callers can react without parsing `reason`.
  public struct Kind: Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
      case notParquet, unsupported, corrupt, invalidInput, io
    }
    private let code: Code

    /// The bytes are not a plain Parquet file (bad magic, encrypted footer, too short).
    public static let notParquet = Kind(code: .notParquet)
    /// A valid Parquet feature this reader deliberately does not support (codec, dictionary, nesting...).
    public static let unsupported = Kind(code: .unsupported)
    /// The file contradicts itself: sizes, counts or encodings that do not add up.
    public static let corrupt = Kind(code: .corrupt)
    /// The caller handed the writer data that does not fit the schema.
    public static let invalidInput = Kind(code: .invalidInput)
    /// The operating system refused a file operation.
    public static let io = Kind(code: .io)

    public var description: String {
      switch code {
      case .notParquet: "not a parquet file"
      case .unsupported: "unsupported"
      case .corrupt: "corrupt"
      case .invalidInput: "invalid input"
      case .io: "I/O error"
      }
    }
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
