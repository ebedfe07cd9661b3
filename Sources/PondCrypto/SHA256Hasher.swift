internal import CCrypto

/// Incremental SHA-256: feed bytes in any number of `update` calls, then `finalize` once.
///
/// Owns one OpenSSL `SHA256_CTX` (`SHA256_Init`/`Update`/`Final`, not EVP: see CCrypto's shim), freed in
/// `deinit`. Not `Sendable`: a hasher is mutable C state used by one task at a time.
public final class SHA256Hasher {
  private let context = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)
  private var finished = false

  public init() { SHA256_Init(context) }

  deinit { context.deallocate() }

  /// Adds `data` to the hash.
  public func update(_ data: UnsafeRawBufferPointer) {
    precondition(!finished, "SHA256Hasher.update after finalize")
    guard data.count > 0 else { return }
    SHA256_Update(context, data.baseAddress, data.count)
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
    SHA256_Final(&digest, context)
    return digest
  }
}

@available(*, unavailable, message: "a SHA256Hasher is mutable C state used by one task at a time")
extension SHA256Hasher: Sendable {}
