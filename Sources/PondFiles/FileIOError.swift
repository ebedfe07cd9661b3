public import SystemPackage

/// A file operation failed: which operation, on which path, the system's `errno`, and what the user can do.
public struct FileIOError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was being done when the system refused.
  public struct Operation: Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// `open` of an existing file for reading.
    public static let openForReading = Operation("open for reading")
    /// `open` for reading and writing, creating a missing file.
    public static let openForUpdate = Operation("open for writing")
    /// `flock`.
    public static let lock = Operation("lock")
    /// `open` with `O_CREAT | O_EXCL`: the file must not exist yet.
    public static let create = Operation("create (it must not exist yet)")
    /// `read` or `pread`.
    public static let read = Operation("read")
    /// `write`.
    public static let write = Operation("write")
    /// `fsync` of a file.
    public static let sync = Operation("fsync")
    /// `close`.
    public static let close = Operation("close")
    /// `stat`, `lstat` or `fstat`.
    public static let status = Operation("stat")
    /// `futimens`.
    public static let setModificationTime = Operation("set the modification time of")
    /// `link` of a finished temporary file to its final name (publish if absent).
    public static let link = Operation("link a finished file to")
    /// `rename` of a finished temporary file over its final name (publish, replacing).
    public static let rename = Operation("rename a finished file to")
    /// `unlink`.
    public static let remove = Operation("remove")
    /// `mkdir`.
    public static let makeDirectory = Operation("create directory")
    /// `opendir` / `readdir`.
    public static let readDirectory = Operation("read directory")
    /// `open` and `fsync` of a directory, making its entries durable.
    public static let syncDirectory = Operation("fsync directory")
    /// `rmdir`.
    public static let removeDirectory = Operation("remove directory")
    /// `readlink`.
    public static let readSymbolicLink = Operation("read the symbolic link")
    /// `symlink`.
    public static let makeSymbolicLink = Operation("create the symbolic link")

    /// A verb phrase that reads well after "cannot" and before the path.
    public var description: String { name }
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
