import DeltaLog
import PondFiles
import Synchronization
import TLogFS

/// The local pond as a push, pull or verify uses it, touched only on `BlockingPool.shared`: opening it (its
/// index catches up with the log), reading commits and data files (hash-checked), taking the writer lock and
/// writing the remotes file are blocking file I/O, and replication runs beside work that Swift's cooperative
/// pool must keep serving (the agent's other services and its HTTP listener).
final class LocalPond: Sendable {
  struct State {
    var pond: PondStore
    var registry: RemoteRegistry
    /// The writer lock, held by a pull while it installs versions.
    var lock: PondLock?
  }

  let root: String
  /// The pond's head when it was opened.
  let head: Int64
  /// The heads last seen on each remote, as the remotes file said when the pond was opened.
  let lastSeenHeads: [String: Int64]
  /// nil once closed.
  private let state: Mutex<State?>

  private init(root: String, state: sending State) {
    self.root = root
    head = state.pond.head
    lastSeenHeads = state.registry.lastSeenHeads
    self.state = Mutex(state)
  }

  /// Opens the pond (see `open(_:locked:check:)`), runs `body` with it, and closes it whether `body`
  /// returns or throws.
  static func with<Result: Sendable>(
    _ root: String, locked: Bool = false,
    check: @escaping @Sendable (_ origin: String?, _ locked: Bool) throws -> Void,
    _ body: (LocalPond) async throws -> Result
  ) async throws -> Result {
    let pond = try await open(root, locked: locked, check: check)
    do {
      let result = try await body(pond)
      await pond.close()
      return result
    } catch {
      await pond.close()
      throw error
    }
  }

  /// Opens the pond at `root` for reading, with its remotes file; `locked` also takes the writer lock
  /// (failing at once when another process holds it) and keeps it until the pond is closed.
  ///
  /// - Parameter check: refuses the pond by throwing, given its origin (nil for a writable pond); asked
  ///   before the lock is taken and again once it is held (`locked`: a promote may happen in between).
  private static func open(
    _ root: String, locked: Bool,
    check: @escaping @Sendable (_ origin: String?, _ locked: Bool) throws -> Void
  ) async throws -> LocalPond {
    try await BlockingPool.shared.run {
      try check(try PondStore.origin(ofPond: root), false)
      let lock = locked ? try PondLock(pondRoot: root, wait: false) : nil
      if locked { try check(try PondStore.origin(ofPond: root), true) }
      let state = State(
        pond: try PondStore(root: root, mode: .read),
        registry: try RemoteRegistry(pondRoot: root), lock: lock)
      return LocalPond(root: root, state: state)
    }
  }

  /// Runs `body` with the pond on the blocking pool (one body at a time).
  func run<T: Sendable>(_ body: @escaping @Sendable (inout State) throws -> T) async throws -> T {
    try await BlockingPool.shared.run {
      try self.state.withLock { state in
        guard state != nil else { preconditionFailure("LocalPond used after close()") }
        return try body(&state!)
      }
    }
  }

  /// Closes the pond and releases the writer lock, on the blocking pool: closing the index may checkpoint
  /// its write-ahead log (with fsyncs). Runs even when the calling task was cancelled.
  private func close() async {
    await Task { _ = try? await BlockingPool.shared.run { self.state.withLock { $0 = nil } } }.value
  }

  /// Commit `version` of the pond.
  func commit(_ version: Int64) async throws -> CommitFile {
    try await run { try $0.pond.commit(version) }
  }

  /// Records that the remote at `url` holds this pond's versions up to `version` (best effort: the next push
  /// confirms it before trusting it). The remotes file is read again first: another job may have recorded
  /// another remote's head since the pond was opened.
  func recordHead(_ version: Int64, of url: String) async {
    let root = self.root
    _ = try? await run { state in
      state.registry = try RemoteRegistry(pondRoot: root)
      state.registry.recordHead(version, of: url)
    }
  }

}
