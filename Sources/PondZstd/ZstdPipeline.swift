import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ZstdCompressor {
  /// Compresses everything `read` yields into one frame handed to `write`, compressing on a second
  /// thread while the calling thread reads the next chunks.
  ///
  /// The frame is byte for byte the one `compress(_:to:)` of each chunk then `finishFrame(to:)`
  /// produce: one thread reads, the other compresses, in the same order. `read` runs on the calling
  /// thread (so it may hash what it reads); `write` runs on the compressing thread. Memory is
  /// `buffers` chunks of `chunkSize` bytes, whatever the stream's length: the reader waits when all
  /// of them are queued (backpressure).
  ///
  /// When `read` or `write` (or zstd) throws, both sides stop within one chunk, the compressing
  /// thread is joined, the frame is discarded and the first error is rethrown. The compressor is not
  /// used by the calling thread while the pass runs.
  ///
  /// - Parameters:
  ///   - chunkSize: the size of each buffer passed to `read`.
  ///   - buffers: how many chunks may be in flight (at least 2 for any overlap).
  /// - Throws: the error of `read` or `write`, `ZstdError` from zstd or when the thread cannot start.
  public func compressStreamPipelined(
    chunkSize: Int = Zstd.defaultChunkSize, buffers: Int = ZstdFile.defaultPipelineBuffers,
    read: (UnsafeMutableRawBufferPointer) throws -> Int,
    write: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void
  ) throws -> ZstdStreamSummary {
    precondition(chunkSize > 0, "chunkSize must be positive")
    precondition(buffers > 0, "a pipeline needs at least one buffer")
    let ring = ChunkRing(chunkSize: chunkSize, count: buffers)
    let stage = CompressingStage(compressor: self, ring: ring, write: write)
    let worker = try JoinableThread { stage.run() }

    var failure: (any Error)?
    var rawBytes = 0
    var slot = 0
    while true {
      ring.free.wait()
      var count = ChunkRing.abandon
      if !ring.isAbandoned {
        do {
          count = try read(ring.chunks[slot])
          precondition(
            count >= 0 && count <= chunkSize,
            "read returned \(count) for a \(chunkSize)-byte buffer")
        } catch {
          if ring.abandon() { failure = error }
          count = ChunkRing.abandon
        }
      }
      ring.counts[slot] = count
      ring.filled.signal()
      if count <= 0 { break }
      rawBytes += count
      slot = (slot + 1) % buffers
    }
    worker.join()
    // At most one of the two is set: the side that stopped the pass first.
    if let failure { throw failure }
    if let failure = stage.failure { throw failure }
    return ZstdStreamSummary(rawBytes: rawBytes, compressedBytes: stage.compressedBytes)
  }
}

/// The compressing side of a pipelined pass: takes published chunks in order, compresses them, and
/// gives each buffer back.
///
/// `@unchecked Sendable`: it is created on the calling thread, then used only by the worker thread
/// until `JoinableThread.join` returns, after which the calling thread reads `failure` and
/// `compressedBytes` (the join orders those accesses). The calling thread does not touch the
/// compressor meanwhile.
private final class CompressingStage: @unchecked Sendable {
  private let compressor: ZstdCompressor
  private let ring: ChunkRing
  private let write: @Sendable (UnsafeRawBufferPointer) throws -> Void
  private(set) var failure: (any Error)?
  private(set) var compressedBytes = 0

  init(
    compressor: ZstdCompressor, ring: ChunkRing,
    write: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void
  ) {
    self.compressor = compressor
    self.ring = ring
    self.write = write
  }

  func run() {
    var slot = 0
    let sink: (UnsafeRawBufferPointer) throws -> Void = { chunk in
      self.compressedBytes += chunk.count
      try self.write(chunk)
    }
    while true {
      ring.filled.wait()
      let count = ring.counts[slot]
      if !ring.isAbandoned {
        do {
          if count > 0 {
            try compressor.compress(
              UnsafeRawBufferPointer(rebasing: ring.chunks[slot][..<count]), to: sink)
          } else if count == 0 {
            try compressor.finishFrame(to: sink)
          }
        } catch {
          if ring.abandon() { failure = error }
        }
      }
      // Given back even after a failure, so the reader never waits for a buffer that never comes.
      ring.free.signal()
      if count <= 0 { break }
      slot = (slot + 1) % ring.chunks.count
    }
    if ring.isAbandoned { compressor.discardFrame() }
  }
}

/// A fixed set of chunk buffers passed from the reading thread to the compressing thread in order.
///
/// `@unchecked Sendable`: slot `i`'s bytes and count are written only by the reader between taking a
/// free buffer (`free.wait`) and publishing it (`filled.signal`), and read only by the compressor
/// between `filled.wait` and `free.signal`; both walk the slots in the same order, and the
/// semaphores order those accesses. `abandoned` is atomic.
private final class ChunkRing: @unchecked Sendable {
  /// A count meaning "stop: the pass failed" (0 means the end of the input).
  static let abandon = -1
  let chunks: [UnsafeMutableRawBufferPointer]
  let counts: UnsafeMutableBufferPointer<Int>
  /// Buffers the reader may fill.
  let free = DispatchSemaphore(value: 0)
  /// Buffers the compressor may take.
  let filled = DispatchSemaphore(value: 0)
  private let abandoned = Atomic<Bool>(false)

  init(chunkSize: Int, count: Int) {
    chunks = (0..<count).map { _ in .allocate(byteCount: chunkSize, alignment: 64) }
    counts = .allocate(capacity: count)
    counts.initialize(repeating: 0)
    // Signalled up from 0 rather than created at `count`: libdispatch traps when a semaphore is freed
    // below its initial value, which an abandoned pass may leave it at.
    for _ in 0..<count { free.signal() }
  }

  deinit {
    for chunk in chunks { chunk.deallocate() }
    counts.deallocate()
  }

  var isAbandoned: Bool { abandoned.load(ordering: .acquiring) }

  /// Stops the pass; true for the first call only, whose error is the one to report (a later failure on the
  /// other side is usually a consequence).
  @discardableResult
  func abandon() -> Bool {
    abandoned.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
      .exchanged
  }
}

/// A POSIX thread that runs one closure and is joined exactly once (`pthread_create`, `pthread_join`),
/// so no work outlives the call that started it.
private final class JoinableThread {
  private var thread: pthread_t
  private var isJoined = false

  /// Starts `body` on a new thread. The corresponding C function is `pthread_create`.
  init(_ body: @escaping @Sendable () -> Void) throws {
    let context = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let code = pthread_create(
      &thread, nil,
      { context in
        Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
        return nil
      }, context)
    guard code == 0 else {
      Unmanaged<Body>.fromOpaque(context).release()
      throw ZstdError(
        code: 0,
        message: "cannot start the compression thread: \(String(cString: strerror(code)))")
    }
    self.thread = thread
  }

  deinit { precondition(isJoined, "a JoinableThread must be joined") }

  /// Waits for the closure to return. The corresponding C function is `pthread_join`.
  func join() {
    precondition(!isJoined, "a thread is joined once")
    let code = pthread_join(thread, nil)
    precondition(code == 0, "pthread_join failed: \(code)")
    isJoined = true
  }

  private final class Body {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
  }
}
