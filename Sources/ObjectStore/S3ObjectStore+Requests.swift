import FoundationEssentials
import PondCrypto
import PondCurl

/// Signing and sending one request, with retries, and turning S3's answers into errors.
extension S3ObjectStore {
  struct Outcome {
    var response: HTTPResponse
    var attempts: Int
  }

  /// Marks an error as worth another try.
  struct Retryable: Error {
    var error: ObjectStoreError
  }

  func send(
    _ operation: String, key: String?, method: String, objectKey: String?,
    query: [(String, String)] = [],
    headers: [HTTPHeader] = [], body: HTTPRequest.Body = .none, payloadHash: String? = nil,
    accept: Set<Int> = [], validate: ((HTTPResponse) throws -> Void)? = nil
  ) async throws -> Outcome {
    try await send(
      operation, key: key, method: method, objectKey: objectKey, query: query, headers: headers,
      body: body,
      payloadHash: payloadHash, accept: accept,
      sink: { nil as DownloadSink? },
      validate: { response, _ in try validate?(response) }, finish: nil)
  }

  /// Sends one S3 request with retries. `sink` makes a fresh download target for each attempt; `validate`
  /// checks a 2xx response (throwing `Retryable` for a damaged body); `finish` then completes the sink.
  func send(
    _ operation: String, key: String?, method: String, objectKey: String?,
    query: [(String, String)] = [],
    headers: [HTTPHeader] = [], body: HTTPRequest.Body = .none, payloadHash: String? = nil,
    accept: Set<Int> = [], sink makeSink: () throws -> DownloadSink?,
    validate: (HTTPResponse, DownloadSink?) throws -> Void,
    finish: ((DownloadSink) async throws -> Void)? = nil
  ) async throws -> Outcome {
    let (host, path) = target(objectKey: objectKey)
    let queryString = query.map { "\(AWSURIEncoding.encode($0.0))=\(AWSURIEncoding.encode($0.1))" }
      .joined(separator: "&")
    let requestURL = "\(scheme)://\(host)\(path)" + (queryString.isEmpty ? "" : "?\(queryString)")
    let payload: SigV4Signer.Payload =
      options.signsPayload || payloadHash == nil
      ? .sha256(payloadHash ?? Hex.encode(SHA256.hash([]))) : .unsigned
    let signer = SigV4Signer(credentials: credentials, region: region)

    var lastError: ObjectStoreError?
    for attempt in 1...options.retry.maxAttempts {
      if attempt > 1 { try await Task.sleep(for: options.retry.delay(forAttempt: attempt)) }
      let signed = signer.sign(
        method: method, path: path, query: queryString,
        headers: [HTTPHeader("Host", host)] + headers,
        payload: payload, date: now())
      let request = HTTPRequest(
        method: method, url: requestURL, headers: signed.headers, body: body)
      let sink = try makeSink()
      // A failed attempt's download goes now, not whenever the transfer thread drops its reference.
      defer { sink?.discard() }
      do {
        let response = try await client.send(request, to: sink.map { .consumer($0) } ?? .memory)
        if response.isSuccess {
          try validate(response, sink)
          if let sink, let finish { try await finish(sink) }
          return Outcome(response: response, attempts: attempt)
        }
        if accept.contains(response.status) {
          return Outcome(response: response, attempts: attempt)
        }
        var error = s3Error(operation, key: key, response: response)
        if Self.isRetryable(response) {
          lastError = error
          continue
        }
        error.attempts = attempt
        throw error
      } catch let error as CurlError {
        guard error.isTransient else {
          throw ObjectStoreError(
            .network, store: url, key: key, operation: operation, message: error.message,
            attempts: attempt)
        }
        lastError = ObjectStoreError(
          .network, store: url, key: key, operation: operation,
          message: "\(error.message) (curl error \(error.code))")
      } catch let retry as Retryable {
        lastError = retry.error
      }
    }
    let last = lastError!
    throw ObjectStoreError(
      last.kind, store: url, key: key, operation: operation,
      message: "\(last.message); gave up after \(options.retry.maxAttempts) attempts",
      s3Code: last.s3Code,
      httpStatus: last.httpStatus, attempts: options.retry.maxAttempts)
  }

