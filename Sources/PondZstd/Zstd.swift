internal import CZstd

/// An error reported by libzstd, carrying zstd's own code and message.
public struct ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The zstd error code (`ZSTD_getErrorCode`), or 0 for errors raised by this wrapper.
  public let code: Int
  public let message: String

  public init(code: Int, message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "zstd: \(message)" }

  /// Converts a zstd return value into a result, throwing when it encodes an error.
  static func check(_ result: Int) throws -> Int {
    if ZSTD_isError(result) != 0 {
      let name = String(cString: ZSTD_getErrorName(result))
      throw ZstdError(code: Int(ZSTD_getErrorCode(result).rawValue), message: name)
    }
    return result
  }
}

/// One-shot zstd compression and bounded decompression.
public enum Zstd {
  /// The default level used by the pond (fast, as on field stations).
  public static let defaultLevel: Int32 = 3

  /// Compresses `input` into a single zstd frame.
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
  /// - Throws: `ZstdError` for corrupt input, or when the output would exceed `maxOutputSize`.
  public static func decompress(_ input: UnsafeRawBufferPointer, maxOutputSize: Int) throws
    -> [UInt8]
  {
    precondition(maxOutputSize >= 0, "maxOutputSize must not be negative")
    guard let dctx = ZSTD_createDCtx() else {
      throw ZstdError(code: 0, message: "cannot allocate a decompression context")
    }
    defer { ZSTD_freeDCtx(dctx) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: min(max(maxOutputSize, 1), ZSTD_DStreamOutSize()))
    var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
    var lastResult = 0
    repeat {
      let produced = try chunk.withUnsafeMutableBytes { out -> Int in
        var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
        lastResult = try ZstdError.check(ZSTD_decompressStream(dctx, &outBuffer, &inBuffer))
        return outBuffer.pos
      }
      if output.count + produced > maxOutputSize {
        throw ZstdError(
          code: 0, message: "decompressed data exceeds the limit of \(maxOutputSize) bytes")
      }
      output.append(contentsOf: chunk[0..<produced])
      if produced == 0 && inBuffer.pos == inBuffer.size && lastResult != 0 {
        throw ZstdError(code: 0, message: "truncated zstd frame")
      }
    } while inBuffer.pos < inBuffer.size || lastResult != 0
    return output
  }

  /// Decompresses all frames in `input`, refusing to produce more than `maxOutputSize` bytes.
  public static func decompress(_ input: [UInt8], maxOutputSize: Int) throws -> [UInt8] {
    try input.withUnsafeBytes { try decompress($0, maxOutputSize: maxOutputSize) }
  }
}
