import PondZstd
import Testing

@Suite("Zstd one-shot")
struct ZstdOneShotTests {
  @Test(arguments: [Int32(1), 3, 19], [0, 1, 1000, 1 << 20])
  func roundTrip(level: Int32, size: Int) throws {
    let input = TestData.sensorLike(count: size)
    let frame = try Zstd.compress(input, level: level)
    #expect(try Zstd.decompress(frame, maxOutputSize: size) == input)
    if size >= 1000 { #expect(frame.count < size, "sensor-like data should compress") }
  }

  @Test func rawBufferOverloadsAgree() throws {
    let input = TestData.sensorLike(count: 5000)
    let frame = try input.withUnsafeBytes { try Zstd.compress($0, level: 5) }
    #expect(frame == (try Zstd.compress(input, level: 5)))
    #expect(try frame.withUnsafeBytes { try Zstd.decompress($0, maxOutputSize: 5000) } == input)
  }

  @Test func refusesOutputBeyondTheBound() throws {
    let frame = try Zstd.compress([UInt8](repeating: 7, count: 4096))
    let error = #expect(throws: ZstdError.self) { try Zstd.decompress(frame, maxOutputSize: 4095) }
    #expect(error?.isOutputLimitExceeded == true)
    #expect(error?.description.contains("4095") == true)
    #expect(try Zstd.decompress(frame, maxOutputSize: 4096).count == 4096)
    #expect(throws: ZstdError.self) { try Zstd.decompress(frame, maxOutputSize: 0) }
  }

  @Test func decodesConcatenatedFrames() throws {
    let a = TestData.sensorLike(count: 3000, seed: 1)
    let b = TestData.sensorLike(count: 7000, seed: 2)
    let stream = try Zstd.compress(a) + Zstd.compress([]) + Zstd.compress(b, level: 1)
    #expect(try Zstd.decompress(stream, maxOutputSize: 10_000) == a + b)
    let error = #expect(throws: ZstdError.self) { try Zstd.decompress(stream, maxOutputSize: 9999) }
    #expect(error?.isOutputLimitExceeded == true)
  }

  @Test func emptyInputIsNotAFrame() {
    let error = #expect(throws: ZstdError.self) { try Zstd.decompress([], maxOutputSize: 10) }
    #expect(error?.isTruncated == true)
  }

  @Test func everyTruncationIsAnError() throws {
    let frame = try Zstd.compress(TestData.sensorLike(count: 2000))
    for length in 1..<frame.count {
      let error = #expect(throws: ZstdError.self, "prefix of \(length) bytes") {
        try Zstd.decompress(Array(frame[0..<length]), maxOutputSize: 2000)
      }
      #expect(error?.isTruncated == true, "prefix of \(length) bytes: \(String(describing: error))")
    }
  }

  @Test func garbageIsAnError() throws {
    for length in [1, 4, 5, 100, 10_000] {
      let error = #expect(throws: ZstdError.self) {
        try Zstd.decompress(TestData.random(count: length), maxOutputSize: 1 << 20)
      }
      // Random bytes fail either on the magic number (zstd's own code) or for being too short.
      #expect(error.map { $0.code != 0 || $0.isTruncated } == true)
    }
  }

  @Test func corruptMagicAndTrailingGarbageAreErrors() throws {
    let input = TestData.sensorLike(count: 1000)
    var frame = try Zstd.compress(input)
    frame[0] ^= 0xff
    let magic = #expect(throws: ZstdError.self) { try Zstd.decompress(frame, maxOutputSize: 1000) }
    #expect(magic?.code == 10, "ZSTD_error_prefix_unknown, got \(String(describing: magic))")
    frame[0] ^= 0xff
    #expect(throws: ZstdError.self) {
      try Zstd.decompress(frame + [1, 2, 3, 4, 5, 6, 7, 8], maxOutputSize: 1 << 20)
    }
  }

  /// A 17-byte frame whose header claims 256 MiB of content but holds one byte. The header is untrusted: the
  /// call must fail without first reserving the claimed size (checked by hand under `ulimit -v`, where the old
  /// code aborted; here it must simply give a ZstdError).
  @Test func aFrameThatLiesAboutItsSizeIsAnErrorWithoutAHugeReservation() {
    let frame: [UInt8] = [
      0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00,
      0x00, 0x41,
    ]
    #expect(throws: ZstdError.self) { try Zstd.decompress(frame, maxOutputSize: 256 << 20) }
  }
}
