import Foundation
import Synchronization
import Testing
import TinyFS

/// The RFC 9562 fields these tests check; pond itself never reads them.
extension NodeID {
  /// The UUID version field (7 for every id this module makes).
  var version: Int { Int((high >> 12) & 0xF) }
  /// The variant bits (0b10 for every id this module makes).
  var variant: Int { Int(low >> 62) }
  /// Milliseconds since the Unix epoch when the id was generated.
  var timestampMilliseconds: UInt64 { high >> 16 }
}

@Suite("Node ids")
struct NodeIDTests {
  @Test("the text form is Foundation's UUID text, lower-cased, for any bytes")
  func textMatchesFoundation() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<1000 {
      let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let id = try #require(NodeID(bytes: bytes))
      let uuid = bytes.withUnsafeBytes { UUID(uuid: $0.load(as: uuid_t.self)) }
      #expect(id.description == uuid.uuidString.lowercased())
      #expect(NodeID(id.description) == id)
    }
  }

  @Test func rootIsFixedVersion7() {
    #expect(NodeID.root.description == "00000000-0000-7000-8000-000000000000")
    #expect(NodeID.root.version == 7)
    #expect(NodeID.root.variant == 0b10)
    #expect(NodeID.root.timestampMilliseconds == 0)
  }

  @Test func generatedIdsAreVersion7WithTheClockTimestamp() {
    let generator = UUIDv7Generator(clock: { 0x0190_1234_5678 })
    let id = generator.next()
    #expect(id.version == 7)
    #expect(id.variant == 0b10)
    #expect(id.timestampMilliseconds == 0x0190_1234_5678)
    #expect(id.description.hasPrefix("01901234-5678-7"))
    #expect(NodeID.root < id)
  }

  @Test func idsAreUniqueAndIncreasingWithinOneMillisecond() {
    let generator = UUIDv7Generator(clock: { 1_700_000_000_000 })
    let ids = (0..<10_000).map { _ in generator.next() }
    #expect(Set(ids).count == ids.count)
    #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    #expect(ids.allSatisfy { $0.version == 7 && $0.variant == 0b10 })
  }

  @Test func idsSortByCreationTimeEvenWhenTheClockStepsBack() {
    let times = [1000, 1001, 1005, 900, 1006] as [UInt64]
    let ticks = TickingClock(times)
    let generator = UUIDv7Generator(clock: { ticks.next() })
    let ids = times.map { _ in generator.next() }
    #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    #expect(ids.map(\.timestampMilliseconds) == [1000, 1001, 1005, 1005, 1006])
  }

  @Test func systemClockIdsCarryTheCurrentTime() {
    let before = UUIDv7Generator.systemMilliseconds()
    let id = UUIDv7Generator().next()
    let after = UUIDv7Generator.systemMilliseconds()
    #expect((before...after).contains(id.timestampMilliseconds))
    #expect(before > 1_600_000_000_000)
  }

  @Test func textAndBytesRoundTrip() throws {
    let id = UUIDv7Generator().next()
    #expect(NodeID(id.description) == id)
    #expect(NodeID(id.description.uppercased()) == id)
    #expect(NodeID(bytes: id.bytes) == id)
    #expect(id.bytes.count == 16)
    #expect(id.bytes[6] >> 4 == 7)
    #expect(id.bytes[8] >> 6 == 0b10)
  }

  @Test(arguments: [
    "", "00000000-0000-7000-8000-00000000000", "00000000-0000-7000-8000-00000000000g",
    "000000000000-7000-8000-000000000000-", "00000000000070008000000000000000",
  ])
  func malformedTextIsRejected(_ text: String) {
    #expect(NodeID(text) == nil)
  }

  @Test func wrongByteCountIsRejected() {
    #expect(NodeID(bytes: [UInt8](repeating: 0, count: 15)) == nil)
  }
}

/// Returns the given times in order, then repeats the last.
final class TickingClock: Sendable {
  private let times: [UInt64]
  private let index = Mutex(0)

  init(_ times: [UInt64]) { self.times = times }

  func next() -> UInt64 {
    index.withLock { index in
      defer { index += 1 }
      return times[min(index, times.count - 1)]
    }
  }
}
