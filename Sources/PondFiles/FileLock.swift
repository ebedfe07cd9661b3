import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An advisory lock on a file (`flock`), shared or exclusive, held until its file is closed (the lock is
/// released): the kernel drops it when the process ends, however it ends, so a crash never leaves it held.
///
/// One type for the pond's writer lock (exclusive; wait, or fail at once naming the holder written in the
/// file) and the index's use lock (shared while open; briefly exclusive, without waiting, to rebuild).
public final class FileLock: Sendable {
  /// Shared (many holders) or exclusive (one).
  public enum Mode: Sendable, Hashable {
    case shared, exclusive

    var operation: Int32 { self == .shared ? LOCK_SH : LOCK_EX }
  }

  /// The lock file, opened read-write (or read-only, see `init`): holders may keep a note in it (a PID).
  public let file: OpenFile

  /// Opens (creating when missing, mode 0644) the lock file at `path`; takes no lock yet.
  ///
  /// - Parameter allowingReadOnly: when the file cannot be opened for writing (a read-only medium), open it
  ///   read-only instead (locks work on read-only files; notes cannot be written).
  public init(at path: String, allowingReadOnly: Bool = false) throws(FileIOError) {
    do {
      file = try OpenFile(updatingAt: path)
    } catch {
      guard allowingReadOnly else { throw error }
      file = try OpenFile(readingAt: path)
    }
  }

  /// Takes the lock in `mode` (or converts a held lock to it), waiting while another process holds a
  /// conflicting one. The corresponding C function is `flock`.
  public func lock(_ mode: Mode) throws(FileIOError) {
    try file.flock(mode.operation, wait: true)
  }

  /// Takes the lock in `mode` (or converts a held lock to it) unless another process holds a conflicting
  /// one; returns false then (`EWOULDBLOCK`). A failed conversion may have released a held lock (`flock`
  /// is not atomic there): take it again.
  public func tryLock(_ mode: Mode) throws(FileIOError) -> Bool {
    do {
      try file.flock(mode.operation, wait: false)
      return true
    } catch  where error.errno == .wouldBlock {
      return false
    }
  }
}
