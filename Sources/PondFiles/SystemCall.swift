import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Calls that swift-system does not wrap (`fcntl`, `fsync`, `link`, `rename`, `unlink`, `mkdir`, `rmdir`, `futimens`,
/// `readdir`, `flock`).
enum SystemCall {
  /// Runs `call` until it is not interrupted by a signal: the single EINTR loop of PondFiles (swift-system
  /// retries its own calls with `retryOnInterrupt`).
  static func retryingInterrupts(_ call: () -> Int32) -> Result<Void, Errno> {
    while true {
      if call() == 0 { return .success(()) }
      let code = Errno(rawValue: errno)
      if code != .interrupted { return .failure(code) }
    }
  }

  static func fsync(_ descriptor: FileDescriptor) -> Result<Void, Errno> {
    retryingInterrupts { systemFsync(descriptor.rawValue) }
  }

  static func link(_ source: String, _ target: String) -> Result<Void, Errno> {
    retryingInterrupts { systemLink(source, target) }
  }

  static func rename(_ source: String, _ target: String) -> Result<Void, Errno> {
    retryingInterrupts { systemRename(source, target) }
  }

  static func unlink(_ path: String) -> Result<Void, Errno> {
    retryingInterrupts { systemUnlink(path) }
  }

  static func mkdir(_ path: String, _ permissions: FilePermissions) -> Result<Void, Errno> {
    retryingInterrupts { systemMkdir(path, mode_t(permissions.rawValue)) }
  }

  /// A new descriptor for what `descriptor` refers to, closed on `exec`.
  static func duplicateClosingOnExec(_ descriptor: FileDescriptor) -> Result<FileDescriptor, Errno>
  {
    let duplicate = fcntl(descriptor.rawValue, F_DUPFD_CLOEXEC, 0)
    guard duplicate >= 0 else { return .failure(Errno(rawValue: errno)) }
    return .success(FileDescriptor(rawValue: duplicate))
  }

  static func readSymbolicLink(_ path: String) -> Result<String, Errno> {
    var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = buffer.withUnsafeMutableBufferPointer { out in
      out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) {
        readlink(path, $0, out.count - 1)
      }
    }
    guard count >= 0 else { return .failure(Errno(rawValue: errno)) }
    return .success(String(decoding: buffer[0..<count], as: UTF8.self))
  }

  static func makeSymbolicLink(_ target: String, _ path: String) -> Result<Void, Errno> {
    retryingInterrupts { symlink(target, path) }
  }

  static func isReadOnlyFileSystem(_ path: String) -> Bool {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return false }
    return info.f_flag & UInt(ST_RDONLY) != 0
  }

  static func rmdir(_ path: String) -> Result<Void, Errno> {
    retryingInterrupts { systemRmdir(path) }
  }

  /// Sets both access and modification time of the open file to `milliseconds` since 1970.
  static func setTimes(_ descriptor: FileDescriptor, milliseconds: Int64) -> Result<Void, Errno> {
    let seconds = milliseconds >= 0 ? milliseconds / 1000 : -((-milliseconds + 999) / 1000)
    let remainder = milliseconds - seconds * 1000
    let time = timespec(tv_sec: time_t(seconds), tv_nsec: Int(remainder) * 1_000_000)
    var times = (time, time)
    return retryingInterrupts {
      withUnsafePointer(to: &times) { pair in
        pair.withMemoryRebound(to: timespec.self, capacity: 2) { futimens(descriptor.rawValue, $0) }
      }
    }
  }

  /// A name in a directory, with its type when `readdir` tells it.
  struct NameInDirectory {
    enum Kind { case directory, regular, other, unknown }
    var name: String
    var kind: Kind
  }

  /// The entries of the directory at `path`, without `.` and `..`.
  static func directoryEntries(_ path: String) -> Result<[NameInDirectory], Errno> {
    guard let handle = opendir(path) else { return .failure(Errno(rawValue: errno)) }
    defer { closedir(handle) }
    var entries: [NameInDirectory] = []
    while true {
      errno = 0
      guard let entry = readdir(handle) else {
        if errno != 0 { return .failure(Errno(rawValue: errno)) }
        return .success(entries)
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name != "." && name != ".." else { continue }
      let kind: NameInDirectory.Kind =
        switch Int(entry.pointee.d_type) {
        case Int(DT_DIR): .directory
        case Int(DT_REG): .regular
        case Int(DT_UNKNOWN): .unknown
        default: .other
        }
      entries.append(NameInDirectory(name: name, kind: kind))
    }
  }

  /// Takes, converts or releases the `flock` of `descriptor`; with `wait` false, a lock held elsewhere
  /// fails at once with `EWOULDBLOCK`.
  static func flock(_ descriptor: FileDescriptor, _ operation: Int32, wait: Bool) -> Result<
    Void, Errno
  > {
    retryingInterrupts { systemFlock(descriptor.rawValue, operation | (wait ? 0 : LOCK_NB)) }
  }
}

// The C names, bound once: inside `SystemCall` the wrappers above shadow them.
private func systemFsync(_ descriptor: Int32) -> Int32 { fsync(descriptor) }
private func systemLink(_ source: String, _ target: String) -> Int32 { link(source, target) }
private func systemRename(_ source: String, _ target: String) -> Int32 { rename(source, target) }
private func systemUnlink(_ path: String) -> Int32 { unlink(path) }
private func systemMkdir(_ path: String, _ mode: mode_t) -> Int32 { mkdir(path, mode) }
private func systemRmdir(_ path: String) -> Int32 { rmdir(path) }
private func systemFlock(_ descriptor: Int32, _ operation: Int32) -> Int32 {
  flock(descriptor, operation)
}
