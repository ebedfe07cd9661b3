import Dispatch
import Glibc

/// The results of `poll`, run now and then every `interval` until SIGINT or SIGTERM (which end the sequence
/// normally, also in the middle of a poll) or until `poll` fails (which the sequence throws).
func polling<Result: Sendable>(
  every interval: Duration, _ poll: @escaping @Sendable () async throws -> Result
) -> AsyncThrowingStream<Result, any Error> {
  let (stream, continuation) = AsyncThrowingStream.makeStream(of: Result.self)
  let producer = Task {
    do {
      while !Task.isCancelled {
        continuation.yield(try await poll())
        try await Task.sleep(for: interval)
      }
      continuation.finish()
    } catch is CancellationError {
      continuation.finish()
    } catch {
      continuation.finish(throwing: Task.isCancelled ? nil : error)
    }
  }
  let sources = SignalSources([SIGINT, SIGTERM]) { producer.cancel() }
  continuation.onTermination = { _ in
    sources.cancel()
    producer.cancel()
  }
  return stream
}

/// Runs `body` in a task that SIGINT or SIGTERM cancel, so that it can clean up what it started (a restore
/// removes its unfinished directory). The body decides what an interruption throws: `CancellationError`
/// (`reportingFailures` prints "interrupted" and exits 130), or an error saying what could not be undone.
func cancellingOnInterrupt<Result: Sendable>(
  _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
  // The body starts only once the signals cancel it: before that, SIGINT's default action would end the
  // process with the body's work (a restore's temporary directory) half done.
  let (installed, handlersInstalled) = AsyncStream.makeStream(of: Never.self)
  let task = Task {
    for await _ in installed {}
    try Task.checkCancellation()
    return try await body()
  }
  let sources = SignalSources([SIGINT, SIGTERM]) { task.cancel() }
  handlersInstalled.finish()
  defer { sources.cancel() }
  return try await task.value
}

/// Dispatch sources that run `handler` on the given signals (whose default action is then ignored), until
/// cancelled. `@unchecked Sendable`: dispatch sources may be cancelled from any thread.
private final class SignalSources: @unchecked Sendable {
  private let sources: [any DispatchSourceSignal]

  init(_ signals: [Int32], handler: @escaping @Sendable () -> Void) {
    sources = signals.map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number)
      source.setEventHandler(handler: handler)
      source.resume()
      return source
    }
  }

  func cancel() { for source in sources { source.cancel() } }
}