  /// The Host header and the wire path (each key segment percent-encoded once) of a request.
  func target(objectKey: String?) -> (host: String, path: String) {
    var host = authority
    var path = "/"
    if addressing == .virtualHosted {
      host = "\(bucket).\(authority)"
    } else {
      path += bucket + "/"
    }
    if let objectKey { path += AWSURIEncoding.encode(prefix + objectKey, keepingSlashes: true) }
    return (host, path)
  }

  /// Sends a PUT whose `x-amz-content-sha256` claims `claimedSHA256` (tests of the server's body check).
  func putClaimingHash(_ key: String, bytes: [UInt8], claimedSHA256: String) async throws {
    _ = try await send(
      "put", key: key, method: "PUT", objectKey: key, body: .bytes(bytes),
      payloadHash: claimedSHA256)
  }

  static func isRetryable(_ response: HTTPResponse) -> Bool {
    RetryPolicy.isRetryable(
      httpStatus: response.status, s3Code: XMLElement.parse(response.body)?.value("Code"))
  }

  func s3Error(_ operation: String, key: String?, response: HTTPResponse)
    -> ObjectStoreError
  {
    let root = XMLElement.parse(response.body)
    return s3Error(
      operation, key: key, status: response.status, code: root?.value("Code"),
      message: root?.value("Message"),
      retryable: Self.isRetryable(response))
  }

  func s3Error(
    _ operation: String, key: String?, status: Int, code: String?, message: String?, retryable: Bool
  ) -> ObjectStoreError {
    let code =
      code
      ?? [
        301: "PermanentRedirect", 400: "BadRequest", 403: "AccessDenied", 404: "NotFound",
        412: "PreconditionFailed",
      ][status]
      ?? "HTTP\(status)"
    let hint: String
    switch code {
    case "SignatureDoesNotMatch":
      hint = "check the secret access key of \(credentials.accessKeyID) and the region (\(region))"
    case "InvalidAccessKeyId":
      hint = "the server does not know access key \(credentials.accessKeyID)"
    case "RequestTimeTooSkewed": hint = "this machine's clock is off; synchronise it (NTP)"
    case "XAmzContentSHA256Mismatch":
      hint = "the body changed in transit or while it was being sent"
    case "NoSuchBucket": hint = "check the bucket name or create bucket '\(bucket)'"
    case "AccessDenied", "Forbidden": hint = "the credentials lack permission for this operation"
    case "AuthorizationHeaderMalformed": hint = "check the region (\(region))"
    case "PermanentRedirect": hint = "the bucket is in another region or needs another endpoint"
    default: hint = ""
    }
    let kind: ObjectStoreError.Kind =
      retryable
      ? .serverError
      : (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NotFound")
        ? .notFound : status == 412 ? .preconditionFailed : .rejected
    var text = message ?? "HTTP \(status) with no message"
    if !hint.isEmpty { text += " (\(hint))" }
    return ObjectStoreError(
      kind, store: url, key: key, operation: operation, message: text, s3Code: code,
      httpStatus: status)
  }

  func objectInfo(_ key: String, _ response: HTTPResponse, size: Int64) -> ObjectInfo {
    ObjectInfo(
      key: key, size: size, etag: response.header("ETag"),
      lastModified: response.header("Last-Modified").flatMap(Self.parseHTTPDate))
  }

  /// `Wed, 21 Oct 2015 07:28:00 GMT` (HTTP's IMF-fixdate), read as the ISO 8601 time it names.
  static func parseHTTPDate(_ text: String) -> Date? {
    let parts = text.split(separator: " ")
    let months = [
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    guard parts.count == 6, parts[5] == "GMT", let month = months.firstIndex(of: String(parts[2]))
    else { return nil }
    let iso = "\(parts[3])-\(month < 9 ? "0" : "")\(month + 1)-\(parts[1])T\(parts[4])Z"
    return parseISODate(iso)
  }
}
