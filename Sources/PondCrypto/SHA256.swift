internal import CCrypto

/// An error reported by OpenSSL's libcrypto.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
  public let operation: String
  public let message: String

  public var description: String { "openssl: \(operation) failed: \(message)" }

  /// Builds an error from the calling thread's OpenSSL error queue, emptying it.
  static func fromQueue(_ operation: String) -> CryptoError {
    var messages: [String] = []
    while true {
      let code = ERR_get_error()
      if code == 0 { break }
      var buffer = [CChar](repeating: 0, count: 256)
      ERR_error_string_n(code, &buffer, buffer.count)
      messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return CryptoError(
      operation: operation, message: messages.isEmpty ? "unknown error" : messages.joined(separator: "; "))
  }
}

/// SHA-256 through OpenSSL EVP.
public enum SHA256 {
  /// The length of a digest in bytes.
  public static let digestLength = 32

  /// Returns the SHA-256 digest of `data`.
  public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: digestLength)
    var length: UInt32 = 0
    let ok = digest.withUnsafeMutableBufferPointer { out in
      EVP_Digest(data.baseAddress, data.count, out.baseAddress, &length, EVP_sha256(), nil)
    }
    // EVP_Digest with the built-in SHA-256 fails only when memory is exhausted.
    precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed: \(CryptoError.fromQueue("SHA-256"))")
    return digest
  }

  /// Returns the SHA-256 digest of `data`.
  public static func hash(_ data: [UInt8]) -> [UInt8] {
    data.withUnsafeBytes { hash($0) }
  }
}

/// Lower-case hexadecimal encoding and decoding.
public enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  /// Encodes `bytes` as lower-case hexadecimal.
  public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes hexadecimal (either case); returns nil for odd lengths or non-hex characters.
  public static func decode(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
      default: return nil
      }
    }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
      guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
      out.append(hi << 4 | lo)
      i += 2
    }
    return out
  }
}

/// Incremental SHA-256: feed bytes in any number of `update` calls, then `finalize` once.
///
/// Owns one OpenSSL `EVP_MD_CTX`, freed in `deinit`. Not `Sendable`: a hasher is used by one task at a time.
public final class SHA256Hasher {
  private let context: OpaquePointer
  private var finished = false

  public init() {
    guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
    precondition(EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
    context = ctx
  }

  deinit { EVP_MD_CTX_free(context) }

  /// Adds `data` to the hash.
  public func update(_ data: UnsafeRawBufferPointer) {
    precondition(!finished, "SHA256Hasher.update after finalize")
    guard data.count > 0 else { return }
    precondition(EVP_DigestUpdate(context, data.baseAddress, data.count) == 1, "EVP_DigestUpdate failed")
  }

  /// Adds `data` to the hash.
  public func update(_ data: [UInt8]) {
    data.withUnsafeBytes { update($0) }
  }

  /// Returns the digest of everything added; the hasher cannot be used afterwards.
  public func finalize() -> [UInt8] {
    precondition(!finished, "SHA256Hasher.finalize called twice")
    finished = true
    var digest = [UInt8](repeating: 0, count: SHA256.digestLength)
    var length: UInt32 = 0
    precondition(EVP_DigestFinal_ex(context, &digest, &length) == 1 && length == 32, "EVP_DigestFinal_ex failed")
    return digest
  }
}

/// HMAC-SHA256 through OpenSSL.
public enum HMACSHA256 {
  /// Returns HMAC-SHA256(`key`, `message`).
  public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: SHA256.digestLength)
    var length: UInt32 = 0
    let result = key.withUnsafeBytes { k in
      message.withUnsafeBytes { m in
        HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, &out, &length)
      }
    }
    precondition(result != nil && length == 32, "HMAC(SHA-256) failed")
    return out
  }
}
