public import SystemPackage

/// A file operation failed: which operation, on which path, the system's `errno`, and what the user can do.
public struct FileIOError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was being done when the system refused.
  public struct Operation: Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
      case openForReading, openForUpdate, create, lock, read, write, sync, close, status,
        setModificationTime
      case link, rename, remove, makeDirectory, readDirectory, syncDirectory, removeDirectory
      case readSymbolicLink, makeSymbolicLink
    }
    private let code: Code
    private init(_ code: Code) { self.code = code }

    /// `open` of an existing file for reading.
    public static let openForReading = Operation(.openForReading)
    /// `open` for reading and writing, creating a missing file.
    public static let openForUpdate = Operation(.openForUpdate)
    /// `flock`.
    public static let lock = Operation(.lock)
    /// `open` with `O_CREAT | O_EXCL`: the file must not exist yet.
    public static let create = Operation(.create)
    /// `read` or `pread`.
    public static let read = Operation(.read)
    /// `write`.
    public static let write = Operation(.write)
    /// `fsync` of a file.
    public static let sync = Operation(.sync)
    /// `close`.
    public static let close = Operation(.close)
    /// `stat`, `lstat` or `fstat`.
    public static let status = Operation(.status)
    /// `futimens`.
    public static let setModificationTime = Operation(.setModificationTime)
    /// `link` of a finished temporary file to its final name (publish if absent).
    public static let link = Operation(.link)
    /// `rename` of a finished temporary file over its final name (publish, replacing).
    public static let rename = Operation(.rename)
    /// `unlink`.
    public static let remove = Operation(.remove)
    /// `mkdir`.
    public static let makeDirectory = Operation(.makeDirectory)
    /// `opendir` / `readdir`.
    public static let readDirectory = Operation(.readDirectory)
    /// `open` and `fsync` of a directory, making its entries durable.
    public static let syncDirectory = Operation(.syncDirectory)
    /// `rmdir`.
    public static let removeDirectory = Operation(.removeDirectory)
    /// `readlink`.
    public static let readSymbolicLink = Operation(.readSymbolicLink)
    /// `symlink`.
    public static let makeSymbolicLink = Operation(.makeSymbolicLink)

    /// A verb phrase that reads well after "cannot" and before the path.
    public var description: String {
      switch code {
      case .openForReading: "open for reading"
      case .openForUpdate: "open for writing"
      case .lock: "lock"
      case .create: "create (it must not exist yet)"
      case .read: "read"
      case .write: "write"
      case .sync: "fsync"
      case .close: "close"
      case .status: "stat"
      case .setModificationTime: "set the modification time of"
      case .link: "link a finished file to"
      case .rename: "rename a finished file to"
      case .remove: "remove"
      case .makeDirectory: "create directory"
      case .readDirectory: "read directory"
      case .syncDirectory: "fsync directory"
      case .removeDirectory: "remove directory"
      case .readSymbolicLink: "read the symbolic link"
      case .makeSymbolicLink: "create the symbolic link"
      }
    }
  }

  /// The operation that failed.
  public let operation: Operation
  /// The file or directory concerned (for publishing: the final name).
  public let path: String
  /// The system's error number.
  public let errno: Errno

  public init(_ operation: Operation, path: String, errno: Errno) {
    self.operation = operation
    self.path = path
    self.errno = errno
  }

  /// The raw `errno` value.
  public var errorNumber: Int32 { errno.rawValue }

  /// What the user can do about `errno` on `path`, when there is something to say.
  public var hint: String? { Self.hint(for: errno, path: path) }

  /// What the user can do about `errno` on `path`; shared with callers that build their own errors.
  public static func hint(for errno: Errno, path: String) -> String? {
    switch errno {
    case .noSpace, .diskQuotaExceeded: "the disk is full: free space and retry"
    case .permissionDenied, .notPermitted: "check the permissions of \(path) and its directories"
    case .readOnlyFileSystem:
      "the file system is read-only: remount it read-write or use another directory"
    case .noSuchFileOrDirectory: "check that \(path) and its directories exist"
    case .fileExists: "\(path) already exists: remove it or choose another name"
    case .isDirectory: "\(path) is a directory: give the path of a file"
    case .notDirectory: "a directory in \(path) is a file: check the path"
    case .tooManyOpenFiles, .tooManyOpenFilesInSystem:
      "too many open files: raise the limit (ulimit -n)"
    case .fileTooLarge: "the file exceeds the size limit: check ulimit -f and the file system"
    case .ioError: "the device reported an I/O error: check the disk"
    case .tooManySymbolicLinkLevels: "\(path) has a symbolic link loop: check the path"
    default: nil
    }
  }

  /// "cannot read /a/b: Permission denied (errno 13); check the permissions of /a/b and its directories".
  public var description: String {
    let base = "cannot \(operation) \(path): \(errno) (errno \(errno.rawValue))"
    guard let hint else { return base }
    return base + "; " + hint
  }
}
