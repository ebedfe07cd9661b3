import Foundation
import Synchronization

/// Sends HTTP requests through a pool of reused curl handles (so connections are reused), running each
/// blocking transfer on a thread of its own, never on Swift's cooperative pool.
public final class HTTPClient: Sendable {
  /// The time limits used when a request gives none.
  public let timeouts: HTTPTimeouts
  private let maxIdleHandles: Int
  private let idle = Mutex<[HandleBox]>([])

  /// - Parameter maxIdleHandles: how many handles (each with its connection cache) are kept between requests.
  public init(timeouts: HTTPTimeouts = HTTPTimeouts(), maxIdleHandles: Int = 16) {
    self.timeouts = timeouts
    self.maxIdleHandles = maxIdleHandles
  }

  /// Sends `request` and returns the response; an HTTP error status is returned, not thrown.
  ///
  /// Cancelling the waiting task aborts the transfer.
  /// - Throws: `CurlError` for network failures and timeouts, or the error a body consumer threw.
  public func send(
    _ request: HTTPRequest, to destination: HTTPResponseDestination = .memory,
    timeouts: HTTPTimeouts? = nil
  ) async throws -> HTTPResponse {
    let box = idle.withLock { $0.popLast() } ?? HandleBox(CurlEasy())
    let cancelled = CancellationFlag()
    let limits = timeouts ?? self.timeouts
    let result: Result<HTTPResponse, any Error> = await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let thread = Thread {
          let result = Result {
            try box.easy.perform(request, to: destination, timeouts: limits) { cancelled.isSet }
          }
          continuation.resume(returning: result)
        }
        thread.name = "pond-curl"
        thread.start()
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
