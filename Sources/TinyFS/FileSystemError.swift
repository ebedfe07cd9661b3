/// A failed file-system operation: what was attempted, on which path, why, and where in the path it failed.
///
/// `description` reads like `mkdir /a/b: no such file or directory (/a)`.
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The reason, modelled on POSIX `errno` values; a struct so that codes can be added.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// The name is taken (`EEXIST`).
    public static let exists = Code("file exists")
    /// A path component does not exist (`ENOENT`).
    public static let notFound = Code("no such file or directory")
    /// A component used as a directory is not one (`ENOTDIR`).
    public static let notADirectory = Code("not a directory")
    /// A file operation was given a directory (`EISDIR`).
    public static let isADirectory = Code("is a directory")
    /// The directory still has entries (`ENOTEMPTY`).
    public static let directoryNotEmpty = Code("directory not empty")
    /// A name is empty, contains `/` or NUL, is `.` or `..` where a new name is needed, or is too long.
    public static let invalidName = Code("invalid name")
    /// Too many symbolic links were followed while resolving a path (`ELOOP`).
    public static let symlinkLoop = Code("too many levels of symbolic links")
    /// The target is read-only: a dynamic directory, or a snapshot opened at an old transaction (`EROFS`).
    public static let readOnly = Code("read-only file system")
    /// A rename between a stored directory and a dynamic one (`EXDEV`).
    public static let crossDevice = Code("cross-device link (dynamic directory)")
    /// The request makes no sense, such as moving a directory into itself (`EINVAL`).
    public static let invalidArgument = Code("invalid argument")
    /// The operation is never allowed on this node, such as replacing a series' content (`EPERM`).
    public static let notPermitted = Code("operation not permitted")
    /// A glob pattern matched nothing (the shell's "no matches found").
    public static let noMatch = Code("no pond path matches the pattern")

    public var description: String { name }
  }

  /// Why the operation failed.
  public let code: Code
  /// The operation, named like the shell command (`mkdir`, `write`, `rename`).
  public let operation: String
  /// The path the caller passed.
  public let path: String
  /// The path where resolution stopped, when it differs from `path` (the missing component, the loop).
  public let failingPath: String?
  /// What the user can do about it, when there is something to say.
  public let hint: String?

  public init(
    _ code: Code, operation: String, path: String, failingPath: String? = nil, hint: String? = nil
  ) {
    self.code = code
    self.operation = operation
    self.path = path
    self.failingPath = failingPath == path ? nil : failingPath
    self.hint = hint
  }

  public var description: String {
    var text = "\(operation) \(path): \(code)"
    if let failingPath { text += " (\(failingPath))" }
    if let hint { text += "; \(hint)" }
    return text
  }
}
