public import SystemPackage

/// Operations on paths of the local file system, and atomic publishing of finished files.
///
/// Publishing: write the whole file under a temporary name in the target's directory (a `PendingFile`, or
/// an `OpenFile` you `sync()` and `close()`), then give it its final name with `publishIfAbsent` (`link`: the
/// final name appears complete or not at all, and an existing file is never replaced) or `publishReplacing`
/// (`rename`: readers see the old file or the new one, never a torn mix). Both then `fsync` the directory so
/// the new name survives a power cut. All calls block.
public enum LocalFiles {
  /// The type, size and modification time of `path`, or nil when nothing is there (`ENOENT`, `ENOTDIR`).
  ///
  /// - Parameter followsLinks: `false` describes a symbolic link itself (`lstat`), even a dangling one.
  ///
  /// The corresponding C function is `stat` or `lstat`.
  public static func status(_ path: String, followsLinks: Bool = true) throws(FileIOError)
    -> FileStatus?
  {
    do {
      return try existingStatus(path, followsLinks: followsLinks)
    } catch {
      if error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory { return nil }
      throw error
    }
  }

  /// The type, size and modification time of `path`, which must exist: a missing path is an error
  /// (`ENOENT`, or `ENOTDIR` when a directory in the path is a file).
  public static func existingStatus(_ path: String, followsLinks: Bool = true) throws(FileIOError)
    -> FileStatus
  {
    do {
      return FileStatus(try FilePath(path).stat(followTargetSymlink: followsLinks))
    } catch {
      throw FileIOError(.status, path: path, errno: error)
    }
  }

  /// The whole file at `path`.
  public static func readFile(_ path: String) throws(FileIOError) -> [UInt8] {
    try OpenFile(readingAt: path).readToEnd()
  }

  /// Gives the finished file `temporary` the name `path` unless something already has it, removes the
  /// temporary name (always) and, once published, fsyncs the directory of `path` (when `durable`).
  ///
  /// `temporary` must be in the same directory (file system) as `path`. The corresponding C functions are
  /// `link`, `unlink` and `fsync`.
  @discardableResult
  public static func publishIfAbsent(_ temporary: String, as path: String, durable: Bool = true)
    throws(FileIOError) -> PutIfAbsentResult
  {
    let linked = SystemCall.link(temporary, path)
    try? remove(temporary)
    switch linked {
    case .failure(.fileExists): return .alreadyExists
    case .failure(let code): throw FileIOError(.link, path: path, errno: code)
    case .success: break
    }
    if durable { try syncDirectory(parentDirectory(of: path)) }
    return .created
  }

  /// Creates the file `path` with `bytes` unless something already has that name, atomically and (when
  /// `durable`) durably: written and flushed under a temporary name, then linked, then the directory
  /// flushed. `path`'s directory must exist.
  ///
  /// - Parameter modificationTime: milliseconds since 1970 to stamp on the new file.
  public static func putIfAbsent(
    _ bytes: [UInt8], at path: String, modificationTime: Int64? = nil, durable: Bool = true
  ) throws(FileIOError) -> PutIfAbsentResult {
    let pending = try PendingFile(publishingAs: path)
    try pending.write(bytes)
    return try pending.publishIfAbsent(modificationTime: modificationTime, durable: durable)
  }

  /// Replaces (or creates) the file `path` with `bytes` atomically and (when `durable`) durably: written and
  /// flushed under a temporary name, renamed, then the directory flushed. `path`'s directory must exist.
  public static func putReplacing(
    _ bytes: [UInt8], at path: String, modificationTime: Int64? = nil, durable: Bool = true
  ) throws(FileIOError) {
    let pending = try PendingFile(publishingAs: path)
    try pending.write(bytes)
    try pending.publishReplacing(modificationTime: modificationTime, durable: durable)
  }

  /// Renames the finished file `temporary` to `path`, replacing what is there, and fsyncs the directory of
  /// `path` (when `durable`). On failure the temporary file is removed.
  ///
  /// The corresponding C functions are `rename` and `fsync`.
  public static func publishReplacing(_ temporary: String, as path: String, durable: Bool = true)
    throws(FileIOError)
  {
    if case .failure(let code) = SystemCall.rename(temporary, path) {
      try? remove(temporary)
      throw FileIOError(.rename, path: path, errno: code)
    }
    if durable { try syncDirectory(parentDirectory(of: path)) }
  }

  /// Flushes the entries of the directory at `path` (new, renamed or removed names) to stable storage.
  ///
  /// The corresponding C functions are `open` (`O_DIRECTORY`) and `fsync`.
  public static func syncDirectory(_ path: String) throws(FileIOError) {
    let descriptor = try OpenFile.open(
      path, .readOnly, options: [.directory, .closeOnExec], as: .syncDirectory)
    defer { try? descriptor.close() }
    try SystemCall.fsync(descriptor)
      .mapError { FileIOError(.syncDirectory, path: path, errno: $0) }.get()
    DirectorySyncLog.record(path)
  }

