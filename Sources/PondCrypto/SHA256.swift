internal import CCrypto
public import PondFiles

/// SHA-256 through OpenSSL.
public enum SHA256 {
  /// The length of a digest in bytes.
  public static let digestLength = 32

  /// Returns the SHA-256 digest of `data`.
  public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
    let hasher = SHA256Hasher()
    hasher.update(data)
    return hasher.finalize()
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
