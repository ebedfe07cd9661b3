import DeltaLog
public import SystemPackage

/// A pond operation failed: what was attempted, on which path, and what the user can do about it.
///
/// `description` reads like `cannot open the pond /p: no pond here (no data/_delta_log); run 'pond init /p'`.
public struct PondError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, so callers (and the CLI's exit code) can tell conditions apart.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// No pond at the path, or it is not a pond.
    public static let notAPond = Code("not a pond")
    /// A pond already exists where one is being created.
    public static let alreadyExists = Code("already exists")
    /// Another process holds the writer lock.
    public static let locked = Code("locked")
    /// The log, a data file or a large file is missing or does not match its hash.
    public static let corrupt = Code("corrupt")
    /// A host file or directory could not be read or written.
    public static let io = Code("I/O error")
    /// A version or timestamp that the pond does not have.
    public static let noSuchVersion = Code("no such version")
    /// A write to a read-only replica (restored from a remote, not promoted).
    public static let readOnlyReplica = Code("read-only replica")
    /// An argument that makes no sense.
    public static let invalidArgument = Code("invalid argument")
  }

  public let code: Code
  /// The path (host path, pond path or pond-relative key) the failure concerns.
  public let path: String
  public let message: String
  /// What the user can do, when there is something to say.
  public let hint: String?
  /// The system's error number when the system refused (`.noSpace` for a full disk, `.ioError`,
  /// `.permissionDenied`, ...), so that a caller (the agent) can tell conditions apart without reading text.
  public let errno: Errno?

  public init(
    _ code: Code, path: String, _ message: String, hint: String? = nil, errno: Errno? = nil
  ) {
    self.code = code
    self.path = path
    self.message = message
    self.hint = hint
    self.errno = errno
  }

  public var description: String {
    var text = "\(path): \(message)"
    if let hint { text += "; \(hint)" }
    return text
  }
}

extension PondError {
  /// A Delta log error as a pond error on the log file it names (`data/<key>`), with the log's message and hint.
  init(_ error: DeltaLogError, code: Code = .corrupt) {
    self.init(
      code, path: "data/" + (error.path ?? DeltaTable.logPrefix), error.message, hint: error.hint,
      errno: error.errno)
  }
}
