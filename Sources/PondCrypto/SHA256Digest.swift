/// A SHA-256 digest: 32 bytes, written as 64 lower-case hex digits (the form pond stores everywhere).
public struct SHA256Digest: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The 32 bytes.
  public let bytes: [UInt8]

  /// The digest of `data`.
  public init(hashing data: [UInt8]) { bytes = SHA256.hash(data) }

  /// Parses 64 lower-case hex digits; nil for anything else (upper case included: pond writes lower case,
  /// so another form names other bytes on a case-sensitive store).
  public init?(hex: some StringProtocol) {
    // Checked as a String: on the generic `hex.utf8` the runtime would look up its conformances.
    let hex = String(hex)
    guard hex.utf8.count == 2 * SHA256.digestLength,
      hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
      let bytes = Hex.decode(hex)
    else { return nil }
    self.bytes = bytes
  }

  /// 64 lower-case hex digits.
  public var hex: String { Hex.encode(bytes) }
  public var description: String { hex }

  public static func < (left: Self, right: Self) -> Bool {
    left.bytes.lexicographicallyPrecedes(right.bytes)
  }
}
