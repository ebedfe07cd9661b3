import PondCrypto
import Testing

@Suite("HMAC-SHA256")
struct HMACSHA256Tests {
  private static func bytes(_ byte: UInt8, _ count: Int) -> [UInt8] {
    [UInt8](repeating: byte, count: count)
  }

  /// RFC 4231 section 4, test cases 1-7 (case 5's expected value is the truncated 128 bits).
  static let rfc4231: [(key: [UInt8], data: [UInt8], mac: String)] = [
    (
      bytes(0x0b, 20), Array("Hi There".utf8),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    ),
    (
      Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    ),
    (
      bytes(0xaa, 20), bytes(0xdd, 50),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
    ),
    (
      (1...25).map { UInt8($0) }, bytes(0xcd, 50),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    ),
    (bytes(0x0c, 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b"),
    (
      bytes(0xaa, 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ),
    (
      bytes(0xaa, 131),
      Array(
        ("This is a test using a larger than block-size key and a larger than block-size data."
          + " The key needs to be hashed before being used by the HMAC algorithm.").utf8),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    ),
  ]

  @Test(arguments: 1...7)
  func rfc4231TestCase(number: Int) {
    let (key, data, mac) = Self.rfc4231[number - 1]
    let full = HMACSHA256.authenticate(key: key, message: data)
    #expect(full.count == 32)
    // Case 5 specifies only the leftmost 128 bits of the output.
    let compared = number == 5 ? Array(full.prefix(16)) : full
    #expect(Hex.encode(compared) == mac)
  }

  /// Values computed independently with Python's `hmac` module.
  @Test func emptyKeyAndMessage() {
    #expect(
      Hex.encode(HMACSHA256.authenticate(key: [], message: []))
        == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    #expect(
      Hex.encode(HMACSHA256.authenticate(key: [], message: Array("abc".utf8)))
        == "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351")
    #expect(
      Hex.encode(HMACSHA256.authenticate(key: Array("k".utf8), message: []))
        == "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620")
    // HMAC pads keys with zeros, so an empty key and a single zero byte are the same key.
    #expect(
      HMACSHA256.authenticate(key: [], message: Array("abc".utf8))
        == HMACSHA256.authenticate(key: [0], message: Array("abc".utf8)))
  }

  /// Keys at and just over the 64-byte block size take different paths (used as is / hashed first).
  @Test func keysAroundTheBlockSize() {
    let message = Array("x".utf8)
    #expect(
      Hex.encode(HMACSHA256.authenticate(key: Self.bytes(UInt8(ascii: "k"), 64), message: message))
        == "f91c4c403625fb06910ef93999265bbd2d62baeaec6ff36455498cc124fe3e66")
    #expect(
      Hex.encode(HMACSHA256.authenticate(key: Self.bytes(UInt8(ascii: "k"), 65), message: message))
        == "75092ca3ee2b307470c227697b42b3e65376aa3bae98fb5a1f7b7536daa9588a")
  }

  /// A long key is equivalent to its SHA-256 digest (RFC 2104); this one is far beyond any block.
  @Test func longKeyEqualsItsDigest() {
    let key = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131) }
    let message = Array("long key".utf8)
    #expect(
      HMACSHA256.authenticate(key: key, message: message)
        == HMACSHA256.authenticate(key: SHA256.hash(key), message: message))
  }
}
