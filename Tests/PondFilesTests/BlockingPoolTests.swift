import Dispatch
import Foundation
import Synchronization
import Testing

@testable import PondFiles

/// Counters shared with pool jobs.
final class Counters: Sendable {
  let running = Atomic<Int>(0)
  let most = Atomic<Int>(0)
  let started = Atomic<Bool>(false)
  let ran = Atomic<Bool>(false)
  var didRun: Bool { ran.load(ordering: .sequentiallyConsistent) }
}

@Suite("BlockingPool")
struct BlockingPoolTests {
  @Test func neverRunsMoreJobsThanItHasThreads() async throws {
    let pool = BlockingPool(threadCount: 3)
    let counters = Counters()
    let results = try await withThrowingTaskGroup(of: Int.self) { group in
      for index in 0..<12 {
        group.addTask {
          try await pool.run {
            let now = counters.running.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
            _ = counters.most.max(now, ordering: .sequentiallyConsistent)
            Thread.sleep(forTimeInterval: 0.02)
            counters.running.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            return index
          }
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.sorted() == Array(0..<12))
    #expect(counters.most.load(ordering: .sequentiallyConsistent) == 3)
  }

  @Test func aJobCancelledWhileQueuedNeverRuns() async throws {
    let pool = BlockingPool(threadCount: 1)
    let gate = DispatchSemaphore(value: 0)
    let counters = Counters()
    let blocker = Task {
      try await pool.run {
        counters.started.store(true, ordering: .sequentiallyConsistent)
        gate.wait()
      }
    }
    while !counters.started.load(ordering: .sequentiallyConsistent) {
      try await Task.sleep(for: .milliseconds(5))
    }
    let queued = Task {
      try await pool.run { counters.ran.store(true, ordering: .sequentiallyConsistent) }
    }
    try await Task.sleep(for: .milliseconds(50))
    queued.cancel()
    await #expect(throws: CancellationError.self) { try await queued.value }
    gate.signal()
    try await blocker.value
    // The queue is FIFO: once a later job ran, the cancelled one would have run before it.
    try await pool.run {}
    #expect(!counters.didRun)
  }

  @Test func aTaskCancelledBeforeItSubmitsGetsCancellationError() async throws {
    let counters = Counters()
    let task = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      return try await BlockingPool.shared.run {
        counters.ran.store(true, ordering: .sequentiallyConsistent)
      }
    }
    await #expect(throws: CancellationError.self) { try await task.value }
    #expect(!counters.didRun)
  }

  @Test func errorsPropagateAndThePoolGoesOn() async throws {
    let pool = BlockingPool(threadCount: 1)
    let error = await #expect(throws: FileIOError.self) {
      try await pool.run { try LocalFiles.readFile("/nonexistent/pool-test") }
    }
    #expect(error?.errno == .noSuchFileOrDirectory)
    #expect(try await pool.run { 42 } == 42)
  }
}
