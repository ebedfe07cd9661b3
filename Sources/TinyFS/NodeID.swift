import PondTime
import Synchronization

/// The identity of a node: a UUIDv7 (RFC 9562), ordered by creation time.
///
/// The root directory has the fixed id `00000000-0000-7000-8000-000000000000`: a zero timestamp and zero random
/// bits with the version-7 and variant bits set, so it is a valid v7 id that sorts before every generated one.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The first 8 bytes, big-endian: 48-bit millisecond timestamp, 4-bit version, 12 bits `rand_a`.
  public let high: UInt64
  /// The last 8 bytes, big-endian: 2-bit variant, 62 bits `rand_b`.
  public let low: UInt64

  public init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// The fixed id of the root directory.
  public static let root = NodeID(high: 0x0000_0000_0000_7000, low: 0x8000_0000_0000_0000)

  /// Reads 16 big-endian bytes; nil when `bytes` is not 16 bytes long.
  public init?(bytes: [UInt8]) {
    guard bytes.count == 16 else { return nil }
    var high: UInt64 = 0
    var low: UInt64 = 0
    for index in 0..<8 {
      high = high << 8 | UInt64(bytes[index])
      low = low << 8 | UInt64(bytes[index + 8])
    }
    self.init(high: high, low: low)
  }

  /// Parses the canonical 8-4-4-4-12 hexadecimal form (either case); nil when malformed.
  public init?(_ text: String) {
    let groups = text.split(separator: "-", omittingEmptySubsequences: false)
    guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(16)
    let digits = Array(groups.joined().utf8)
    var index = 0
    while index < digits.count {
      guard let upper = Self.hexValue(digits[index]), let lower = Self.hexValue(digits[index + 1])
      else { return nil }
      bytes.append(upper << 4 | lower)
      index += 2
    }
    self.init(bytes: bytes)
  }

  /// The 16 bytes, big-endian (the RFC 9562 binary layout).
  public var bytes: [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(16)
    for shift in stride(from: 56, through: 0, by: -8) {
      result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
    }
    for shift in stride(from: 56, through: 0, by: -8) {
      result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
    }
    return result
  }

  /// The canonical UUID text, lower-case hex in groups of 8-4-4-4-12 (written straight into one buffer: it
  /// is formatted for every row written and every entry listed).
  public var description: String {
    let digits = Array("0123456789abcdef".utf8)
    return String(unsafeUninitializedCapacity: 36) { buffer in
      var position = 0
      for (index, byte) in bytes.enumerated() {
        if index == 4 || index == 6 || index == 8 || index == 10 {
          buffer[position] = UInt8(ascii: "-")
          position += 1
        }
        buffer[position] = digits[Int(byte >> 4)]
        buffer[position + 1] = digits[Int(byte & 0x0f)]
        position += 2
      }
      return position
    }
  }

  public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
    (lhs.high, lhs.low) < (rhs.high, rhs.low)
  }

  private static func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}

/// Makes UUIDv7 node ids: 48-bit Unix millisecond timestamp, version 7, variant 0b10, 74 random bits.
///
/// Ids from one generator are strictly increasing: when the clock has not advanced past the previous id (same
/// millisecond, or a clock step backwards), the previous id's 74 random bits are incremented as a counter
/// (RFC 9562 section 6.2, method 2 with a random seed), carrying into the timestamp on overflow.
/// Sendable: the last id is guarded by a mutex.
public final class UUIDv7Generator: Sendable {
  private let clock: @Sendable () -> UInt64
  private let last = Mutex<NodeID?>(nil)

  /// - Parameter clock: milliseconds since the Unix epoch; tests inject a fixed clock.
  public init(clock: @escaping @Sendable () -> UInt64 = UUIDv7Generator.systemMilliseconds) {
    self.clock = clock
  }

  /// The wall clock in milliseconds since the Unix epoch.
  @Sendable public static func systemMilliseconds() -> UInt64 {
    UInt64(UTCMilliseconds.now().rawValue)
  }

  /// A new id, greater than every id this generator returned before.
  public func next() -> NodeID {
    var random = SystemRandomNumberGenerator()
    let milliseconds = clock() & 0xFFFF_FFFF_FFFF
    let randA = random.next() & 0xFFF
    let randB = random.next() & 0x3FFF_FFFF_FFFF_FFFF
    let fresh = NodeID(
      high: milliseconds << 16 | 0x7000 | randA, low: 0x8000_0000_0000_0000 | randB)
    return last.withLock { previous in
      var result = fresh
      if let previous, result <= previous {
        result = Self.successor(of: previous)
      }
      previous = result
      return result
    }
  }

  /// The next id after `id` in the 74-bit random field, carrying into the timestamp.
  private static func successor(of id: NodeID) -> NodeID {
    let randB = id.low & 0x3FFF_FFFF_FFFF_FFFF
    if randB < 0x3FFF_FFFF_FFFF_FFFF {
      return NodeID(high: id.high, low: 0x8000_0000_0000_0000 | (randB + 1))
    }
    let randA = id.high & 0xFFF
    if randA < 0xFFF {
      return NodeID(high: id.high + 1, low: 0x8000_0000_0000_0000)
    }
    let milliseconds = (id.high >> 16) + 1
    return NodeID(high: milliseconds << 16 | 0x7000, low: 0x8000_0000_0000_0000)
  }
}
