import TLogFS

/// A replication failure: what kind (so the CLI and the agent can decide: exit 3 for `.diverged`), what went
/// wrong, on which key or version, and what to do.
public struct ReplicationError: Error, Sendable, CustomStringConvertible {
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// The remote and the pond hold different commits at one version: two writers, or another pond.
    public static let diverged = Code("diverged")
    /// An object or commit on the remote is missing, damaged, or the log has a gap.
    public static let damaged = Code("damaged")
    /// The command does not apply (a push from a replica, a pull on a writable pond, a bad name...).
    public static let invalidArgument = Code("invalid argument")
    /// A local file could not be read or written.
    public static let localIO = Code("local I/O")
  }

  public let code: Code
  public let message: String
  public let hint: String?
  /// The version the failure concerns, when one does.
  public let version: Int64?
  /// The error behind a `.localIO` failure (a `FileIOError` or `PondError` with its `errno`), so that a caller
  /// can tell a full disk from other failures; the message already says what it is.
  public let underlying: (any Error)?

  public init(
    _ code: Code, _ message: String, hint: String? = nil, version: Int64? = nil,
    underlying: (any Error)? = nil
  ) {
    self.code = code
    self.message = message
    self.hint = hint
    self.version = version
    self.underlying = underlying
  }

  public var description: String { message + (hint.map { "; " + $0 } ?? "") }
}

extension ReplicationError {
  /// `LocalYAML.decode` of one of pond's own files in `local/`, whose problems are `invalidArgument` with the
  /// hint that pond writes the file anew.
  static func decodingYAML(_ text: String, path: String) throws -> [String: LocalYAML.Section] {
    do {
      return try LocalYAML.decode(text, path: path)
    } catch {
      throw ReplicationError(
        .invalidArgument, error.description, hint: "fix it, or remove the file; pond writes it anew"
      )
    }
  }
}
