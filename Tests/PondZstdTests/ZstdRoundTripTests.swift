import PondZstd
import Testing

@Suite("Zstd one-shot")
struct ZstdOneShotTests {
  @Test(arguments: [0, 1, 1000, 1 << 20])
  func roundTrip(size: Int) throws {
    let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
    let frame = try Zstd.compress(input, level: 3)
    #expect(try Zstd.decompress(frame, maxOutputSize: size) == input)
  }

  @Test func refusesOutputBeyondTheBound() throws {
    let frame = try Zstd.compress([UInt8](repeating: 7, count: 4096))
    #expect(throws: ZstdError.self) { try Zstd.decompress(frame, maxOutputSize: 4095) }
  }
}
