internal import CCrypto
public import PondFiles

/// SHA-256 through OpenSSL EVP.
public enum SHA256 {
  /// The length of a digest in bytes.
  public static let digestLength = 32

  /// Returns the SHA-256 digest of `data` (`EVP_Digest` with `EVP_sha256`).
  public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: digestLength)
    var length: UInt32 = 0
    let ok = digest.withUnsafeMutableBufferPointer { out in
      EVP_Digest(data.baseAddress, data.count, out.baseAddress, &length, EVP_sha256(), nil)
    }
    // EVP_Digest with the built-in SHA-256 fails only when memory is exhausted.
    precondition(
      ok == 1 && length == 32, "EVP_Digest(SHA-256) failed: \(CryptoError.fromQueue("SHA-256"))")
    return digest
  }

  /// Returns the SHA-256 digest of `data`.
  public static func hash(_ data: [UInt8]) -> [UInt8] {
    data.withUnsafeBytes { hash($0) }
  }

  /// Returns the SHA-256 digest of the file at `path`, read in chunks of `chunkSize` bytes (memory
  /// does not grow with the file).
  ///
  /// Blocks on file I/O: from async code, run it on a dedicated thread, not the cooperative pool.
  ///
  /// - Throws: `CryptoFileError` when the file cannot be opened or read.
  public static func hash(fileAt path: String, chunkSize: Int = 1 << 20) throws(CryptoFileError)
    -> [UInt8]
  {
    precondition(chunkSize > 0, "chunkSize must be positive")
    let file = try OpenFile(readingAt: path)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    let hasher = SHA256Hasher()
    while true {
      let count = try file.read(into: buffer)
      hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
      if count < buffer.count { break }
    }
    return hasher.finalize()
  }
}
