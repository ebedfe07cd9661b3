#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Owns one open file descriptor and closes it exactly once.
final class FileDescriptor: @unchecked Sendable {
  // Safe to share: `rawValue` never changes after init, reads use `pread` (no shared file offset), and the
  // descriptor is closed only in deinit, when no other reference exists.
  let rawValue: Int32
  let path: String

  private init(rawValue: Int32, path: String) {
    self.rawValue = rawValue
    self.path = path
  }

  deinit { close(rawValue) }

  static func errorText() -> String { String(cString: strerror(errno)) }

  /// Opens `path` for reading. The corresponding C function is `open`.
  static func openForReading(_ path: String) throws(ParquetError) -> FileDescriptor {
    let fd = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else {
      throw ParquetError(path: path, kind: .io, reason: "cannot open for reading: \(errorText())")
    }
    return FileDescriptor(rawValue: fd, path: path)
  }

  /// Creates `path`, which must not exist yet. The corresponding C function is `open` with `O_EXCL`.
  static func createNew(_ path: String, readable: Bool = false) throws(ParquetError)
    -> FileDescriptor
  {
    let access = readable ? O_RDWR : O_WRONLY
    let fd = retryingInterrupts { open(path, access | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
    guard fd >= 0 else {
      throw ParquetError(
        path: path, kind: .io, reason: "cannot create (it must not exist yet): \(errorText())")
    }
    return FileDescriptor(rawValue: fd, path: path)
  }

  private static func retryingInterrupts(_ body: () -> Int32) -> Int32 {
    while true {
      let result = body()
      if result >= 0 || errno != EINTR { return result }
    }
  }

  /// The file's current size. The corresponding C function is `fstat`.
  func size() throws(ParquetError) -> Int64 {
    var info = stat()
    guard fstat(rawValue, &info) == 0 else {
      throw ParquetError(path: path, kind: .io, reason: "cannot stat: \(Self.errorText())")
    }
    return Int64(info.st_size)
  }

  /// Writes all of `buffer` at the current offset. The corresponding C function is `write`.
  func writeAll(_ buffer: UnsafeRawBufferPointer) throws(ParquetError) {
    var done = 0
    while done < buffer.count {
      let result = write(rawValue, buffer.baseAddress! + done, buffer.count - done)
      if result < 0 {
        if errno == EINTR { continue }
        throw ParquetError(path: path, kind: .io, reason: "write failed: \(Self.errorText())")
      }
      done += result
    }
  }

  func writeAll(_ bytes: [UInt8]) throws(ParquetError) {
    let failure = bytes.withUnsafeBytes { buffer -> ParquetError? in
      do throws(ParquetError) { try writeAll(buffer) } catch { return error }
      return nil
    }
    if let failure { throw failure }
  }

  /// Reads exactly `count` bytes at `offset` into `buffer`. The corresponding C function is `pread`.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(ParquetError) {
    var done = 0
    while done < buffer.count {
      let result = pread(
        rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
      if result < 0 {
        if errno == EINTR { continue }
        throw ParquetError(path: path, kind: .io, reason: "read failed: \(Self.errorText())")
      }
      if result == 0 {
        throw ParquetError(
          path: path, kind: .corrupt,
          reason:
            "file ended at byte \(offset + Int64(done)) while reading \(buffer.count) bytes at \(offset)"
        )
      }
      done += result
    }
  }

  func read(count: Int, at offset: Int64) throws(ParquetError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let failure = bytes.withUnsafeMutableBytes { buffer -> ParquetError? in
      do throws(ParquetError) { try read(into: buffer, at: offset) } catch { return error }
      return nil
    }
    if let failure { throw failure }
    return bytes
  }

  /// Flushes the file to stable storage. The corresponding C function is `fsync`.
  func sync() throws(ParquetError) {
    guard fsync(rawValue) == 0 else {
      throw ParquetError(path: path, kind: .io, reason: "fsync failed: \(Self.errorText())")
    }
  }

  /// Gives the file at `temporary` its final name `path`, refusing to replace an existing file, then removes
  /// the temporary name and flushes the directory entry. The corresponding C functions are `link`,
  /// `unlink` and `fsync` (of the directory).
  static func publish(_ temporary: String, as path: String) throws(ParquetError) {
    guard retryingInterrupts({ link(temporary, path) }) == 0 else {
      let reason = errno == EEXIST ? "already exists" : errorText()
      throw ParquetError(path: path, kind: .io, reason: "cannot create the file: \(reason)")
    }
    _ = unlink(temporary)
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let fd = retryingInterrupts { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    guard fd >= 0 else {
      throw ParquetError(
        path: path, kind: .io, reason: "cannot open its directory to sync it: \(errorText())")
    }
    defer { close(fd) }
    guard fsync(fd) == 0 else {
      throw ParquetError(
        path: path, kind: .io, reason: "fsync of its directory failed: \(errorText())")
    }
  }

  /// Whether something (a file, directory or link, even dangling) exists at `path`. The C function is `lstat`.
  static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
  }

  /// Removes `path` from its directory, ignoring a missing file. The corresponding C function is `unlink`.
  static func remove(_ path: String) {
    _ = unlink(path)
  }
}
