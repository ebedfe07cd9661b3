/// A libcurl failure: curl's own result code and message, and the request it happened on.
public struct CurlError: Error, Sendable, CustomStringConvertible {
  /// libcurl's `CURLcode` value (for example 7 for "couldn't connect", 28 for a timeout).
  public let code: Int
  /// libcurl's message for the code, followed by its detailed error buffer when it has one.
  public let message: String
  /// The method and URL (without its query string) of the failed request.
  public let request: String

  public init(code: Int, message: String, request: String) {
    self.code = code
    self.message = message
    self.request = request
  }

  public var description: String { "curl error \(code) on \(request): \(message)" }

  /// A network-level failure that a retry may cure: connection refused or reset, timeouts, a body cut short.
  public var isTransient: Bool {
    // 6/7 resolve/connect, 16 HTTP/2 framing, 18 partial body, 28 timeout, 35 TLS handshake,
    // 52 empty reply, 55 send failure, 56 receive failure, 65 rewind failure, 92 HTTP/2 stream.
    [6, 7, 16, 18, 28, 35, 52, 55, 56, 65, 92].contains(code)
  }

  /// The transfer was stopped because the waiting task was cancelled (`CURLE_ABORTED_BY_CALLBACK`).
  public var isCancelled: Bool { code == 42 }
}
