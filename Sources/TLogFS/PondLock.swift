import PondFiles

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The pond's single-writer lock: an exclusive `FileLock` on `$POND/local/lock`, which holds the owner's PID.
///
/// The kernel releases the lock when the process exits, however it exits, so a crashed writer never leaves
/// the pond locked. Readers never take it. Replication takes it to install versions from a remote.
///
/// Held for as long as the object lives: keep it alive over the work it guards (`withExtendedLifetime(lock)
/// { ... }`), since Swift may release an object after its last use. Not `Sendable`: one task holds it.
public final class PondLock {
  public let path: String
  private let lock: FileLock

  /// Takes the writer lock of the pond at `pondRoot`; with `wait`, blocks until the holder releases it,
  /// otherwise fails at once naming the holder's PID.
  public init(pondRoot: String, wait: Bool) throws {
    path = pondRoot + "/" + PondLayout.lockFile
    do {
      lock = try FileLock(at: path)
    } catch {
      throw HostIO.failure(
        error, hint: "the pond's local/ directory must be writable to change the pond")
    }
    try HostIO.converting {
      if wait {
        try lock.lock(.exclusive)
      } else if try !lock.tryLock(.exclusive) {
        var note = [UInt8](repeating: 0, count: 32)
        let count = (try? note.withUnsafeMutableBytes { try lock.file.read(into: $0, at: 0) }) ?? 0
        let text = String(decoding: note[0..<count], as: UTF8.self).split(separator: "\n").first
        throw PondError(
          .locked, path: path,
          "the pond is being changed by \(text.flatMap { Int($0) }.map { "process \($0)" } ?? "another process")",
          hint: "wait for it to finish, or pass --wait to queue behind it")
      }
      // The PID note is for the message a second writer prints; failing to write it changes nothing else.
      try? lock.file.resize(to: 0)
      try? Array("\(getpid())\n".utf8).withUnsafeBytes { try lock.file.write($0, at: 0) }
    }
  }

  deinit {
    try? lock.file.resize(to: 0)
  }
}

@available(*, unavailable, message: "a writer lock is held by one task")
extension PondLock: Sendable {}
