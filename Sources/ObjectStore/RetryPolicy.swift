import PondCurl

/// When and how often to try a failed request again: capped exponential backoff with jitter, and which
/// failures are worth another try. `S3ObjectStore` retries each request by it; a caller may reuse it to
/// retry whole operations.
public struct RetryPolicy: Sendable, Hashable {
  /// Total tries of one request, the first included.
  public var maxAttempts: Int
  /// The wait before the second try; each later wait doubles it, up to `maxDelay`.
  public var baseDelay: Duration
  public var maxDelay: Duration
  /// The share of each wait drawn at random (0 none, 1 all), so that clients that failed together do not
  /// retry together.
  public var jitter: Double

  public init(
    maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(200),
    maxDelay: Duration = .seconds(10), jitter: Double = 0.5
  ) {
    precondition(maxAttempts >= 1, "at least one attempt")
    precondition((0...1).contains(jitter), "jitter is a share between 0 and 1")
    self.maxAttempts = maxAttempts
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
    self.jitter = jitter
  }

  /// The wait before try number `attempt` (2 or more): `min(maxDelay, baseDelay * 2^(attempt-2))`, less a
  /// random share of up to `jitter` of it.
  public func delay(forAttempt attempt: Int) -> Duration {
    precondition(attempt >= 2, "the first try does not wait")
    let capped = min(baseDelay * Int(1 << min(attempt - 2, 20)), maxDelay)
    return capped * (1 - Double.random(in: 0...jitter))
  }

  /// True when an HTTP answer is worth another try: 5xx, 429, or an S3 error code that says so whatever
  /// the status (`SlowDown`, `RequestTimeout`, `InternalError`, `ServiceUnavailable`).
  public static func isRetryable(httpStatus: Int, s3Code: String?) -> Bool {
    httpStatus >= 500 || httpStatus == 429 || s3Code.map(retryableS3Codes.contains) == true
  }

  static let retryableS3Codes: Set<String> = [
    "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
  ]

  /// True when `error` is worth another try: a transient network failure (`CurlError.isTransient`) or an
  /// `ObjectStoreError` of kind `.network` or `.serverError` (the store's own retries were spent; a later
  /// try of the whole operation may still succeed). Rejections, missing objects, integrity and local I/O
  /// failures are not.
  public static func isRetryable(_ error: any Error) -> Bool {
    switch error {
    case let error as CurlError: error.isTransient
    case let error as ObjectStoreError: error.kind == .network || error.kind == .serverError
    default: false
    }
  }
}
