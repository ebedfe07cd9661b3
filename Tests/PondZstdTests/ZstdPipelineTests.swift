import Foundation
import PondCrypto
import PondTestSupport
import PondZstd
import Synchronization
import Testing

/// The chunk size of these tests: small, so that a few chunks make a short stream.
private let chunk = 1 << 16

/// An error a test injects into the source or the sink.
private struct Injected: Error, Equatable {
  let side: String
}

/// A sink on the compressing thread: collects the compressed bytes, counts its calls, and throws on
/// call number `failingCall` when given.
private final class Sink: Sendable {
  let bytes = Mutex<[UInt8]>([])
  let calls = Atomic<Int>(0)
  let failingCall: Int?

  init(failingCall: Int? = nil) { self.failingCall = failingCall }

  func write(_ chunk: UnsafeRawBufferPointer) throws {
    let call = calls.add(1, ordering: .relaxed).newValue
    if call == failingCall { throw Injected(side: "sink") }
    bytes.withLock { $0 += chunk }
  }

  var callCount: Int { calls.load(ordering: .relaxed) }
}

/// Reads `data` chunk by chunk into the buffers it is given, counting its calls.
private struct MemorySource {
  let data: [UInt8]
  var offset = 0
  var calls = 0

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
    calls += 1
    let count = min(buffer.count, data.count - offset)
    data.withUnsafeBytes { bytes in
      buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
    }
    offset += count
    return count
  }
}

/// The serial frame of `data`: `compress` of each `chunk`-byte piece, then `finishFrame`, the
/// reference a pipelined pass of the same chunks must equal byte for byte.
private func serialFrame(of data: [UInt8], level: Int32 = 3) throws -> [UInt8] {
  let compressor = try ZstdCompressor(level: level)
  var frame: [UInt8] = []
  try data.withUnsafeBytes { bytes in
    for start in stride(from: 0, to: bytes.count, by: chunk) {
      let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + chunk, bytes.count)])
      try compressor.compress(piece) { frame += $0 }
    }
  }
  try compressor.finishFrame { frame += $0 }
  return frame
}

/// Half sensor-like text, half random bytes: both of zstd's paths (compressed and raw blocks).
private func mixedData(count: Int, seed: UInt64) -> [UInt8] {
  TestData.sensorLike(count: count / 2, seed: seed) + TestData.random(count: count - count / 2)
}

@Suite("Pipelined compression (reading and compressing on two threads)")
struct ZstdPipelineTests {
  static let sizes = [0, 1, chunk - 1, chunk, chunk + 1, 5 * chunk + 7]

  @Test(arguments: sizes, [1, 2, 4])
  func pipelinedFrameIsTheSerialFrame(size: Int, buffers: Int) throws {
    let data = mixedData(count: size, seed: UInt64(size) + 3)
    let serial = try serialFrame(of: data)

    var source = MemorySource(data: data)
    let sink = Sink()
    let summary = try ZstdCompressor(level: 3).compressStreamPipelined(
      chunkSize: chunk, buffers: buffers, read: { source.read(into: $0) },
      write: { try sink.write($0) })
    let pipelined = sink.bytes.withLock { $0 }

    #expect(pipelined == serial, "the same zstd calls on the same chunks give the same bytes")
    #expect(summary.compressedBytes == serial.count)
    #expect(summary.rawBytes == size)
    #expect(summary.compressedBytes == pipelined.count)
    #expect(try Zstd.decompress(pipelined, maxOutputSize: size) == data)
  }

  /// Through files: the observer sees exactly the input, in order, and the file holds the serial
  /// frame of the same chunks.
  @Test(arguments: sizes)
  func fileObserverSeesExactlyTheInput(size: Int) throws {
    let scratch = try ScratchDirectory("pond-zstd-pipeline")
    let data = mixedData(count: size, seed: UInt64(size) + 7)
    let raw = try scratch.write(data, to: "raw")
    var observed: [UInt8] = []
    let hasher = SHA256Hasher()
    let summary = try ZstdFile.compress(
      fileAt: raw, to: scratch.path("pipelined.zst"), chunkSize: chunk
    ) { bytes in
      observed += bytes
      hasher.update(bytes)
    }
    let serial = try serialFrame(of: data, level: Zstd.defaultLevel)

    #expect(observed == data)
    #expect(hasher.finalize() == SHA256.hash(data))
    #expect(summary.rawBytes == size)
    let pipelined = try scratch.read(scratch.path("pipelined.zst"))
    #expect(pipelined == serial)
    #expect(summary.compressedBytes == pipelined.count)
    #expect(try Zstd.decompress(pipelined, maxOutputSize: size) == data)
  }

