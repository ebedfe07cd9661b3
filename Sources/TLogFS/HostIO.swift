import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Small POSIX helpers for host files: errors become `PondError`s naming the path.
enum HostIO {
  static func failure(_ path: String, _ what: String, _ code: Int32 = errno, hint: String? = nil)
    -> PondError
  {
    let reason = String(cString: strerror(code))
    var advice = hint
    if advice == nil {
      switch code {
      case EACCES, EPERM: advice = "check the permissions of \(path)"
      case ENOSPC, EDQUOT: advice = "the disk is full; free space and retry"
      case EROFS: advice = "the file system is read-only"
      default: break
      }
    }
    return PondError(.io, path: path, "cannot \(what): \(reason) (errno \(code))", hint: advice)
  }

  /// The whole file at `path`.
  static func readFile(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(path, "open for reading") }
    defer { close(descriptor) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw failure(path, "read")
      }
      if count == 0 { break }
      result += buffer[0..<count]
    }
    return result
  }

  /// Writes `bytes` to a new temporary file next to `path`, fsyncs it, renames it over `path` and fsyncs the
  /// directory: `path` holds the old bytes or the new ones, never a torn mix. Without `durable` the fsyncs are
  /// skipped (for caches that detect their own damage): a crash may then leave an empty or old file.
  static func writeAtomically(_ path: String, _ bytes: [UInt8], durable: Bool = true) throws {
    let temporary = path + ".tmp-\(UUID().uuidString.lowercased())"
    let writer = try FileWriter(creating: temporary)
    do {
      try writer.write(bytes)
      try writer.syncAndClose(durable: durable)
      guard rename(temporary, path) == 0 else { throw failure(path, "rename \(temporary) to") }
    } catch {
      unlink(temporary)
      throw error
    }
    if durable { try syncDirectory(parent(of: path)) }
  }

  static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  static func syncDirectory(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(path, "open the directory") }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw failure(path, "fsync the directory") }
  }

  static func makeDirectory(_ path: String) throws {
    if mkdir(path, 0o755) != 0 && errno != EEXIST { throw failure(path, "create the directory") }
  }

  /// The kind and size of a host path, following symbolic links; nil when it does not exist.
  static func status(_ path: String) throws -> (isDirectory: Bool, isRegular: Bool, size: Int64)? {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT || errno == ENOTDIR { return nil }
      throw failure(path, "stat")
    }
    let kind = info.st_mode & S_IFMT
    return (kind == S_IFDIR, kind == S_IFREG, Int64(info.st_size))
  }
}

/// A new file opened for writing (`O_EXCL`), removed again unless `syncAndClose` succeeds.
final class FileWriter {
  let path: String
  private var descriptor: Int32
  private var done = false

  init(creating path: String) throws {
    self.path = path
    descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw HostIO.failure(path, "create") }
  }

  deinit {
    if !done {
      close(descriptor)
      unlink(path)
    }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if count < 0 {
        if errno == EINTR { continue }
        throw HostIO.failure(path, "write")
      }
      offset += count
    }
  }

  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  func syncAndClose(durable: Bool = true) throws {
    guard !durable || fsync(descriptor) == 0 else { throw HostIO.failure(path, "fsync") }
    let result = close(descriptor)
    done = true
    guard result == 0 else {
      unlink(path)
      throw HostIO.failure(path, "close")
    }
  }
}

/// A file opened for reading in chunks.
final class FileReader {
  let path: String
  private let descriptor: Int32

  init(_ path: String) throws {
    self.path = path
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw HostIO.failure(path, "open for reading") }
  }

  deinit { close(descriptor) }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    while true {
      let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
      if count >= 0 { return count }
      if errno != EINTR { throw HostIO.failure(path, "read") }
    }
  }
}
