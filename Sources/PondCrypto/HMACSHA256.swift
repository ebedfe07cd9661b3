internal import CCrypto

/// HMAC-SHA256 (RFC 2104) through OpenSSL's `HMAC` with `EVP_sha256`.
public enum HMACSHA256 {
  /// The SHA-256 block size; longer keys are replaced by their digest (RFC 2104, section 2).
  private static let blockSize = 64

  /// Returns HMAC-SHA256(`key`, `message`). Empty keys and messages are valid.
  public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
    // Hashing long keys here is what HMAC does anyway, and keeps the length within HMAC's `int`.
    let key = key.count > blockSize ? SHA256.hash(key) : key
    var out = [UInt8](repeating: 0, count: SHA256.digestLength)
    var length: UInt32 = 0
    // An empty array may have no storage, and OpenSSL 3 fails `HMAC` with a NULL key even of
    // length 0 (measured with 3.0.x): always pass a real address, even for zero bytes.
    var placeholder: UInt8 = 0
    let result = withUnsafeMutablePointer(to: &placeholder) { empty in
      key.withUnsafeBufferPointer { k in
        message.withUnsafeBufferPointer { m in
          HMAC(
            EVP_sha256(), k.baseAddress ?? UnsafePointer(empty), Int32(k.count),
            m.baseAddress ?? UnsafePointer(empty), m.count, &out, &length)
        }
      }
    }
    precondition(
      result != nil && length == 32, "HMAC(SHA-256) failed: \(CryptoError.fromQueue("HMAC"))")
    return out
  }
}
