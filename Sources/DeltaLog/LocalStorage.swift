import Foundation

#if canImport(Glibc)
  import Glibc

  private typealias FileStatus = Glibc.stat
  private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Glibc.read(fd, buffer, count)
  }
  private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Glibc.write(fd, buffer, count)
  }
  private func modificationMilliseconds(_ info: FileStatus) -> Int64 {
    Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
  }
#elseif canImport(Darwin)
  import Darwin

  private typealias FileStatus = Darwin.stat
  private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Darwin.read(fd, buffer, count)
  }
  private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Darwin.write(fd, buffer, count)
  }
  private func modificationMilliseconds(_ info: FileStatus) -> Int64 {
    Int64(info.st_mtimespec.tv_sec) * 1000 + Int64(info.st_mtimespec.tv_nsec) / 1_000_000
  }
#endif

/// `Storage` over a local directory, with POSIX calls.
///
/// `writeIfAbsent` writes `<dir>/_commit_<uuid>.json.tmp`, stamps its mtime, fsyncs it, `link()`s it to the
/// final name (EEXIST means another writer won), unlinks the temporary name and fsyncs the directory. The final
/// name therefore appears complete, durable and with its final mtime, or not at all: never empty or torn, which
/// `O_CREAT|O_EXCL` followed by a write could leave behind (delta-parquet.md §2.9).
public struct LocalStorage: Storage {
  /// The directory holding the table (the table root).
  public let root: String

  public init(root: String) {
    self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
  }

