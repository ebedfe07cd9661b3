internal import CZstd

/// An error reported by libzstd (`ZSTD_isError`), carrying zstd's own code and message, or raised by
/// this wrapper (code 0) for conditions zstd leaves to its caller: output beyond the caller's bound,
/// a stream that ends inside a frame, or input holding no frame at all.
public struct ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The zstd error code (`ZSTD_getErrorCode`), or 0 for errors raised by this wrapper.
  public let code: Int
  /// zstd's message (`ZSTD_getErrorName`) or the wrapper's.
  public let message: String
  private var kind: Kind = .library

  private enum Kind: Sendable, Equatable {
    case library
    case outputLimitExceeded
    case truncated
  }

  public init(code: Int, message: String) {
    self.code = code
    self.message = message
  }

  /// True when decompression stopped because the output would exceed the caller's bound.
  public var isOutputLimitExceeded: Bool { kind == .outputLimitExceeded }

  /// True when the input ended inside a frame (or held no frame at all).
  public var isTruncated: Bool { kind == .truncated }

  public var description: String { "zstd: \(message)" }

  static func outputLimitExceeded(_ limit: Int) -> ZstdError {
    var error = ZstdError(
      code: 0,
      message: "decompressed data exceeds the limit of \(limit) bytes"
        + " (corrupt input, or a larger limit is needed)")
    error.kind = .outputLimitExceeded
    return error
  }

  static func truncated(_ detail: String) -> ZstdError {
    var error = ZstdError(code: 0, message: detail)
    error.kind = .truncated
    return error
  }

  /// Converts a zstd return value into a result, throwing when it encodes an error.
  static func check(_ result: Int) throws(ZstdError) -> Int {
    if ZSTD_isError(result) != 0 {
      let name = String(cString: ZSTD_getErrorName(result))
      throw ZstdError(code: Int(ZSTD_getErrorCode(result).rawValue), message: name)
    }
    return result
  }
}
