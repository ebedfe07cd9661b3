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
  private let state: Mutex<State>

  private init(root: String, state: sending State) {
    self.root = root
    head = state.pond.head
    self.state = Mutex(state)
  }

  /// Opens the pond at `root` for reading, with its remotes file; `locked` also takes the writer lock
  /// (failing at once when another process holds it) and keeps it until `unlock()`.
  ///
  /// - Parameter check: refuses the pond by throwing, given its origin (nil for a writable pond); asked
  ///   before the lock is taken and again once it is held (a promote may happen in between).
  static func open(
    _ root: String, locked: Bool = false,
    check: @escaping @Sendable (_ origin: String?) throws -> Void
  ) async throws -> LocalPond {
    try await BlockingPool.shared.run {
      try check(try PondStore.origin(ofPond: root))
      let lock = locked ? try PondLock(pondRoot: root, wait: false) : nil
      if locked { try check(try PondStore.origin(ofPond: root)) }
      let state = State(
        pond: try PondStore(root: root, mode: .read),
        registry: try RemoteRegistry(pondRoot: root), lock: lock)
      return LocalPond(root: root, state: state)
    }
  }

  /// Runs `body` with the pond on the blocking pool (one body at a time).
  func run<T: Sendable>(_ body: @escaping @Sendable (inout State) throws -> T) async throws -> T {
    try await BlockingPool.shared.run { try self.state.withLock { try body(&$0) } }
  }

  /// Commit `version` of the pond.
  func commit(_ version: Int64) async throws -> CommitFile {
    try await run { try $0.pond.commit(version) }
  }

  /// The head last seen on the remote at `url`, when one was recorded.
  var lastSeenHeads: [String: Int64] {
    state.withLock { $0.registry.lastSeenHeads }
  }

  /// Records that the remote at `url` holds this pond's versions up to `version` (best effort: the next push
  /// confirms it before trusting it).
  func recordHead(_ version: Int64, of url: String) async {
    _ = try? await run { $0.registry.recordHead(version, of: url) }
  }

  /// Releases the writer lock taken by `open(_:locked:check:)`.
  func unlock() async {
    _ = try? await run { $0.lock = nil }
  }
}
