import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The pond's single-writer lock: an exclusive `flock` on `$POND/local/lock`, which holds the owner's PID.
///
/// The kernel releases the lock when the process exits, however it exits, so a crashed writer never leaves
/// the pond locked. Readers never take it.
///
/// Replication takes it to install versions from a remote: `PondLock(pondRoot:wait:)`.
public final class PondLock {
  public let path: String
  private let descriptor: Int32

  /// Takes the writer lock of the pond at `pondRoot` (see `init(path:wait:)`).
  public convenience init(pondRoot: String, wait: Bool) throws {
    try self.init(path: pondRoot + "/" + PondLayout.lockFile, wait: wait)
  }

  /// Takes the lock; with `wait`, blocks until the holder releases it, otherwise fails at once naming the
  /// holder's PID.
  init(path: String, wait: Bool) throws {
    self.path = path
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw HostIO.failure(
        path, "open the writer lock",
        hint: "the pond's local/ directory must be writable to change the pond")
    }
    while flock(descriptor, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
      let code = errno
      if code == EINTR { continue }
      var holder = "another process"
      if code == EWOULDBLOCK {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 32, 0) }
        let text = String(decoding: buffer[0..<max(count, 0)], as: UTF8.self)
          .trimmingCharacters(in: .whitespacesAndNewlines)
        if let pid = Int(text) { holder = "process \(pid)" }
      }
      close(descriptor)
      if code == EWOULDBLOCK {
        throw PondError(
          .locked, path: path, "the pond is being changed by \(holder)",
          hint: "wait for it to finish, or pass --wait to queue behind it")
      }
      throw HostIO.failure(path, "lock")
    }
    self.descriptor = descriptor
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
  }

  deinit {
    _ = ftruncate(descriptor, 0)
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
