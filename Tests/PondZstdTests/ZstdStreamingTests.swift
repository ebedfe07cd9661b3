import Foundation
import PondCrypto
import PondZstd
import Testing

/// Compresses `input` into one frame with `compressor`, feeding it in `chunk`-byte pieces.
private func frame(_ input: [UInt8], with compressor: ZstdCompressor, chunk: Int = 1 << 16) throws
  -> [UInt8]
{
  var out: [UInt8] = []
  try input.withUnsafeBytes { bytes in
    var offset = 0
    repeat {
      let end = min(bytes.count, offset + chunk)
      try compressor.compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) {
        out.append(contentsOf: $0)
      }
      offset = end
    } while offset < bytes.count
  }
  try compressor.finishFrame { out.append(contentsOf: $0) }
  return out
}

/// Decodes `stream` with `decompressor`, feeding it in `chunk`-byte pieces, then finishes.
private func decode(_ stream: [UInt8], with decompressor: ZstdDecompressor, chunk: Int = 1 << 16)
  throws -> [UInt8]
{
  var out: [UInt8] = []
  try stream.withUnsafeBytes { bytes in
    var offset = 0
    while offset < bytes.count {
      let end = min(bytes.count, offset + chunk)
      try decompressor.decompress(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) {
        out.append(contentsOf: $0)
      }
      offset = end
    }
  }
  let total = try decompressor.finish()
  #expect(total == out.count)
  return out
}

@Suite("Zstd streaming")
struct ZstdStreamingTests {
  @Test(arguments: [Int32(1), 3, 19], [0, 1, 1 << 20])
  func roundTrip(level: Int32, size: Int) throws {
    let input = TestData.sensorLike(count: size)
    let compressor = try ZstdCompressor(level: level)
    #expect(compressor.level == level)
    let stream = try frame(input, with: compressor, chunk: 100_003)
    #expect(try decode(stream, with: ZstdDecompressor(maxOutputSize: size), chunk: 4097) == input)
    // The one-shot decoder reads streaming frames too.
    #expect(try Zstd.decompress(stream, maxOutputSize: size) == input)
  }

  @Test func checksumFlagAddsFourBytes() throws {
    let input = TestData.sensorLike(count: 10_000)
    let with = try frame(input, with: ZstdCompressor(level: 3, checksum: true))
    let without = try frame(input, with: ZstdCompressor(level: 3, checksum: false))
    #expect(with.count == without.count + 4)
    #expect(try Zstd.decompress(without, maxOutputSize: 10_000) == input)
  }

  /// Tiny caller-owned buffers force every "call again" path of the pointer-based decoder.
  @Test(arguments: [1, 7, 4096])
  func callerOwnedBuffers(outputSize: Int) throws {
    let input = TestData.sensorLike(count: 70_000, seed: 5) + TestData.random(count: 30_000)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 1)
    defer { output.deallocate() }
    let compressed = try frame(input, with: ZstdCompressor(level: 1), chunk: 9000)

