internal import CZstd

/// One-shot zstd compression and bounded decompression of in-memory buffers, and the constants
/// shared by the streaming types.
public enum Zstd {
  /// The default level used by the pond (fast, as on field stations).
  public static let defaultLevel: Int32 = 3
  /// The lowest (fastest, negative) level this libzstd accepts (`ZSTD_minCLevel`).
  public static let minimumLevel: Int32 = ZSTD_minCLevel()
  /// The highest level this libzstd accepts (`ZSTD_maxCLevel`).
  public static let maximumLevel: Int32 = ZSTD_maxCLevel()
  /// The input chunk size of the streaming helpers: large enough for few system calls, small
  /// enough that memory stays bounded.
  public static let defaultChunkSize = 1 << 20

  /// Compresses `input` into a single zstd frame (`ZSTD_compress`; no content checksum).
  public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) throws
    -> [UInt8]
  {
    let bound = ZSTD_compressBound(input.count)
    var output = [UInt8](repeating: 0, count: bound)
    let written = try output.withUnsafeMutableBytes { out in
      try ZstdError.check(
        ZSTD_compress(out.baseAddress, out.count, input.baseAddress, input.count, level))
    }
    output.removeSubrange(written...)
    return output
  }

  /// Compresses `input` into a single zstd frame.
  public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
    try input.withUnsafeBytes { try compress($0, level: level) }
  }

  /// Decompresses all frames in `input`, refusing to produce more than `maxOutputSize` bytes.
  ///
  /// - Throws: `ZstdError` for corrupt, empty or truncated input, or when the output would exceed
  ///   `maxOutputSize`.
  public static func decompress(_ input: UnsafeRawBufferPointer, maxOutputSize: Int) throws
    -> [UInt8]
  {
    let decompressor = try ZstdDecompressor(maxOutputSize: maxOutputSize)
    var output: [UInt8] = []
    if let base = input.baseAddress {
      // A declared content size only sizes the first allocation, and only up to a small multiple of the
      // input: the header is untrusted, so a tiny frame must not reserve a huge buffer up front. Output
      // beyond that grows as it is really produced, and the bound is still enforced.
      let declared = ZSTD_getFrameContentSize(base, input.count)
      if declared != pond_zstd_content_size_error(), declared != pond_zstd_content_size_unknown() {
        let plausible = UInt64(input.count) &* 32 &+ 65_536
        output.reserveCapacity(Int(min(declared, UInt64(maxOutputSize), plausible)))
      }
    }
    try decompressor.decompress(input) { output.append(contentsOf: $0) }
    try decompressor.finish()
    return output
  }

  /// Decompresses all frames in `input`, refusing to produce more than `maxOutputSize` bytes.
  public static func decompress(_ input: [UInt8], maxOutputSize: Int) throws -> [UInt8] {
    try input.withUnsafeBytes { try decompress($0, maxOutputSize: maxOutputSize) }
  }
}
