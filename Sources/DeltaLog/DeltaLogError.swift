public import SystemPackage

/// An error of the Delta log layer: what failed, on which version and file, and what the user can do.
public struct DeltaLogError: Error, Sendable, CustomStringConvertible, Equatable {
  /// What kind of failure this is; compare with the static members (`error.kind == .versionGap`).
  public struct Kind: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// The log has no commit files at all.
    public static let tableNotFound = Kind("table not found")
    /// Versions are not contiguous (for example 0, 1, 3).
    public static let versionGap = Kind("version gap")
    /// `00000000000000000000.json` is missing while later versions exist.
    public static let missingVersionZero = Kind("missing version 0")
    /// A commit file holds zero bytes.
    public static let emptyCommit = Kind("empty commit")
    /// A commit file is not valid NDJSON (torn or truncated write, or foreign garbage).
    public static let unparsableCommit = Kind("unparsable commit")
    /// An action lacks a required field, or a field has the wrong JSON type.
    public static let invalidAction = Kind("invalid action")
    /// A commit's `pond.prevCommitSha256` does not match the previous commit file.
    public static let brokenHashChain = Kind("broken hash chain")
    /// The table needs a reader this implementation is not.
    public static let unsupportedProtocol = Kind("unsupported protocol")
    /// The table uses a Delta feature pond does not implement (deletion vectors, partitions, column mapping).
    public static let unsupportedFeature = Kind("unsupported feature")
    /// The storage failed (I/O error, permissions); the message carries the system's reason.
    public static let storageFailure = Kind("storage failure")
    /// The caller asked for something the log cannot write (bad path, duplicate add, invalid stats).
    public static let invalidArgument = Kind("invalid argument")
  }

  public var kind: Kind
  /// The table version concerned, when there is one.
  public var version: Int64?
  /// The storage key concerned (commit file or data file), relative to the table root.
  public var path: String?
  /// What exactly went wrong.
  public var message: String
  /// What the user can do about it.
  public var hint: String?
  /// The system's error number, when the storage failed (`.noSpace` for a full disk, `.ioError`, ...), so a
  /// caller can tell conditions apart without reading the message.
  public var errno: Errno?

  public init(
    _ kind: Kind, version: Int64? = nil, path: String? = nil, _ message: String, hint: String? = nil
  ) {
    self.kind = kind
    self.version = version
    self.path = path
    self.message = message
    self.hint = hint
  }

  public var description: String {
    var text = "delta log: \(kind)"
    if let version { text += " at version \(version)" }
    if let path { text += " (\(path))" }
    text += ": \(message)"
    if let hint { text += "; \(hint)" }
    return text
  }
}
