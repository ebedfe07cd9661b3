import Foundation
import PondCrypto
import PondTestSupport
import Testing

@Suite("SHA-256")
struct SHA256Tests {
  /// NIST FIPS 180-2 / CAVP example messages and their digests.
  static let nistVectors: [(message: [UInt8], digest: String)] = [
    (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (
      Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
      Array(
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
          + "lmnopqrsmnopqrstnopqrstu").utf8),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
    (
      [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    ),
  ]

  @Test(arguments: 0..<nistVectors.count)
  func nistVectorOneShot(index: Int) {
    let (message, digest) = Self.nistVectors[index]
    #expect(Hex.encode(SHA256.hash(message)) == digest)
    #expect(message.withUnsafeBytes { Hex.encode(SHA256.hash($0)) } == digest)
  }

  @Test(arguments: 0..<nistVectors.count)
  func nistVectorIncremental(index: Int) {
    let (message, digest) = Self.nistVectors[index]
    let hasher = SHA256Hasher()
    // Uneven pieces, including empty ones, so block boundaries fall inside updates.
    var offset = 0
    var step = 0
    while offset < message.count {
      let end = min(message.count, offset + step)
      hasher.update(Array(message[offset..<end]))
      offset = end
      step = (step * 7 + 13) % 200
    }
    hasher.update([])
    #expect(Hex.encode(hasher.finalize()) == digest)
  }

  @Test func incrementalMatchesOneShotAtEverySplit() {
    var generator = SystemRandomNumberGenerator()
    let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
    for split in 0...data.count {
      let hasher = SHA256Hasher()
      data.withUnsafeBytes { bytes in
        hasher.update(UnsafeRawBufferPointer(rebasing: bytes[0..<split]))
        hasher.update(UnsafeRawBufferPointer(rebasing: bytes[split...]))
      }
      let expected = SHA256.hash(data)
      #expect(hasher.finalize() == expected, "split at \(split)")
    }
  }

  @Test func incrementalMatchesOneShotAtThreeWaySplits() {
    let data = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let expected = SHA256.hash(data)
    for first in stride(from: 0, through: data.count, by: 9) {
      for second in stride(from: first, through: data.count, by: 13) {
        let hasher = SHA256Hasher()
        hasher.update(Array(data[0..<first]))
        hasher.update(Array(data[first..<second]))
        hasher.update(Array(data[second...]))
        #expect(hasher.finalize() == expected, "splits at \(first), \(second)")
      }
    }
  }

  @Test(arguments: [0, 1, 64, 1 << 20, (3 << 20) + 17])
  func fileHashMatchesSha256sum(size: Int) throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-sha256")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("random.bin")
    var generator = SystemRandomNumberGenerator()
    var data = [UInt8](repeating: 0, count: size)
    for i in 0..<size where i % 8 == 0 {
      withUnsafeBytes(of: generator.next()) { word in
        for j in 0..<min(8, size - i) { data[i + j] = word[j] }
      }
    }
    try Data(data).write(to: file)

    // A small chunk size makes the streaming path cross many chunk boundaries.
    let streamed = try SHA256.hash(fileAt: file.path, chunkSize: 4099)
    #expect(streamed == SHA256.hash(data))
    #expect(try SHA256.hash(fileAt: file.path) == streamed)

    guard let sha256sum = TestSupport.which("sha256sum") else {
      if TestSupport.isCI { Issue.record("sha256sum is required under CI") }
      return
    }
    let result = try TestSupport.run(sha256sum, [file.path])
    #expect(result.status == 0)
    #expect(result.stdoutText.split(separator: " ").first.map(String.init) == Hex.encode(streamed))
  }

  @Test func fileHashOfMissingFileThrows() throws {
    let error = #expect(throws: CryptoFileError.self) {
      try SHA256.hash(fileAt: "/nonexistent/pond-sha256-missing")
    }
    #expect(error?.path == "/nonexistent/pond-sha256-missing")
    #expect(error?.errorNumber == ENOENT)
    #expect(error?.description.contains("No such file") == true)
    #expect(error?.description.contains("check that /nonexistent/pond-sha256-missing") == true)
  }

  @Test func fileHashOfDirectoryThrows() throws {
    let error = #expect(throws: CryptoFileError.self) { try SHA256.hash(fileAt: "/tmp") }
    #expect(error?.operation == .read)
    #expect(error?.errorNumber == EISDIR)
  }
}

@Suite("Hex")
struct HexTests {
  @Test func encodesLowerCase() {
    #expect(Hex.encode([0x00, 0x01, 0xab, 0xff]) == "0001abff")
    #expect(Hex.encode([]) == "")
  }

  @Test func decodesEitherCase() {
    #expect(Hex.decode("00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
    #expect(Hex.decode("") == [])
  }

  @Test(arguments: ["abc", "zz", "0g", "-1", " 0", "ä0"])
  func rejectsInvalidText(text: String) {
    #expect(Hex.decode(text) == nil)
  }

  @Test func roundTripsAllBytes() {
    let bytes = (0...255).map { UInt8($0) }
    #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    #expect(Hex.decode(Hex.encode(bytes).uppercased()) == bytes)
  }
}

@Suite("SHA256Digest")
struct SHA256DigestTests {
  @Test func hexRoundTripsAndOnlyLowerCaseHexOf32BytesParses() throws {
    let digest = SHA256Digest(hashing: Array("abc".utf8))
    #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256Digest(hex: digest.hex) == digest)
    #expect(digest.bytes == SHA256.hash(Array("abc".utf8)))
    #expect("\(digest)" == digest.hex)
    #expect(SHA256Digest(hex: digest.hex.uppercased()) == nil)
    #expect(SHA256Digest(hex: String(digest.hex.dropLast())) == nil)
    #expect(SHA256Digest(hex: digest.hex + "00") == nil)
    #expect(SHA256Digest(hex: String(digest.hex.dropLast()) + "g") == nil)
    let zero = try #require(SHA256Digest(hex: String(repeating: "0", count: 64)))
    #expect(zero < digest && !(digest < zero))
  }
}
