import PondCrypto
import Testing

@Suite("SHA-256 one-shot")
struct SHA256OneShotTests {
  @Test func nistShortVectors() {
    #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(Hex.encode(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func hexRoundTrip() {
    #expect(Hex.decode("00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
    #expect(Hex.decode("abc") == nil)
    #expect(Hex.decode("zz") == nil)
  }
}
