import Foundation
import PondCrypto
import PondTestSupport
import PondZstd
import Testing

/// The zstd command-line tool, an independent implementation of the format to check against.
private let zstdCLI = TestSupport.which("zstd")

/// Runs the zstd CLI; fails the test on a non-zero exit.
private func runCLI(_ arguments: [String], stdin: Data? = nil) throws -> TestSupport.ProcessResult {
  let cli = try #require(zstdCLI, "the zstd CLI is required (apt-get install zstd)")
  let result = try TestSupport.run(cli, arguments, stdin: stdin)
  #expect(result.status == 0, "zstd \(arguments.joined(separator: " ")): \(result.stderrText)")
  return result
}

/// Decodes the zstd stream in the file at `path` as the pond reads a large file: streamed through
/// `ZstdDecompressor.decompressStream` in bounded chunks.
private func decodeFile(
  _ path: String, maxOutputSize: Int, decompressor: ZstdDecompressor? = nil,
  observe: (UnsafeRawBufferPointer) -> Void = { _ in }
) throws -> (summary: ZstdStreamSummary, bytes: [UInt8]) {
  let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  let decompressor = try decompressor ?? ZstdDecompressor(maxOutputSize: maxOutputSize)
  decompressor.reset(maxOutputSize: maxOutputSize)
  var offset = 0
  var bytes: [UInt8] = []
  let summary = try decompressor.decompressStream(
    read: { buffer in
      let count = min(buffer.count, compressed.count - offset)
      buffer.copyBytes(from: compressed[offset..<(offset + count)])
      offset += count
      return count
    },
    write: { chunk in
      observe(chunk)
      bytes += chunk
    })
  return (summary, bytes)
}

@Suite("ZstdFile and the zstd CLI")
struct ZstdFileTests {
  @Test(
    .enabled(if: zstdCLI != nil || TestSupport.isCI, "needs the zstd CLI (/usr/bin/zstd)"),
    arguments: [Int32(1), 3, 19], [0, 1, 1 << 20])
  func ourFramesDecodeWithTheCLI(level: Int32, size: Int) throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let data = TestData.sensorLike(count: size, seed: UInt64(size) + 1)
    let raw = try scratch.write(data, to: "raw.bin")
    let compressed = scratch.path("raw.bin.zst")
    let hasher = SHA256Hasher()
    let summary = try ZstdFile.compress(fileAt: raw, to: compressed, level: level) {
      hasher.update($0)
    }
    #expect(hasher.finalize() == SHA256.hash(data))
    #expect(summary.rawBytes == size)
    #expect(summary.compressedBytes == (try scratch.read(compressed).count))

