internal import CCrypto
public import PondFiles

/// An error reported by OpenSSL's libcrypto, with the messages of the thread's OpenSSL error queue.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
  /// The operation that failed, e.g. "SHA-256".
  public let operation: String
  /// OpenSSL's messages (`ERR_error_string_n`), joined by "; ".
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
      messages.append(
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return CryptoError(
      operation: operation,
      message: messages.isEmpty ? "unknown error" : messages.joined(separator: "; "))
  }
}

/// Reading a file to hash it failed; the package-wide file error (path, operation, errno, hint).
public typealias CryptoFileError = FileIOError
