#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A fixed number of threads that run blocking work (file I/O, hashing, curl transfers) for async callers, so
/// that Swift's cooperative pool never blocks.
///
/// Jobs wait in one FIFO queue; at most `threadCount` run at once. Threads start on demand (a process that
/// never blocks starts none) and stay until the pool is released. A task cancelled while its job is still
/// queued gets `CancellationError` at once and the job never runs; a job that already runs finishes (blocking
/// calls cannot be interrupted from outside; a body may poll a flag of its own, as `HTTPClient` does).
public final class BlockingPool: Sendable {
  /// The pool for local file I/O and hashing, sized for a small machine: as many threads as processors,
  /// at least 2 (a blocked read must not stall every other file operation) and at most 4.
  public static let shared = BlockingPool(
    threadCount: min(4, max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))))

  /// How many jobs may run at once.
  public let threadCount: Int
  private let queue: JobQueue

  public init(threadCount: Int) {
    precondition(threadCount >= 1, "a pool needs at least one thread")
    self.threadCount = threadCount
    queue = JobQueue(threadCount: threadCount)
  }

  deinit { queue.shutDown() }

  /// Runs `body` on one of the pool's threads and returns its result or rethrows its error.
  ///
  /// - Throws: `CancellationError` when the calling task is cancelled before the job started.
  public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let job = Job()
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<T, any Error>) in
        queue.submit(
          job,
          work: { continuation.resume(with: Result { try body() }) },
          cancel: { continuation.resume(throwing: CancellationError()) })
      }
    } onCancel: {
      queue.cancel(job)
    }
  }
}

/// One submitted job; its fields are guarded by the queue's lock.
private final class Job: @unchecked Sendable {
  // Safe: every access to `state`, `work` and `cancel` happens while the owning JobQueue's mutex is held.
  enum State { case new, queued, running, cancelled }
  var state = State.new
  var work: (@Sendable () -> Void)?
  var cancel: (@Sendable () -> Void)?
}

/// The queue and the threads, kept apart from `BlockingPool` so that the threads (which hold the queue) do
/// not keep the pool alive: releasing the pool shuts the queue down and its threads end once it is empty.
private final class JobQueue: @unchecked Sendable {
  // Safe: all mutable state is read and written only between pthread_mutex_lock and _unlock of `mutex`.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private let threadCount: Int
  private var jobs: [Job] = []
  private var head = 0
  private var threads = 0
  private var idle = 0
  private var isShutDown = false

  init(threadCount: Int) {
    self.threadCount = threadCount
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    condition.deallocate()
  }

  private func locked<R>(_ body: () -> R) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return body()
  }

  func submit(
    _ job: Job, work: @escaping @Sendable () -> Void, cancel: @escaping @Sendable () -> Void
  ) {
    let startThread = locked { () -> Bool? in
      // Cancelled before it was queued: the cancellation handler ran first and could resume nothing.
      guard job.state == .new else { return nil }
      job.state = .queued
      job.work = work
      job.cancel = cancel
      jobs.append(job)
      if idle > 0 {
        pthread_cond_signal(condition)
        return false
      }
      guard threads < threadCount else { return false }
      threads += 1
      return true
    }
    guard let startThread else { return cancel() }
    if startThread { spawnWorker() }
  }

  func cancel(_ job: Job) {
    let resume = locked { () -> (@Sendable () -> Void)? in
      switch job.state {
      case .new:
        job.state = .cancelled
        return nil
      case .queued:
        // Left in the array (removal would be linear); the worker skips it.
        job.state = .cancelled
        defer {
          job.work = nil
          job.cancel = nil
        }
        return job.cancel
      case .running, .cancelled:
        return nil
      }
    }
    resume?()
  }

  func shutDown() {
    locked {
      isShutDown = true
      pthread_cond_broadcast(condition)
    }
  }

  /// The next job to run, or nil when the worker should end (shut down and nothing left).
  private func next() -> (@Sendable () -> Void)? {
    locked {
      while true {
        while head < jobs.count {
          let job = jobs[head]
          head += 1
          if head > 64, head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
          }
          guard job.state == .queued, let work = job.work else { continue }
          job.state = .running
          job.work = nil
          job.cancel = nil
          return work
        }
        if isShutDown {
          threads -= 1
          return nil
        }
        idle += 1
        pthread_cond_wait(condition, mutex)
        idle -= 1
      }
    }
  }

  private func spawnWorker() {
    let context = Unmanaged.passRetained(WorkerContext(queue: self)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    #if canImport(Darwin)
      var thread: pthread_t?
    #else
      var thread = pthread_t()
    #endif
    let result = pthread_create(&thread, &attributes, workerMain, context)
    // Without a thread the queued work could never run: that is resource exhaustion, not a condition.
    precondition(result == 0, "pthread_create failed with error \(result)")
  }

  fileprivate func work() {
    while let job = next() { job() }
  }
}

private final class WorkerContext {
  let queue: JobQueue
  init(queue: JobQueue) { self.queue = queue }
}

#if canImport(Darwin)
  private func workerMain(_ context: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    Unmanaged<WorkerContext>.fromOpaque(context).takeRetainedValue().queue.work()
    return nil
  }
#else
  private func workerMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<WorkerContext>.fromOpaque(context!).takeRetainedValue().queue.work()
    return nil
  }
#endif
