public import PondFiles
import Synchronization

/// Sends HTTP requests through a pool of reused curl handles (so connections are reused), running each
/// blocking transfer on a thread of `transferPool`, never on Swift's cooperative pool.
public final class HTTPClient: Sendable {
  /// The threads transfers run on, shared by all clients: a pool of their own, apart from
  /// `BlockingPool.shared`, because a transfer lasts as long as the network makes it (a 16 MiB part on a
  /// slow link takes minutes) and would starve local file I/O queued behind it; bounded, so a burst of
  /// requests queues instead of starting a thread each. Transfers mostly wait on the network, so it holds
  /// more threads than a small machine has cores.
  public static let transferPool = BlockingPool(threadCount: 8)

  /// The time limits used when a request gives none.
  public let timeouts: HTTPTimeouts
  private let maxIdleHandles: Int
  private let pool: BlockingPool
  private let idle = Mutex<[HandleBox]>([])

  /// - Parameters:
  ///   - maxIdleHandles: how many handles (each with its connection cache) are kept between requests.
  ///   - pool: where the blocking transfers run.
  public init(
    timeouts: HTTPTimeouts = HTTPTimeouts(), maxIdleHandles: Int = 16,
    pool: BlockingPool = HTTPClient.transferPool
  ) {
    self.timeouts = timeouts
    self.maxIdleHandles = maxIdleHandles
    self.pool = pool
  }

  /// Sends `request` and returns the response; an HTTP error status is returned, not thrown.
  ///
  /// Cancelling the waiting task aborts the transfer (`CurlError.isCancelled`), or skips it when it still
  /// waits for a thread (`CancellationError`).
  /// - Throws: `CurlError` for network failures and timeouts, `FileIOError` for a body file, or the error a
  ///   body consumer threw.
  public func send(
    _ request: HTTPRequest, to destination: HTTPResponseDestination = .memory,
    timeouts: HTTPTimeouts? = nil
  ) async throws -> HTTPResponse {
    let box = try idle.withLock { $0.popLast() } ?? HandleBox(CurlEasy())
    let cancelled = CancellationFlag()
    let limits = timeouts ?? self.timeouts
    let result: Result<HTTPResponse, any Error> = await withTaskCancellationHandler {
      do {
        return .success(
          try await pool.run {
            try box.easy.perform(request, to: destination, timeouts: limits) { cancelled.isSet }
          })
      } catch {
        return .failure(error)
      }
    } onCancel: {
      cancelled.set()
    }
    idle.withLock { handles in
      if handles.count < maxIdleHandles { handles.append(box) }
    }
    return try result.get()
  }
}

/// Moves a curl handle between the pool and the one thread using it.
private final class HandleBox: @unchecked Sendable {
  // Safe: a box is either in the pool (guarded by the mutex) or checked out by exactly one `send`, whose
  // transfer thread uses it and finishes before `send` puts it back.
  let easy: CurlEasy
  init(_ easy: CurlEasy) { self.easy = easy }
}

private final class CancellationFlag: Sendable {
  private let flag = Atomic<Bool>(false)
  var isSet: Bool { flag.load(ordering: .relaxed) }
  func set() { flag.store(true, ordering: .relaxed) }
}
