internal import CCrypto

/// Incremental SHA-256: feed bytes in any number of `update` calls, then `finalize` once.
///
/// Owns one OpenSSL `EVP_MD_CTX` (`EVP_DigestInit_ex`/`Update`/`Final_ex` with `EVP_sha256`), freed
/// in `deinit`. Not `Sendable`: a hasher is mutable C state used by one task at a time.
public final class SHA256Hasher {
  private let context: OpaquePointer
  private var finished = false

  public init() {
    guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
    guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
      preconditionFailure("EVP_DigestInit_ex(SHA-256) failed: \(CryptoError.fromQueue("SHA-256"))")
    }
    context = ctx
  }

  deinit { EVP_MD_CTX_free(context) }

  /// Adds `data` to the hash.
  public func update(_ data: UnsafeRawBufferPointer) {
    precondition(!finished, "SHA256Hasher.update after finalize")
    guard data.count > 0 else { return }
    precondition(
      EVP_DigestUpdate(context, data.baseAddress, data.count) == 1, "EVP_DigestUpdate failed")
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
    precondition(
      EVP_DigestFinal_ex(context, &digest, &length) == 1 && length == 32,
      "EVP_DigestFinal_ex failed")
    return digest
  }
}

@available(*, unavailable, message: "a SHA256Hasher is mutable C state used by one task at a time")
extension SHA256Hasher: Sendable {}
