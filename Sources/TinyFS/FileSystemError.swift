/// A failed file-system operation: what was attempted, on which path, why, and where in the path it failed.
///
/// `description` reads like `mkdir /a/b: no such file or directory (/a)`.
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The reason, modelled on POSIX `errno` values; a struct so that codes can be added.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Value: Hashable, Sendable {
      case exists, notFound, notADirectory, isADirectory, directoryNotEmpty, invalidName
      case symlinkLoop, readOnly, crossDevice, invalidArgument, notPermitted, noMatch
    }
    private let value: Value

    /// The name is taken (`EEXIST`).
    public static let exists = Code(value: .exists)
    /// A path component does not exist (`ENOENT`).
    public static let notFound = Code(value: .notFound)
    /// A component used as a directory is not one (`ENOTDIR`).
    public static let notADirectory = Code(value: .notADirectory)
    /// A file operation was given a directory (`EISDIR`).
    public static let isADirectory = Code(value: .isADirectory)
    /// The directory still has entries (`ENOTEMPTY`).
    public static let directoryNotEmpty = Code(value: .directoryNotEmpty)
    /// A name is empty, contains `/` or NUL, is `.` or `..` where a new name is needed, or is too long.
    public static let invalidName = Code(value: .invalidName)
    /// Too many symbolic links were followed while resolving a path (`ELOOP`).
    public static let symlinkLoop = Code(value: .symlinkLoop)
    /// The target is read-only: a dynamic directory, or a snapshot opened at an old transaction (`EROFS`).
    public static let readOnly = Code(value: .readOnly)
    /// A rename between a stored directory and a dynamic one (`EXDEV`).
    public static let crossDevice = Code(value: .crossDevice)
    /// The request makes no sense, such as moving a directory into itself (`EINVAL`).
    public static let invalidArgument = Code(value: .invalidArgument)
    /// The operation is never allowed on this node, such as replacing a series' content (`EPERM`).
    public static let notPermitted = Code(value: .notPermitted)
    /// A glob pattern matched nothing (the shell's "no matches found").
    public static let noMatch = Code(value: .noMatch)

    public var description: String {
      switch value {
      case .exists: "file exists"
      case .notFound: "no such file or directory"
      case .notADirectory: "not a directory"
      case .isADirectory: "is a directory"
      case .directoryNotEmpty: "directory not empty"
      case .invalidName: "invalid name"
      case .symlinkLoop: "too many levels of symbolic links"
      case .readOnly: "read-only file system"
      case .crossDevice: "cross-device link (dynamic directory)"
      case .invalidArgument: "invalid argument"
      case .notPermitted: "operation not permitted"
      case .noMatch: "no pond path matches the pattern"
      }
    }
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