  public func list(prefix: String) throws(StorageError) -> [StorageEntry] {
    let directory: String
    let namePrefix: String
    if let slash = prefix.lastIndex(of: "/") {
      directory = String(prefix[...slash])
      namePrefix = String(prefix[prefix.index(after: slash)...])
    } else {
      directory = ""
      namePrefix = prefix
    }
    if !directory.isEmpty { try Self.validate(String(directory.dropLast())) }
    let directoryPath = directory.isEmpty ? root : root + "/" + directory
    guard let handle = opendir(directoryPath) else {
      let code = errno
      if code == ENOENT || code == ENOTDIR { return [] }
      throw Self.failure(code, key: prefix, "opendir \(directoryPath)")
    }
    defer { closedir(handle) }
    var entries: [StorageEntry] = []
    while true {
      errno = 0
      guard let entry = readdir(handle) else {
        if errno != 0 { throw Self.failure(errno, key: prefix, "readdir \(directoryPath)") }
        break
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name != ".", name != "..", name.hasPrefix(namePrefix) else { continue }
      // Between readdir and stat the object may vanish (a racing writer's temporary file): skip it then.
      if let found = try stat(directory + name) { entries.append(found) }
    }
    return entries
  }

  public func read(_ key: String) throws(StorageError) -> [UInt8] {
    try Self.validate(key)
    let path = fullPath(key)
    let fd = Self.retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else {
      let code = errno
      if code == ENOENT { throw StorageError(.notFound, key: key, "no such object") }
      throw Self.failure(code, key: key, "open for reading")
    }
    defer { close(fd) }
    var info = FileStatus()
    guard fstat(fd, &info) == 0 else { throw Self.failure(errno, key: key, "fstat") }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(info.st_size))
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = buffer.withUnsafeMutableBytes { raw in
        Self.retryingEINTR { systemRead(fd, raw.baseAddress, raw.count) }
      }
      if count < 0 { throw Self.failure(errno, key: key, "read") }
      if count == 0 { break }
      bytes.append(contentsOf: buffer[0..<count])
    }
    return bytes
  }

  public func read(_ key: String, offset: Int64, length: Int) throws(StorageError) -> [UInt8] {
    try Self.validate(key)
    precondition(offset >= 0 && length >= 0, "negative range \(offset), \(length)")
    let path = fullPath(key)
    let fd = Self.retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else {
      let code = errno
      if code == ENOENT { throw StorageError(.notFound, key: key, "no such object") }
      throw Self.failure(code, key: key, "open for reading")
    }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: length)
    var filled = 0
    while filled < length {
      let count = bytes.withUnsafeMutableBytes { raw in
        Self.retryingEINTR {
          pread(fd, raw.baseAddress! + filled, length - filled, off_t(offset) + off_t(filled))
        }
      }
      if count < 0 { throw Self.failure(errno, key: key, "pread") }
      if count == 0 { break }
      filled += count
    }
    bytes.removeSubrange(filled...)
    return bytes
  }

  public func stat(_ key: String) throws(StorageError) -> StorageEntry? {
    try Self.validate(key)
    var info = FileStatus()
    guard posixStat(fullPath(key), &info) == 0 else {
      let code = errno
      if code == ENOENT || code == ENOTDIR { return nil }
      throw Self.failure(code, key: key, "stat")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return StorageEntry(
      key: key, size: Int64(info.st_size), modificationTime: modificationMilliseconds(info))
  }

  public func writeIfAbsent(_ key: String, _ bytes: [UInt8], modificationTime: Int64?)
    throws(StorageError) -> WriteIfAbsentResult
  {
    try Self.validate(key)
    let (directory, _) = split(key)
    try makeDirectories(directory, key: key)
    let temporary = directoryPath(directory) + "/_commit_\(UUID().uuidString.lowercased()).json.tmp"
    try writeDurably(temporary, bytes, modificationTime: modificationTime, key: key)
    if link(temporary, fullPath(key)) != 0 {
      let code = errno
      unlink(temporary)
      if code == EEXIST { return .alreadyExists }
      throw Self.failure(code, key: key, "link \(temporary)")
    }
    unlink(temporary)
    try syncDirectory(directory, key: key)
    return .written
  }

  public func put(_ key: String, _ bytes: [UInt8]) throws(StorageError) {
    try Self.validate(key)
    let (directory, _) = split(key)
    try makeDirectories(directory, key: key)
    let temporary = directoryPath(directory) + "/_put_\(UUID().uuidString.lowercased()).tmp"
    try writeDurably(temporary, bytes, modificationTime: nil, key: key)
    if rename(temporary, fullPath(key)) != 0 {
      let code = errno
      unlink(temporary)
      throw Self.failure(code, key: key, "rename \(temporary)")
    }
    try syncDirectory(directory, key: key)
  }

  /// How much of a source file `put(_:contentsOf:observe:)` copies at a time.
  public static let copyChunkSize = 1 << 20

  public func put(
    _ key: String, contentsOf localPath: String, observe: (UnsafeRawBufferPointer) -> Void
  ) throws(StorageError) -> Int64 {
    try Self.validate(key)
    let source = Self.retryingEINTR { open(localPath, O_RDONLY | O_CLOEXEC) }
    guard source >= 0 else { throw Self.failure(errno, key: key, "open source \(localPath)") }
    defer { close(source) }
    let (directory, _) = split(key)
    try makeDirectories(directory, key: key)
    let temporary = directoryPath(directory) + "/_put_\(UUID().uuidString.lowercased()).tmp"
    let fd = Self.retryingEINTR { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
    guard fd >= 0 else { throw Self.failure(errno, key: key, "create \(temporary)") }
    var failure: StorageError?
    var total: Int64 = 0
    var buffer = [UInt8](repeating: 0, count: Self.copyChunkSize)
    buffer.withUnsafeMutableBytes { raw in
      copying: while true {
        let count = Self.retryingEINTR { systemRead(source, raw.baseAddress, raw.count) }
        if count < 0 {
          failure = Self.failure(errno, key: key, "read source \(localPath)")
          break
        }
        if count == 0 { break }
        let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
        observe(chunk)
        var written = 0
        while written < count {
          let wrote = Self.retryingEINTR {
            systemWrite(fd, chunk.baseAddress! + written, count - written)
          }
          if wrote < 0 {
            failure = Self.failure(errno, key: key, "write \(temporary)")
            break copying
          }
          written += wrote
        }
        total += Int64(count)
      }
    }
    if failure == nil, Self.retryingEINTR({ fsync(fd) }) != 0 {
      failure = Self.failure(errno, key: key, "fsync \(temporary)")
    }
    if close(fd) != 0, failure == nil {
      failure = Self.failure(errno, key: key, "close \(temporary)")
    }
    if failure == nil, rename(temporary, fullPath(key)) != 0 {
      failure = Self.failure(errno, key: key, "rename \(temporary)")
    }
    if let failure {
      unlink(temporary)
      throw failure
    }
    try syncDirectory(directory, key: key)
    return total
  }

  // MARK: - Helpers

  private func fullPath(_ key: String) -> String { root + "/" + key }

  private func directoryPath(_ directory: String) -> String {
    directory.isEmpty ? root : root + "/" + directory
  }

  /// Splits a key into its directory (without the trailing `/`, "" for the root) and its name.
  private func split(_ key: String) -> (String, String) {
    guard let slash = key.lastIndex(of: "/") else { return ("", key) }
    return (String(key[..<slash]), String(key[key.index(after: slash)...]))
  }

  private static func validate(_ key: String) throws(StorageError) {
    let components = key.split(separator: "/", omittingEmptySubsequences: false)
    guard !key.isEmpty, !key.contains("\0"),
      components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
    else {
      throw StorageError(
        .invalidKey, key: key,
        "keys are relative, '/'-separated, without empty, '.' or '..' components")
    }
  }

  /// Creates the root and `directory` (root-relative) as needed; a new directory's entry is made durable
  /// by fsyncing its parent, so a committed file can never vanish with its directory after a power cut.
  private func makeDirectories(_ directory: String, key: String) throws(StorageError) {
    var paths = [root]
    var path = root
    for component in directory.split(separator: "/") {
      path += "/" + component
      paths.append(path)
    }
    for (index, path) in paths.enumerated() {
      if mkdir(path, 0o755) == 0 {
        guard index > 0 else { continue }
        try syncDirectoryPath(paths[index - 1], key: key)
      } else if errno != EEXIST {
        throw Self.failure(errno, key: key, "mkdir \(path)")
      }
    }
  }

  /// Creates `path` (which must not exist), writes `bytes`, sets the mtime, fsyncs and closes it.
  private func writeDurably(_ path: String, _ bytes: [UInt8], modificationTime: Int64?, key: String)
    throws(StorageError)
  {
    let fd = Self.retryingEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
    guard fd >= 0 else { throw Self.failure(errno, key: key, "create \(path)") }
    var failure: StorageError?
    var written = 0
    while written < bytes.count {
      let count = bytes.withUnsafeBytes { raw in
        Self.retryingEINTR { systemWrite(fd, raw.baseAddress! + written, raw.count - written) }
      }
      if count < 0 {
        failure = Self.failure(errno, key: key, "write \(path)")
        break
      }
      written += count
    }
    if failure == nil, let modificationTime {
      let seconds = modificationTime.quotientFloor(1000)
      let milliseconds = modificationTime - seconds * 1000
      var times = [
        timespec(tv_sec: time_t(seconds), tv_nsec: Int(milliseconds) * 1_000_000),
        timespec(tv_sec: time_t(seconds), tv_nsec: Int(milliseconds) * 1_000_000),
      ]
      // utimensat(2) on the open descriptor (futimens): the final name is linked only afterwards.
      if futimens(fd, &times) != 0 { failure = Self.failure(errno, key: key, "futimens \(path)") }
    }
    if failure == nil, Self.retryingEINTR({ fsync(fd) }) != 0 {
      failure = Self.failure(errno, key: key, "fsync \(path)")
    }
    if close(fd) != 0, failure == nil { failure = Self.failure(errno, key: key, "close \(path)") }
    if let failure {
      unlink(path)
      throw failure
    }
  }

  private func syncDirectory(_ directory: String, key: String) throws(StorageError) {
    try syncDirectoryPath(directoryPath(directory), key: key)
  }

  private func syncDirectoryPath(_ path: String, key: String) throws(StorageError) {
    let fd = Self.retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    guard fd >= 0 else { throw Self.failure(errno, key: key, "open directory \(path)") }
    defer { close(fd) }
    if Self.retryingEINTR({ fsync(fd) }) != 0 {
      throw Self.failure(errno, key: key, "fsync directory \(path)")
    }
  }

  /// The single place that retries a system call interrupted by a signal.
  private static func retryingEINTR<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    while true {
      let result = call()
      if result < 0 && errno == EINTR { continue }
      return result
    }
  }

  private static func failure(_ code: Int32, key: String, _ operation: String) -> StorageError {
    StorageError(.io, key: key, "\(operation): \(String(cString: strerror(code))) (errno \(code))")
  }
}

/// stat(2); a free function because `LocalStorage.stat(_:)` shadows the C name inside the type.
private func posixStat(_ path: String, _ info: inout FileStatus) -> Int32 {
  stat(path, &info)
}

extension Int64 {
  /// Division rounding toward negative infinity.
  func quotientFloor(_ divisor: Int64) -> Int64 {
    let q = self / divisor
    return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
  }
}