    let decompressor = try ZstdDecompressor(maxOutputSize: input.count)
    var decoded: [UInt8] = []
    try compressed.withUnsafeBytes { bytes in
      var offset = 0
      var full = false
      repeat {
        let progress = try decompressor.decompress(
          UnsafeRawBufferPointer(rebasing: bytes[offset...]), into: output)
        offset += progress.bytesRead
        decoded += output[0..<progress.bytesWritten]
        full = progress.bytesWritten == output.count
      } while offset < bytes.count || full
    }
    #expect(try decompressor.finish() == input.count)
    #expect(decoded == input)
  }

  @Test func reusesOneCompressorAndDecompressorForManyFrames() throws {
    let compressor = try ZstdCompressor(level: 3)
    let decompressor = try ZstdDecompressor(maxOutputSize: 1 << 20)
    var all: [UInt8] = []
    var allFrames: [UInt8] = []
    for index in 0..<40 {
      let input = TestData.sensorLike(count: index * index * 37, seed: UInt64(index + 1))
      let stream = try frame(input, with: compressor)
      #expect(try decode(stream, with: decompressor) == input, "frame \(index)")
      all += input
      allFrames += stream
    }
    // The same frames back to back form one valid multi-frame stream.
    decompressor.reset(maxOutputSize: all.count)
    #expect(try decode(allFrames, with: decompressor, chunk: 1000) == all)
  }

  @Test func compressorRecoversWhenTheSinkFails() throws {
    struct SinkFailed: Error {}
    let compressor = try ZstdCompressor(level: 1)
    let big = TestData.random(count: 600_000)
    #expect(throws: SinkFailed.self) {
      try big.withUnsafeBytes { bytes in
        try compressor.compress(bytes) { _ in throw SinkFailed() }
      }
    }
    let input = TestData.sensorLike(count: 5000)
    let stream = try frame(input, with: compressor)
    #expect(try Zstd.decompress(stream, maxOutputSize: 5000) == input)
  }

  @Test func rejectsAnOutOfRangeLevel() {
    let error = #expect(throws: ZstdError.self) { try ZstdCompressor(level: Zstd.maximumLevel + 1) }
    #expect(error?.code == 42, "ZSTD_error_parameter_outOfBound")
    #expect(Zstd.minimumLevel < 0 && Zstd.maximumLevel >= 19)
  }

  @Test func detectsEveryTruncation() throws {
    let input = TestData.sensorLike(count: 3000)
    let stream = try frame(input, with: ZstdCompressor(level: 3))
    let decompressor = try ZstdDecompressor(maxOutputSize: 3000)
    for length in 0..<stream.count {
      let error = #expect(throws: ZstdError.self, "prefix of \(length) bytes") {
        _ = try decode(Array(stream[0..<length]), with: decompressor, chunk: 64)
      }
      #expect(error?.isTruncated == true, "prefix of \(length): \(String(describing: error))")
    }
    #expect(try decode(stream, with: decompressor) == input)
  }

  @Test func detectsTruncationInsideALaterFrame() throws {
    let compressor = try ZstdCompressor(level: 1)
    let first = TestData.sensorLike(count: 300_000, seed: 7)
    let second = TestData.random(count: 300_000)
    let a = try frame(first, with: compressor)
    let b = try frame(second, with: compressor)
    let decompressor = try ZstdDecompressor(maxOutputSize: 600_000)
    // Cut at many points inside the second (multi-block) frame.
    for cut in stride(from: 1, to: b.count, by: 9973) {
      let error = #expect(throws: ZstdError.self) {
        _ = try decode(a + b[0..<cut], with: decompressor)
      }
      #expect(error?.isTruncated == true, "cut \(cut) bytes into the second frame")
    }
    // A cut exactly between frames is a valid shorter stream: only a content hash can tell.
    #expect(try decode(a, with: decompressor) == first)
  }

  /// Streaming frames carry a content checksum: a flipped bit gives an error, never different data.
  /// (A few header bits, such as the window size, do not change the content and go unnoticed.)
  @Test func detectsEveryFlippedByte() throws {
    let input = TestData.sensorLike(count: 2000, seed: 3)
    let stream = try frame(input, with: ZstdCompressor(level: 3))
    let decompressor = try ZstdDecompressor(maxOutputSize: 1 << 20)
    var errors = 0
    var harmless = 0
    for position in 0..<stream.count {
      for mask in [UInt8(0x01), 0x80, 0xff] {
        var corrupt = stream
        corrupt[position] ^= mask
        do {
          let decoded = try decode(corrupt, with: decompressor)
          #expect(decoded == input, "byte \(position) ^ \(mask) decoded to different data")
          harmless += 1
        } catch is ZstdError {
          errors += 1
        }
      }
    }
    #expect(harmless <= 6, "\(harmless) flips went unnoticed")
    #expect(errors + harmless == stream.count * 3)
    #expect(try decode(stream, with: decompressor) == input)
  }

  @Test func refusesAZipBomb() throws {
    // 256 MiB of zeros compress to a few KiB; decoding must stop at the bound, not allocate it.
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    let compressor = try ZstdCompressor(level: 1)
    var bomb: [UInt8] = []
    for _ in 0..<256 {
      try zeros.withUnsafeBytes { try compressor.compress($0) { bomb += $0 } }
    }
    try compressor.finishFrame { bomb += $0 }
    #expect(bomb.count < 100_000)

    let limit = 3 << 20
    let decompressor = try ZstdDecompressor(maxOutputSize: limit)
    var produced = 0
    let error = #expect(throws: ZstdError.self) {
      try bomb.withUnsafeBytes { try decompressor.decompress($0) { produced += $0.count } }
    }
    #expect(error?.isOutputLimitExceeded == true)
    #expect(produced <= limit)
    #expect(decompressor.totalOutput == 0, "an error resets the decompressor")
  }

  @Test func boundCountsAllFramesOfAStream() throws {
    let compressor = try ZstdCompressor(level: 1)
    let piece = TestData.sensorLike(count: 1000)
    let stream = try frame(piece, with: compressor) + frame(piece, with: compressor)
    #expect(try decode(stream, with: ZstdDecompressor(maxOutputSize: 2000)) == piece + piece)
    let error = #expect(throws: ZstdError.self) {
      _ = try decode(stream, with: ZstdDecompressor(maxOutputSize: 1999))
    }
    #expect(error?.isOutputLimitExceeded == true)
  }

  @Test func finishWithoutInputIsAnError() throws {
    let decompressor = try ZstdDecompressor(maxOutputSize: 10)
    let error = #expect(throws: ZstdError.self) { try decompressor.finish() }
    #expect(error?.isTruncated == true)
  }

  /// 200 MiB through compressor and decompressor in a pipeline, generated and checked chunk by
  /// chunk: memory stays at a few MiB whatever the size.
  @Test func largeStreamRoundTrip() throws {
    let total = 200 << 20
    // A period just under 1 MiB, longer than level 1's window, and unaligned with the chunks.
    let template = TestData.sensorLike(count: 1_048_573, seed: 11)
    let period = template.count
    let inputHash = SHA256Hasher()
    let outputHash = SHA256Hasher()
    var produced = 0
    var mismatches = 0
    let compressor = try ZstdCompressor(level: 1)
    let decompressor = try ZstdDecompressor(maxOutputSize: total)
    var generated = 0

    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: Zstd.defaultChunkSize, alignment: 16)
    defer { buffer.deallocate() }
    var compressedBytes = 0
    try template.withUnsafeBytes { pattern in
      func write(_ compressed: UnsafeRawBufferPointer) throws {
        compressedBytes += compressed.count
        try decompressor.decompress(compressed) { raw in
          outputHash.update(raw)
          var checked = 0
          while checked < raw.count {
            let start = (produced + checked) % period
            let n = min(raw.count - checked, period - start)
            if memcmp(raw.baseAddress! + checked, pattern.baseAddress! + start, n) != 0 {
              mismatches += 1
            }
            checked += n
          }
          produced += raw.count
        }
      }
      while generated < total {
        let count = min(buffer.count, total - generated)
        var filled = 0
        while filled < count {
          let start = (generated + filled) % period
          let n = min(count - filled, period - start)
          (buffer.baseAddress! + filled).copyMemory(
            from: pattern.baseAddress! + start, byteCount: n)
          filled += n
        }
        generated += count
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        inputHash.update(chunk)
        try compressor.compress(chunk, to: write)
      }
      try compressor.finishFrame(to: write)
      #expect(generated == total)
      #expect(compressedBytes < total / 2)
    }
    #expect(try decompressor.finish() == total)
    #expect(produced == total)
    #expect(mismatches == 0)
    #expect(inputHash.finalize() == outputHash.finalize())
  }
}
