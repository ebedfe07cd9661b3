import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An object store in a local directory (`file:///path`): each key is a file under the root. Writes go
/// to a temporary file in the target's directory, are flushed, and are then renamed (put) or hard-linked
/// (put-if-absent) into place, so readers never see a partial object.
public struct FileObjectStore: ObjectStore {
  /// The root directory.
  public let root: URL
  public var url: String { "file://" + root.path }

  /// Temporary files start with this and are never listed.
  static let temporaryPrefix = ".pond-tmp-"
  private static let chunkSize = 1 << 20

  /// Opens the directory at `root`.
  ///
  /// - Parameter createIfMissing: create `root` and its missing ancestors. Off by default: a remote on a
  ///   disk that is not mounted must fail, not quietly fill the filesystem underneath the mount point.
  /// - Throws: `ObjectStoreError` (`.notFound`) when the directory does not exist and may not be created,
  ///   (`.localIO`) when it is not a directory or cannot be examined or created.
  public init(root: URL, createIfMissing: Bool = false) throws {
    self.root = root.standardizedFileURL
    let path = self.root.path
    let store = "file://" + path
    func failure(_ kind: ObjectStoreError.Kind, _ message: String) -> ObjectStoreError {
      ObjectStoreError(kind, store: store, key: nil, operation: "open", message: message)
    }
    if createIfMissing {
      var built = ""
      for component in path.split(separator: "/") {
        built += "/" + component
        if mkdir(built, 0o755) != 0, errno != EEXIST {
          throw failure(
            .localIO, "cannot create directory \(built): \(String(cString: strerror(errno)))")
        }
      }
    }
    var info = stat()
    if stat(path, &info) != 0 {
      if errno == ENOENT {
        throw failure(
          .notFound, "directory \(path) does not exist (is the disk mounted? create it first)")
      }
      throw failure(.localIO, "cannot open directory \(path): \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw failure(.localIO, "\(path) is not a directory")
    }
  }

  private func path(_ key: String, _ operation: String) throws -> String {
    try validateKey(key, store: url, operation: operation)
    let last = key.split(separator: "/").last!
    if last.hasPrefix(Self.temporaryPrefix) {
      throw ObjectStoreError(
        .invalidArgument, store: url, key: key, operation: operation,
        message:
          "keys whose last name starts with \(Self.temporaryPrefix) are reserved for temporary files"
      )
    }
    return root.path + "/" + key
  }

  private func ioError(_ operation: String, _ key: String?, _ what: String, _ code: Int32)
    -> ObjectStoreError
  {
    ObjectStoreError(
      .localIO, store: url, key: key, operation: operation,
      message: "\(what): \(String(cString: strerror(code)))")
  }

  public func put(_ key: String, bytes: [UInt8]) async throws {
    let target = try path(key, "put")
    try await runBlocking {
      let temp = try writeTemporary(for: target, key: key, operation: "put") { fd in
        try bytes.withUnsafeBytes { try writeAll(fd, $0, key: key, operation: "put") }
      }
      try install(temp, at: target, key: key, operation: "put")
    }
  }

  public func put(_ key: String, contentsOf file: URL) async throws {
    let target = try path(key, "put")
    try await runBlocking {
      let source = open(file.path, O_RDONLY | O_CLOEXEC)
      guard source >= 0 else { throw ioError("put", key, "cannot open \(file.path)", errno) }
      defer { close(source) }
      let temp = try writeTemporary(for: target, key: key, operation: "put") { fd in
        try copy(
          from: source, offset: 0, length: nil, to: fd, key: key, operation: "put",
          sourcePath: file.path)
      }
      try install(temp, at: target, key: key, operation: "put")
    }
  }

  public func putIfAbsent(_ key: String, bytes: [UInt8]) async throws -> PutIfAbsentResult {
    let target = try path(key, "put-if-absent")
    return try await runBlocking {
      let temp = try writeTemporary(for: target, key: key, operation: "put-if-absent") { fd in
        try bytes.withUnsafeBytes { try writeAll(fd, $0, key: key, operation: "put-if-absent") }
      }
      defer { unlink(temp) }
      // link() fails with EEXIST instead of replacing: the atomic "create only if absent".
      if link(temp, target) != 0 {
        if errno == EEXIST { return .alreadyExists }
        throw ioError("put-if-absent", key, "cannot link into place", errno)
      }
      syncDirectory(of: target)
      return .created
    }
  }

  public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
    let source = try path(key, "get")
    return try await runBlocking {
      let fd = try openExisting(source, key: key, operation: "get")
      defer { close(fd) }
      let (offset, length) = try resolve(range, fd: fd, key: key)
      var bytes = [UInt8](repeating: 0, count: Int(length))
      try bytes.withUnsafeMutableBytes { buffer in
        var done = 0
        while done < buffer.count {
          let n = pread(
            fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
          if n < 0, errno == EINTR { continue }
          if n < 0 { throw ioError("get", key, "read failed", errno) }
          if n == 0 {
            throw ObjectStoreError(
              .integrity, store: url, key: key, operation: "get",
              message: "the object shrank while being read")
          }
          done += n
        }
      }
      return bytes
    }
  }

  @discardableResult
  public func get(_ key: String, to file: URL, range: ByteRange?) async throws -> ObjectInfo {
    let source = try path(key, "get")
    return try await runBlocking {
      let fd = try openExisting(source, key: key, operation: "get")
      defer { close(fd) }
      let (offset, length) = try resolve(range, fd: fd, key: key)
      let temp = try writeTemporary(for: file.path, key: key, operation: "get") { out in
        try copy(
          from: fd, offset: offset, length: length, to: out, key: key, operation: "get",
          sourcePath: source)
      }
      if rename(temp, file.path) != 0 {
        let code = errno
        unlink(temp)
        throw ioError("get", key, "cannot move the download to \(file.path)", code)
      }
      return ObjectInfo(key: key, size: length, etag: nil, lastModified: modificationDate(fd))
    }
  }

  public func head(_ key: String) async throws -> ObjectInfo? {
    let target = try path(key, "head")
    return try await runBlocking {
      var info = stat()
      if stat(target, &info) != 0 {
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw ioError("head", key, "stat failed", errno)
      }
      guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
      return ObjectInfo(
        key: key, size: Int64(info.st_size),
        lastModified: Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec)))
    }
  }

  public func list(prefix: String, startAfter: String?) async throws -> [ObjectInfo] {
    let rootPath = root.path
    return try await runBlocking {
      var found: [ObjectInfo] = []
      // Only walk the directory the prefix points into.
      let directoryPart = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        .joined(separator: "/")
      try walk(
        rootPath, relative: directoryPart, into: &found, prefix: prefix, startAfter: startAfter)
      return found.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }
    }
  }

  private func walk(
    _ rootPath: String, relative: String, into found: inout [ObjectInfo], prefix: String,
    startAfter: String?
  ) throws {
    let directory = relative.isEmpty ? rootPath : rootPath + "/" + relative
    let entries = try directoryEntries(directory, relative: relative)
    for name in entries where !name.hasPrefix(Self.temporaryPrefix) {
      let key = relative.isEmpty ? name : relative + "/" + name
      var info = stat()
      if lstat(directory + "/" + name, &info) != 0 {
        // Removed between readdir and lstat: no longer an object.
        if errno == ENOENT { continue }
        throw ioError("list", key, "cannot examine \(directory)/\(name)", errno)
      }
      if (info.st_mode & S_IFMT) == S_IFDIR {
        if key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") {
          try walk(rootPath, relative: key, into: &found, prefix: prefix, startAfter: startAfter)
        }
      } else if (info.st_mode & S_IFMT) == S_IFREG, key.hasPrefix(prefix) {
        if let startAfter, !Array(startAfter.utf8).lexicographicallyPrecedes(key.utf8) { continue }
        found.append(
          ObjectInfo(
            key: key, size: Int64(info.st_size),
            lastModified: Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))))
      }
    }
  }

  public func delete(_ key: String) async throws {
    let target = try path(key, "delete")
    let rootPath = root.path
    try await runBlocking {
      if unlink(target) != 0, errno != ENOENT, errno != ENOTDIR {
        throw ioError("delete", key, "cannot remove", errno)
      }
      // Object stores have no directories: drop parents the delete left empty.
      var parent = (target as NSString).deletingLastPathComponent
      while parent.count > rootPath.count, rmdir(parent) == 0 {
        parent = (parent as NSString).deletingLastPathComponent
      }
    }
  }

  // MARK: - Blocking helpers (run inside runBlocking)

  /// The names in `directory`; none when it does not exist (nothing was ever stored under it). Any other
  /// failure (permissions, I/O) is an error: a listing is never silently shortened.
  private func directoryEntries(_ directory: String, relative: String) throws -> [String] {
    guard let handle = opendir(directory) else {
      if errno == ENOENT || errno == ENOTDIR { return [] }
      throw ioError(
        "list", relative.isEmpty ? nil : relative, "cannot read directory \(directory)", errno)
    }
    defer { closedir(handle) }
    var names: [String] = []
    while true {
      errno = 0
      guard let entry = readdir(handle) else {
        if errno != 0 {
          throw ioError(
            "list", relative.isEmpty ? nil : relative, "cannot read directory \(directory)", errno)
        }
        break
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  private func openExisting(_ path: String, key: String, operation: String) throws -> Int32 {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT || errno == ENOTDIR || errno == EISDIR {
        throw ObjectStoreError(
          .notFound, store: url, key: key, operation: operation, message: "no such object")
      }
      throw ioError(operation, key, "cannot open", errno)
    }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
      close(fd)
      throw ObjectStoreError(
        .notFound, store: url, key: key, operation: operation, message: "no such object")
    }
    return fd
  }

  private func resolve(_ range: ByteRange?, fd: Int32, key: String) throws -> (Int64, Int64) {
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw ioError("get", key, "stat failed", errno) }
    let size = Int64(info.st_size)
    guard let range else { return (0, size) }
    guard range.offset < size else {
      throw ObjectStoreError(
        .invalidRange, store: url, key: key, operation: "get",
        message: "range \(range) starts beyond the object's \(size) bytes")
    }
    let end = min(size, range.length.map { range.offset + $0 } ?? size)
    return (range.offset, end - range.offset)
  }

  private func modificationDate(_ fd: Int32) -> Date? {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    return Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
  }

  /// Creates a temporary file next to `target` (making parent directories), fills it, flushes it, and
  /// returns its path. The file is removed if filling fails.
  private func writeTemporary(
    for target: String, key: String, operation: String, fill: (Int32) throws -> Void
  ) throws -> String {
    let directory = (target as NSString).deletingLastPathComponent
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw ObjectStoreError(
        .localIO, store: url, key: key, operation: operation,
        message: "cannot create directory \(directory): \(error.localizedDescription)")
    }
    let temp = directory + "/" + Self.temporaryPrefix + UUID().uuidString
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ioError(operation, key, "cannot create a temporary file in \(directory)", errno)
    }
    do {
      try fill(fd)
      if fsync(fd) != 0 { throw ioError(operation, key, "fsync failed", errno) }
      close(fd)
    } catch {
      close(fd)
      unlink(temp)
      throw error
    }
    return temp
  }

  private func install(_ temp: String, at target: String, key: String, operation: String) throws {
    if rename(temp, target) != 0 {
      let code = errno
      unlink(temp)
      throw ioError(operation, key, "cannot move into place", code)
    }
    syncDirectory(of: target)
  }

  private func syncDirectory(of path: String) {
    let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
  }

  private func writeAll(
    _ fd: Int32, _ bytes: UnsafeRawBufferPointer, key: String, operation: String
  ) throws {
    var done = 0
    while done < bytes.count {
      let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0, errno == EINTR { continue }
      if n < 0 { throw ioError(operation, key, "write failed", errno) }
      done += n
    }
  }

  private func copy(
    from source: Int32, offset: Int64, length: Int64?, to target: Int32, key: String,
    operation: String,
    sourcePath: String
  ) throws {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    var position = offset
    var remaining = length ?? Int64.max
    while remaining > 0 {
      let want = Int(min(Int64(buffer.count), remaining))
      let n = pread(source, buffer.baseAddress!, want, off_t(position))
      if n < 0, errno == EINTR { continue }
      if n < 0 { throw ioError(operation, key, "cannot read \(sourcePath)", errno) }
      if n == 0 {
        if length == nil { break }
        throw ObjectStoreError(
          .integrity, store: url, key: key, operation: operation,
          message: "\(sourcePath) shrank while being copied")
      }
      try writeAll(
        target, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), key: key, operation: operation)
      position += Int64(n)
      remaining -= Int64(n)
    }
  }
}