  /// A sink that fails (a full disk) stops the reader within a few chunks of a long stream; when the
  /// call returns the compressing thread has ended (it no longer holds the sink, and never calls it
  /// again), and the compressor is ready for a new frame.
  @Test(arguments: [1, 2, 4])
  func sinkErrorStopsEverythingPromptly(buffers: Int) throws {
    // 64 MiB of a 1 MiB random pattern, repeating beyond level 1's window: every chunk is written.
    let pattern = TestData.random(count: 1 << 20)
    let total = 64 << 20
    var generated = 0
    var reads = 0
    let compressor = try ZstdCompressor(level: 1)
    weak var released: Sink?
    var callsAtReturn = 0
    do {
      let sink = Sink(failingCall: 3)
      released = sink
      let error = #expect(throws: Injected.self) {
        try compressor.compressStreamPipelined(
          chunkSize: chunk, buffers: buffers,
          read: { buffer in
            reads += 1
            let count = min(buffer.count, total - generated)
            pattern.withUnsafeBytes { bytes in
              let start = generated % pattern.count
              buffer.copyMemory(
                from: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]))
            }
            generated += count
            return count
          },
          write: { try sink.write($0) })
      }
      #expect(error == Injected(side: "sink"))
      callsAtReturn = sink.callCount
      Thread.sleep(forTimeInterval: 0.05)
      #expect(sink.callCount == callsAtReturn, "nothing writes after the call returned")
    }
    #expect(released == nil, "the compressing thread has let go of the sink: it has ended")
    #expect(callsAtReturn == 3)
    // Three 128 KiB blocks before the failure, then at most the buffers in flight and one more.
    #expect(reads <= 8 + buffers + 1, "\(reads) reads of \(total / chunk): the reader stopped late")

    let data = TestData.sensorLike(count: 3 * chunk + 5)
    var frame: [UInt8] = []
    try data.withUnsafeBytes { try compressor.compress($0) { frame += $0 } }
    try compressor.finishFrame { frame += $0 }
    #expect(try Zstd.decompress(frame, maxOutputSize: data.count) == data)
  }

  /// A source that fails mid-stream (a read error) stops the compressing thread before the call
  /// returns; no frame end is written and the compressor is reusable.
  @Test(arguments: [1, 2, 4])
  func sourceErrorStopsEverythingPromptly(buffers: Int) throws {
    let data = TestData.random(count: 20 * chunk)
    var source = MemorySource(data: data)
    let compressor = try ZstdCompressor(level: 1)
    weak var released: Sink?
    do {
      let sink = Sink()
      released = sink
      let error = #expect(throws: Injected.self) {
        try compressor.compressStreamPipelined(
          chunkSize: chunk, buffers: buffers,
          read: { buffer in
            if source.calls == 5 { throw Injected(side: "source") }
            return source.read(into: buffer)
          },
          write: { try sink.write($0) })
      }
      #expect(error == Injected(side: "source"))
      let callsAtReturn = sink.callCount
      Thread.sleep(forTimeInterval: 0.05)
      #expect(sink.callCount == callsAtReturn, "nothing writes after the call returned")
      let written = sink.bytes.withLock { $0 }
      // Five chunks were read; the frame was never ended, so what was written is truncated.
      #expect(written.count < 5 * chunk + 1024)
      let truncated = #expect(throws: ZstdError.self) {
        try Zstd.decompress(written, maxOutputSize: data.count)
      }
      #expect(truncated?.isTruncated == true)
    }
    #expect(source.calls == 5, "the reader stops at its own error")
    #expect(released == nil, "the compressing thread has let go of the sink: it has ended")

    var frame: [UInt8] = []
    try data.withUnsafeBytes { try compressor.compress($0) { frame += $0 } }
    try compressor.finishFrame { frame += $0 }
    #expect(try Zstd.decompress(frame, maxOutputSize: data.count) == data)
  }

  /// A full disk under a pipelined file pass: the error names the destination with ENOSPC, and the
  /// partial destination is removed.
  @Test func fullDiskRemovesThePartialDestination() throws {
    let scratch = try ScratchDirectory("pond-zstd-pipeline")
    let raw = try scratch.write(TestData.random(count: 4 << 20), to: "raw")
    let outcome: Void? = try TestSupport.withTmpfs(size: "1m", in: scratch.url) { mount in
      let destination = mount + "/out.zst"
      var observed = 0
      let error = #expect(throws: ZstdFileError.self) {
        try ZstdFile.compress(fileAt: raw, to: destination, chunkSize: chunk) {
          observed += $0.count
        }
      }
      #expect(error?.errorNumber == ENOSPC)
      #expect(error?.path == destination)
      #expect(error?.description.contains("No space left on device") == true)
      #expect(!scratch.exists(destination))
      #expect(
        observed < 2 << 20, "the reader stopped soon after the disk filled (\(observed) bytes)")
    }
    if outcome == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }
}
