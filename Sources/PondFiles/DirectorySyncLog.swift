import Synchronization

/// Counts the `fsync`s of directories a test watches: the seam that shows a publish was made durable, which
/// no file's content can show. Only watched directories are counted, so the log does not grow.
enum DirectorySyncLog {
  private static let counts = Mutex<[String: Int]>([:])

  /// Starts counting the syncs of the directory `path` (spelled as `LocalFiles.parentDirectory` gives it).
  static func watch(_ path: String) { counts.withLock { $0[path] = 0 } }

  /// How many times `path` was synced since `watch`, or nil when it is not watched.
  static func count(_ path: String) -> Int? { counts.withLock { $0[path] } }

  static func record(_ path: String) {
    counts.withLock { counts in
      if let count = counts[path] { counts[path] = count + 1 }
    }
  }
}