  /// The directory part of `path`: "." for a bare name, "/" for a name in the root.
  public static func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// Creates the directory `path`; returns false when something already exists there (`EEXIST`).
  ///
  /// The corresponding C function is `mkdir`.
  @discardableResult
  public static func makeDirectory(_ path: String) throws(FileIOError) -> Bool {
    switch SystemCall.mkdir(
      path, [.ownerReadWriteExecute, .groupRead, .groupExecute, .otherRead, .otherExecute])
    {
    case .success: return true
    case .failure(.fileExists):
      // Something is there: fine when it is a directory, an error (ENOTDIR) when it is a file.
      guard try status(path, followsLinks: true)?.isDirectory == true else {
        throw FileIOError(.makeDirectory, path: path, errno: .notDirectory)
      }
      return false
    case .failure(let code): throw FileIOError(.makeDirectory, path: path, errno: code)
    }
  }

  /// Creates the directory `path` and its missing ancestors. When `durable`, each new directory's entry is
  /// made durable by fsyncing its parent, so a file published inside cannot vanish with its directory.
  public static func makeDirectories(_ path: String, durable: Bool = true) throws(FileIOError) {
    do {
      guard try makeDirectory(path) else { return }
    } catch  where error.errno == .noSuchFileOrDirectory && parentDirectory(of: path) != path {
      try makeDirectories(parentDirectory(of: path), durable: durable)
      try makeDirectory(path)
    }
    if durable { try syncDirectory(parentDirectory(of: path)) }
  }

  /// The names in the directory `path` (without `.` and `..`, in no particular order), or nil when there is
  /// no such directory (`ENOENT`, `ENOTDIR`). The corresponding C functions are `opendir` and `readdir`.
  public static func names(inDirectory path: String) throws(FileIOError) -> [String]? {
    try entries(inDirectory: path)?.map(\.name)
  }

  /// The names in the directory `path` with the type `readdir` reports, or nil when there is no such
  /// directory.
  static func entries(inDirectory path: String) throws(FileIOError) -> [SystemCall.NameInDirectory]?
  {
    switch SystemCall.directoryEntries(path) {
    case .success(let entries): return entries
    case .failure(.noSuchFileOrDirectory), .failure(.notDirectory): return nil
    case .failure(let code): throw FileIOError(.readDirectory, path: path, errno: code)
    }
  }

  /// Removes the name `path`; a name that is already gone (`ENOENT`, `ENOTDIR`) is not an error.
  ///
  /// The corresponding C function is `unlink`.
  public static func remove(_ path: String) throws(FileIOError) {
    switch SystemCall.unlink(path) {
    case .success, .failure(.noSuchFileOrDirectory), .failure(.notDirectory): return
    case .failure(let code): throw FileIOError(.remove, path: path, errno: code)
    }
  }

  /// The target a symbolic link at `path` holds. The corresponding C function is `readlink`.
  public static func symbolicLinkTarget(_ path: String) throws(FileIOError) -> String {
    try SystemCall.readSymbolicLink(path).mapError {
      FileIOError(.readSymbolicLink, path: path, errno: $0)
    }
    .get()
  }

  /// Creates a symbolic link at `path` (which must not exist) holding `target`.
  ///
  /// The corresponding C function is `symlink`.
  public static func makeSymbolicLink(_ path: String, target: String) throws(FileIOError) {
    try SystemCall.makeSymbolicLink(target, path).mapError {
      FileIOError(.makeSymbolicLink, path: path, errno: $0)
    }.get()
  }

  /// True when the file system holding `path` is mounted read-only (false when that cannot be told).
  ///
  /// The corresponding C function is `statvfs`.
  public static func isOnReadOnlyFileSystem(_ path: String) -> Bool {
    SystemCall.isReadOnlyFileSystem(path)
  }

  /// Removes `path` and, when it is a directory, everything below it (symbolic links are removed, never
  /// followed); a missing `path` is not an error. For a tree this process made and never published (an
  /// unfinished restore).
  public static func removeTree(_ path: String) throws(FileIOError) {
    if let entries = try entries(inDirectory: path) {
      for entry in entries {
        let child = path + "/" + entry.name
        var isDirectory = entry.kind == .directory
        if entry.kind == .unknown {
          isDirectory = try status(child, followsLinks: false)?.isDirectory == true
        }
        if isDirectory {
          try removeTree(child)
        } else {
          try remove(child)
        }
      }
      try removeDirectory(path)
    } else {
      try remove(path)
    }
  }

  /// Removes the empty directory `path`. The corresponding C function is `rmdir`.
  public static func removeDirectory(_ path: String) throws(FileIOError) {
    try SystemCall.rmdir(path).mapError { FileIOError(.removeDirectory, path: path, errno: $0) }
      .get()
  }
}