    _ = try runCLI(["-q", "-t", compressed])
    #expect([UInt8](try runCLI(["-q", "-d", "-c", compressed]).stdout) == data)
  }

  @Test(.enabled(if: zstdCLI != nil || TestSupport.isCI, "needs the zstd CLI (/usr/bin/zstd)"))
  func ourMultiFrameStreamDecodesWithTheCLI() throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let compressor = try ZstdCompressor(level: 3)
    var stream: [UInt8] = []
    var expected: [UInt8] = []
    for index in 0..<5 {
      let piece = TestData.sensorLike(count: 10_000 * index, seed: UInt64(index))
      expected += piece
      try piece.withUnsafeBytes { try compressor.compress($0) { stream += $0 } }
      try compressor.finishFrame { stream += $0 }
    }
    let path = try scratch.write(stream, to: "multi.zst")
    #expect([UInt8](try runCLI(["-q", "-d", "-c", path]).stdout) == expected)
  }

  @Test(
    .enabled(if: zstdCLI != nil || TestSupport.isCI, "needs the zstd CLI (/usr/bin/zstd)"),
    arguments: [["-1"], ["-3"], ["-19"], ["-3", "--no-check"], ["-1", "-B65536"]])
  func cliFramesDecodeWithOurs(options: [String]) throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let data = TestData.sensorLike(count: (1 << 20) + 12_345, seed: 42)
    let raw = try scratch.write(data, to: "raw.bin")
    let compressed = scratch.path("raw.bin.zst")
    _ = try runCLI(["-q"] + options + [raw, "-o", compressed])

    let hasher = SHA256Hasher()
    let (summary, restored) = try decodeFile(compressed, maxOutputSize: data.count) {
      hasher.update($0)
    }
    #expect(summary.rawBytes == data.count)
    #expect(hasher.finalize() == SHA256.hash(data))
    #expect(restored == data)
    #expect(try Zstd.decompress(scratch.read(compressed), maxOutputSize: data.count) == data)
  }

  /// Frames the CLI writes from a pipe have no content size; several files concatenated are one
  /// valid stream.
  @Test(.enabled(if: zstdCLI != nil || TestSupport.isCI, "needs the zstd CLI (/usr/bin/zstd)"))
  func cliStreamedAndConcatenatedFramesDecodeWithOurs() throws {
    let a = TestData.sensorLike(count: 300_000, seed: 1)
    let b = TestData.random(count: 50_000)
    let frameA = [UInt8](try runCLI(["-q", "-c", "-5"], stdin: Data(a)).stdout)
    let frameB = [UInt8](try runCLI(["-q", "-c", "-1"], stdin: Data(b)).stdout)
    #expect(try Zstd.decompress(frameA + frameB, maxOutputSize: a.count + b.count) == a + b)
    let error = #expect(throws: ZstdError.self) {
      try Zstd.decompress(frameA + frameB.dropLast(), maxOutputSize: a.count + b.count)
    }
    #expect(error?.isTruncated == true)
  }

  @Test func reusesAGivenDecompressor() throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let decompressor = try ZstdDecompressor(maxOutputSize: 1)
    for index in 0..<3 {
      let data = TestData.sensorLike(count: 100_000 * (index + 1), seed: UInt64(index))
      let raw = try scratch.write(data, to: "raw\(index)")
      try ZstdFile.compress(fileAt: raw, to: scratch.path("raw\(index).zst"), level: 1)
      let (summary, back) = try decodeFile(
        scratch.path("raw\(index).zst"), maxOutputSize: data.count, decompressor: decompressor)
      #expect(summary.rawBytes == data.count)
      #expect(back == data)
    }
  }

  @Test func refusesToOverwriteTheDestination() throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let raw = try scratch.write([1, 2, 3], to: "raw")
    let existing = try scratch.write([9, 9], to: "existing")
    let error = #expect(throws: ZstdFileError.self) {
      try ZstdFile.compress(fileAt: raw, to: existing)
    }
    #expect(error?.errorNumber == EEXIST)
    #expect(error?.path == existing)
    #expect(error?.hint == "\(existing) already exists: remove it or choose another name")
    #expect(try scratch.read(existing) == [9, 9], "an existing file is never touched")
  }

  @Test func missingSourceCreatesNothing() throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let missing = scratch.path("missing")
    let destination = scratch.path("out")
    let error = #expect(throws: ZstdFileError.self) {
      try ZstdFile.compress(fileAt: missing, to: destination)
    }
    #expect(error?.errorNumber == ENOENT)
    #expect(error?.description.contains(missing) == true)
    #expect(!scratch.exists(destination))
  }

  @Test func readErrorRemovesThePartialDestination() throws {
    let scratch = try ScratchDirectory("pond-zstd")
    let destination = scratch.path("out.zst")
    // A directory opens for reading but fails on read (EISDIR).
    let error = #expect(throws: ZstdFileError.self) {
      try ZstdFile.compress(fileAt: scratch.url.path, to: destination)
    }
    #expect(error?.operation == .read)
    #expect(!scratch.exists(destination))
  }

  /// The observer can abort the pass (say, a hash mismatch detected early); nothing is left behind.
  @Test func observerErrorsPropagate() throws {
    struct Stop: Error {}
    let scratch = try ScratchDirectory("pond-zstd")
    let raw = try scratch.write(TestData.sensorLike(count: 3 << 20), to: "raw")
    let destination = scratch.path("out.zst")
    #expect(throws: Stop.self) {
      try ZstdFile.compress(fileAt: raw, to: destination) { _ in throw Stop() }
    }
    #expect(!scratch.exists(destination))
  }
}
