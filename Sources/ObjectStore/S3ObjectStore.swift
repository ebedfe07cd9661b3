import Foundation
import PondCrypto
import PondCurl

#if canImport(Glibc)
  import Glibc
#endif

/// An object store in an S3-compatible bucket (`s3://bucket/prefix`), over libcurl, signed with SigV4.
///
/// Every request is retried on its own (connection errors, timeouts, truncated bodies, 5xx, 429, SlowDown;
/// never other 4xx) with capped exponential backoff and jitter. Objects written here carry their SHA-256
/// in `x-amz-meta-pond-sha256`, which downloads verify along with the length.
public final class S3ObjectStore: ObjectStore {
  public let bucket: String
  /// The key prefix inside the bucket: empty or ending in `/`.
  public let prefix: String
  public let options: S3Options
  public let region: String
  public var url: String { "s3://\(bucket)/\(prefix)" }

  private let credentials: AWSCredentials
  private let client: HTTPClient
  private let scheme: String
  /// Host and optional port of the endpoint (without the bucket).
  private let authority: String
  private let addressing: S3Options.Addressing
  /// The clock used for signing; tests move it to check the server's skew check.
  let now: @Sendable () -> Date

  static let sha256MetadataHeader = "x-amz-meta-pond-sha256"

  public convenience init(
    bucket: String, prefix: String, credentials: AWSCredentials, options: S3Options
  ) throws {
    try self.init(
      bucket: bucket, prefix: prefix, credentials: credentials, options: options, now: { Date() })
  }

  init(
    bucket: String, prefix: String, credentials: AWSCredentials, options: S3Options,
    now: @escaping @Sendable () -> Date
  ) throws {
    let storeURL = "s3://\(bucket)/\(prefix)"
    func invalid(_ message: String) -> ObjectStoreError {
      ObjectStoreError(
        .invalidArgument, store: storeURL, key: nil, operation: "open", message: message)
    }
    let bucketCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789.-_")
    guard (3...63).contains(bucket.count), bucket.allSatisfy({ bucketCharacters.contains($0) })
    else {
      throw invalid("invalid bucket name '\(bucket)': 3-63 lowercase letters, digits, '.', '-'")
    }
    var cleanPrefix = prefix.hasPrefix("/") ? String(prefix.drop { $0 == "/" }) : prefix
    if !cleanPrefix.isEmpty, !cleanPrefix.hasSuffix("/") { cleanPrefix += "/" }
    if !cleanPrefix.isEmpty {
      try validateKey(String(cleanPrefix.dropLast()), store: storeURL, operation: "open")
    }
    guard options.partSize >= S3Options.minimumPartSize else {
      throw invalid("part size \(options.partSize) is below S3's minimum of 5 MiB")
    }
    let region = options.region ?? "us-east-1"
    let endpoint = options.endpoint ?? "https://s3.\(region).amazonaws.com"
    guard let components = URLComponents(string: endpoint),
      let scheme = components.scheme?.lowercased(),
      let host = components.host, !host.isEmpty
    else {
      throw invalid("invalid endpoint URL '\(endpoint)'")
    }
    guard scheme == "https" || scheme == "http" else {
      throw invalid("endpoint '\(endpoint)' must be http:// or https://")
    }
    if scheme == "http", !options.allowHTTP {
      throw invalid(
        "refusing plain HTTP to \(endpoint): requests and credentials would travel unencrypted; "
          + "allow it explicitly (--allow-http) for a trusted local server")
    }
    self.bucket = bucket
    self.prefix = cleanPrefix
    self.options = options
    self.region = region
    self.credentials = credentials
    self.scheme = scheme
    self.authority = components.port.map { "\(host):\($0)" } ?? host
    self.addressing = options.addressing ?? (options.endpoint == nil ? .virtualHosted : .path)
    self.client = HTTPClient(timeouts: options.timeouts)
    self.now = now
  }

  // MARK: - Operations

  public func put(_ key: String, bytes: [UInt8]) async throws {
    try validateKey(key, store: url, operation: "put")
    let hash = try await Self.sha256Hex(bytes)
    _ = try await send(
      "put", key: key, method: "PUT", objectKey: key,
      headers: [HTTPHeader(Self.sha256MetadataHeader, hash)], body: .bytes(bytes), payloadHash: hash
    )
  }

  public func put(_ key: String, contentsOf file: URL) async throws {
    try validateKey(key, store: url, operation: "put")
    let storeURL = url
    let partSize = options.partSize
    let threshold = options.multipartThreshold
    // One read pass: the whole file's SHA-256 and, for a multipart upload, each part's.
    let (size, fileHash, partHashes) = try await runBlocking {
      try Self.hashFile(file, partSize: partSize, threshold: threshold, store: storeURL, key: key)
    }
    if size <= threshold {
      _ = try await send(
        "put", key: key, method: "PUT", objectKey: key,
        headers: [HTTPHeader(Self.sha256MetadataHeader, fileHash)],
        body: .file(path: file.path, offset: 0, length: size), payloadHash: fileHash)
    } else {
      try await multipartUpload(
        key, file: file, size: size, fileHash: fileHash, partHashes: partHashes)
    }
  }

  public func putIfAbsent(_ key: String, bytes: [UInt8]) async throws -> PutIfAbsentResult {
    try validateKey(key, store: url, operation: "put-if-absent")
    let hash = try await Self.sha256Hex(bytes)
    let outcome = try await send(
      "put-if-absent", key: key, method: "PUT", objectKey: key,
      headers: [HTTPHeader("If-None-Match", "*"), HTTPHeader(Self.sha256MetadataHeader, hash)],
      body: .bytes(bytes), payloadHash: hash, accept: [412])
    guard outcome.response.status == 412 else { return .created }
    // A retried request may find the object its own lost first attempt created.
    if outcome.attempts > 1, let existing = try? await get(key), existing == bytes {
      return .created
    }
    return .alreadyExists
  }

  public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
    try validateKey(key, store: url, operation: "get")
    // The body is collected and hashed by a sink on the transfer thread, not on the cooperative pool.
    var received: [UInt8] = []
    let outcome = try await send(
      "get", key: key, method: "GET", objectKey: key, headers: rangeHeaders(range), accept: [416],
      sink: { DownloadSink(memoryFor: self.url, key: key) },
      validate: { response, sink in
        try self.verifyDownload(response, key: key, range: range, sink: sink)
        received = sink?.takeBytes() ?? []
      })
    if outcome.response.status == 416 { throw invalidRange(key, range) }
    return received
  }

  @discardableResult
  public func get(_ key: String, to file: URL, range: ByteRange?) async throws -> ObjectInfo {
    try validateKey(key, store: url, operation: "get")
    let directory = file.deletingLastPathComponent().path
    let temp = directory + "/.pond-download-" + UUID().uuidString
    defer { unlink(temp) }
    let storeURL = url
    let outcome = try await send(
      "get", key: key, method: "GET", objectKey: key, headers: rangeHeaders(range), accept: [416],
      sink: { try DownloadSink(path: temp, destination: file.path, store: storeURL, key: key) },
      validate: { response, sink in
        try self.verifyDownload(response, key: key, range: range, sink: sink)
      },
      finish: { sink in try await runBlocking { try sink.flush() } })
    if outcome.response.status == 416 { throw invalidRange(key, range) }
    if rename(temp, file.path) != 0 {
      throw ObjectStoreError(
        .localIO, store: url, key: key, operation: "get",
        message:
          "cannot move the download \(temp) to \(file.path): \(String(cString: strerror(errno)))")
    }
    return objectInfo(key, outcome.response, size: outcome.response.bodyLength)
  }

  public func head(_ key: String) async throws -> ObjectInfo? {
    try validateKey(key, store: url, operation: "head")
    let outcome = try await send("head", key: key, method: "HEAD", objectKey: key, accept: [404])
    if outcome.response.status == 404 { return nil }
    let size = Int64(outcome.response.header("Content-Length") ?? "") ?? 0
    return objectInfo(key, outcome.response, size: size)
  }

  public func list(prefix listPrefix: String, startAfter: String?) async throws -> [ObjectInfo] {
    var found: [ObjectInfo] = []
    var token: String?
    var tokensSeen: Set<String> = []
    func malformed(_ message: String) -> ObjectStoreError {
      ObjectStoreError(
        .serverError, store: url, key: listPrefix, operation: "list",
        message: message
          + " (page \(tokensSeen.count + 1) of listing prefix '\(prefix + listPrefix)')")
    }
    repeat {
      var query = [
        ("list-type", "2"), ("max-keys", "\(options.listPageSize)"),
        ("prefix", prefix + listPrefix),
      ]
      if let token {
        query.append(("continuation-token", token))
      } else if let startAfter {
        query.append(("start-after", prefix + startAfter))
      }
      let outcome = try await send(
        "list", key: listPrefix, method: "GET", objectKey: nil, query: query)
      guard let root = XMLElement.parse(outcome.response.body), root.name == "ListBucketResult"
      else {
        throw ObjectStoreError(
          .serverError, store: url, key: listPrefix, operation: "list",
          message: "the server's listing is not a ListBucketResult document")
      }
      for item in root.all("Contents") {
        guard let fullKey = item.value("Key"), fullKey.hasPrefix(prefix) else { continue }
        guard let sizeText = item.value("Size"), let size = Int64(sizeText), size >= 0 else {
          throw malformed(
            "the server's listing gives object '\(fullKey)' "
              + (item.value("Size").map { "an invalid <Size> '\($0)'" } ?? "no <Size>"))
        }
        found.append(
          ObjectInfo(
            key: String(fullKey.dropFirst(prefix.count)),
            size: size,
            etag: item.value("ETag"),
            lastModified: item.value("LastModified").flatMap(Self.parseISODate)))
      }
      guard root.value("IsTruncated") == "true" else { break }
      guard let next = root.value("NextContinuationToken"), !next.isEmpty else {
        throw malformed(
          "the server says the listing is truncated (IsTruncated=true) but gives no "
            + "NextContinuationToken, so the rest cannot be fetched")
      }
      guard tokensSeen.insert(next).inserted else {
        throw malformed(
          "the server returned continuation token '\(next)' a second time; following it would loop "
            + "forever")
      }
      token = next
    } while true
    return found
  }

  public func delete(_ key: String) async throws {
    try validateKey(key, store: url, operation: "delete")
    _ = try await send("delete", key: key, method: "DELETE", objectKey: key, accept: [404])
  }

  /// Creates the bucket (for tests and `pond remote check` setups). A bucket that already exists and is
  /// ours (`BucketAlreadyOwnedByYou`) is fine; any other 409 (`BucketAlreadyExists`: someone else's) is an
  /// error.
  public func createBucket() async throws {
    let outcome = try await send(
      "create bucket", key: nil, method: "PUT", objectKey: nil, body: .bytes([]),
      payloadHash: Hex.encode(SHA256.hash([])), bucketOnly: true, accept: [409])
    guard outcome.response.status == 409 else { return }
    var error = s3Error("create bucket", key: nil, response: outcome.response)
    if error.s3Code == "BucketAlreadyOwnedByYou" { return }
    error.attempts = outcome.attempts
    throw error
  }

  // MARK: - Multipart

  private func multipartUpload(
    _ key: String, file: URL, size: Int64, fileHash: String, partHashes: [String]
  ) async throws {
    let created = try await send(
      "start multipart upload", key: key, method: "POST", objectKey: key, query: [("uploads", "")],
      headers: [HTTPHeader(Self.sha256MetadataHeader, fileHash)], body: .bytes([]),
      payloadHash: Hex.encode(SHA256.hash([])))
    guard let uploadID = XMLElement.parse(created.response.body)?.value("UploadId") else {
      throw ObjectStoreError(
        .serverError, store: url, key: key, operation: "start multipart upload",
        message: "the server's reply has no UploadId")
    }
    do {
      let partSize = options.partSize
      let count = partHashes.count
      var etags = [String](repeating: "", count: count)
      try await withThrowingTaskGroup(of: (Int, String).self) { group in
        var next = 0
        func addPart() {
          let index = next
          next += 1
          let offset = Int64(index) * partSize
          let length = min(partSize, size - offset)
          group.addTask {
            let part = try await self.send(
              "upload part \(index + 1)/\(count) of", key: key, method: "PUT", objectKey: key,
              query: [("partNumber", "\(index + 1)"), ("uploadId", uploadID)],
              body: .file(path: file.path, offset: offset, length: length),
              payloadHash: partHashes[index])
            guard let etag = part.response.header("ETag") else {
              throw ObjectStoreError(
                .serverError, store: self.url, key: key, operation: "upload part \(index + 1)",
                message: "the server's reply has no ETag")
            }
            return (index, etag)
          }
        }
        for _ in 0..<min(max(1, options.partConcurrency), count) { addPart() }
        while let (index, etag) = try await group.next() {
          etags[index] = etag
          if next < count { addPart() }
        }
      }
      let body =
        "<CompleteMultipartUpload>"
        + etags.enumerated().map {
          "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element.xmlEscaped)</ETag></Part>"
        }.joined() + "</CompleteMultipartUpload>"
      let bytes = Array(body.utf8)
      _ = try await send(
        "complete multipart upload", key: key, method: "POST", objectKey: key,
        query: [("uploadId", uploadID)],
        headers: [HTTPHeader("Content-Type", "application/xml")], body: .bytes(bytes),
        payloadHash: Hex.encode(SHA256.hash(bytes)),
        validate: { response in
          // S3 may answer 200 and still report an error in the body (after the 200 was sent): retry
          // the ones S3 says are worth retrying, like any 5xx.
          if let root = XMLElement.parse(response.body), root.name == "Error" {
            let code = root.value("Code")
            let retryable = code.map(Self.retryableCodes.contains) ?? true
            let error = self.s3Error(
              "complete multipart upload", key: key, status: 200, code: code,
              message: root.value("Message"), retryable: retryable)
            if retryable { throw Retryable(error: error) }
            throw error
          }
        })
    } catch {
      // Abort so the parts do not linger (and cost); the original error is what the caller needs.
      _ = try? await send(
        "abort multipart upload", key: key, method: "DELETE", objectKey: key,
        query: [("uploadId", uploadID)],
        accept: [404])
      throw error
    }
  }

  /// Hex SHA-256 of `bytes`; large buffers are hashed off the cooperative pool.
  static func sha256Hex(_ bytes: [UInt8]) async throws -> String {
    if bytes.count < 1 << 20 { return Hex.encode(SHA256.hash(bytes)) }
    return try await runBlocking { Hex.encode(SHA256.hash(bytes)) }
  }

  static func hashFile(_ file: URL, partSize: Int64, threshold: Int64, store: String, key: String)
    throws -> (
      Int64, String, [String]
    )
  {
    let fd = open(file.path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ObjectStoreError(
        .localIO, store: store, key: key, operation: "put",
        message: "cannot open \(file.path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    fstat(fd, &info)
    let size = Int64(info.st_size)
    let multipart = size > threshold
    let whole = SHA256Hasher()
    var part = SHA256Hasher()
    var partHashes: [String] = []
    var inPart: Int64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var total: Int64 = 0
    while true {
      let want = multipart ? min(buffer.count, Int(partSize - inPart)) : buffer.count
      let n = read(fd, buffer.baseAddress!, want)
      if n < 0, errno == EINTR { continue }
      if n < 0 {
        throw ObjectStoreError(
          .localIO, store: store, key: key, operation: "put",
          message: "cannot read \(file.path): \(String(cString: strerror(errno)))")
      }
      if n == 0 { break }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
      whole.update(chunk)
      total += Int64(n)
      if multipart {
        part.update(chunk)
        inPart += Int64(n)
        if inPart == partSize {
          partHashes.append(Hex.encode(part.finalize()))
          part = SHA256Hasher()
          inPart = 0
        }
      }
    }
    if multipart, inPart > 0 { partHashes.append(Hex.encode(part.finalize())) }
    guard total == size else {
      throw ObjectStoreError(
        .localIO, store: store, key: key, operation: "put",
        message: "\(file.path) changed size while being read")
    }
    return (size, Hex.encode(whole.finalize()), partHashes)
  }

  // MARK: - Requests

  struct Outcome {
    var response: HTTPResponse
    var attempts: Int
  }

  /// Marks an error as worth another try.
  private struct Retryable: Error {
    var error: ObjectStoreError
  }

  private func send(
    _ operation: String, key: String?, method: String, objectKey: String?,
    query: [(String, String)] = [],
    headers: [HTTPHeader] = [], body: HTTPRequest.Body = .none, payloadHash: String? = nil,
    bucketOnly: Bool = false, accept: Set<Int> = [],
    validate: ((HTTPResponse) throws -> Void)? = nil
  ) async throws -> Outcome {
    try await send(
      operation, key: key, method: method, objectKey: objectKey, query: query, headers: headers,
      body: body,
      payloadHash: payloadHash, bucketOnly: bucketOnly, accept: accept,
      sink: { nil as DownloadSink? },
      validate: { response, _ in try validate?(response) }, finish: nil)
  }

  /// Sends one S3 request with retries. `sink` makes a fresh download target for each attempt; `finish`
  /// (blocking work, run off the cooperative pool) completes it after a 2xx response; `validate` checks a
  /// 2xx response (throwing `Retryable` for a damaged body).
  private func send(
    _ operation: String, key: String?, method: String, objectKey: String?,
    query: [(String, String)] = [],
    headers: [HTTPHeader] = [], body: HTTPRequest.Body = .none, payloadHash: String? = nil,
    bucketOnly: Bool = false, accept: Set<Int> = [], sink makeSink: () throws -> DownloadSink?,
    validate: (HTTPResponse, DownloadSink?) throws -> Void,
    finish: ((DownloadSink) async throws -> Void)? = nil
  ) async throws -> Outcome {
    let (host, path) = target(objectKey: objectKey, bucketOnly: bucketOnly)
    let queryString = query.map { "\(AWSURIEncoding.encode($0.0))=\(AWSURIEncoding.encode($0.1))" }
      .joined(separator: "&")
    let requestURL = "\(scheme)://\(host)\(path)" + (queryString.isEmpty ? "" : "?\(queryString)")
    let payload: SigV4Signer.Payload =
      options.signsPayload || payloadHash == nil
      ? .sha256(payloadHash ?? Hex.encode(SHA256.hash([]))) : .unsigned
    let signer = SigV4Signer(credentials: credentials, region: region)

    var lastError: ObjectStoreError?
    for attempt in 1...options.retry.maxAttempts {
      if attempt > 1 { try await Task.sleep(for: options.retry.delay(after: attempt - 1)) }
      let signed = signer.sign(
        method: method, path: path, query: queryString,
        headers: [HTTPHeader("Host", host)] + headers,
        payload: payload, date: now())
      let request = HTTPRequest(
        method: method, url: requestURL, headers: signed.headers, body: body)
      let sink = try makeSink()
      do {
        let response = try await client.send(request, to: sink.map { .consumer($0) } ?? .memory)
        if response.isSuccess {
          if let sink, let finish { try await finish(sink) }
          try validate(response, sink)
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
  func target(objectKey: String?, bucketOnly: Bool = false) -> (host: String, path: String) {
    var host = authority
    var path = "/"
    if addressing == .virtualHosted {
      host = "\(bucket).\(authority)"
    } else {
      path += bucket + (bucketOnly ? "" : "/")
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
    if response.status >= 500 || response.status == 429 { return true }
    let code = XMLElement.parse(response.body)?.value("Code")
    return code.map(retryableCodes.contains) ?? false
  }

  /// S3 error codes worth another try whatever the HTTP status.
  static let retryableCodes: Set<String> = [
    "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
  ]

  private func s3Error(_ operation: String, key: String?, response: HTTPResponse)
    -> ObjectStoreError
  {
    let root = XMLElement.parse(response.body)
    return s3Error(
      operation, key: key, status: response.status, code: root?.value("Code"),
      message: root?.value("Message"),
      retryable: Self.isRetryable(response))
  }

  private func s3Error(
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
        ? .notFound : .rejected
    var text = message ?? "HTTP \(status) with no message"
    if !hint.isEmpty { text += " (\(hint))" }
    return ObjectStoreError(
      kind, store: url, key: key, operation: operation, message: text, s3Code: code,
      httpStatus: status)
  }

  private func rangeHeaders(_ range: ByteRange?) -> [HTTPHeader] {
    range.map { [HTTPHeader("Range", $0.httpValue)] } ?? []
  }

  private func invalidRange(_ key: String, _ range: ByteRange?) -> ObjectStoreError {
    ObjectStoreError(
      .invalidRange, store: url, key: key, operation: "get",
      message: "range \(range.map { "\($0)" } ?? "") is outside the object", s3Code: "InvalidRange",
      httpStatus: 416)
  }

  /// Checks a downloaded body against Content-Length (and Content-Range) and, for whole objects, the
  /// SHA-256 recorded at upload. A short body is retried; a wrong hash is an integrity error.
  private func verifyDownload(
    _ response: HTTPResponse, key: String, range: ByteRange?, sink: DownloadSink?
  ) throws {
    let count = sink?.count ?? 0
    if let expected = response.header("Content-Length").flatMap({ Int64($0) }), expected != count {
      throw Retryable(
        error: ObjectStoreError(
          .integrity, store: url, key: key, operation: "get",
          message: "received \(count) bytes but Content-Length said \(expected)"))
    }
    if range != nil, response.status == 206, let contentRange = response.header("Content-Range") {
      // bytes FIRST-LAST/TOTAL
      let numbers = contentRange.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
      if numbers.count >= 2, numbers[1] - numbers[0] + 1 != count {
        throw Retryable(
          error: ObjectStoreError(
            .integrity, store: url, key: key, operation: "get",
            message: "received \(count) bytes for Content-Range \(contentRange)"))
      }
    }
    if range != nil, response.status == 200 {
      throw ObjectStoreError(
        .integrity, store: url, key: key, operation: "get",
        message: "the server ignored the Range header")
    }
    if range == nil, let expected = response.header(Self.sha256MetadataHeader) {
      let actual = sink?.digest ?? Hex.encode(SHA256.hash([]))
      if actual != expected {
        // Retried: a body damaged in transit may arrive whole next time; if not, this is the final error.
        throw Retryable(
          error: ObjectStoreError(
            .integrity, store: url, key: key, operation: "get",
            message:
              "the body's SHA-256 \(actual) differs from the \(expected) recorded when it was written"
          ))
      }
    }
  }

  private func objectInfo(_ key: String, _ response: HTTPResponse, size: Int64) -> ObjectInfo {
    ObjectInfo(
      key: key, size: size, etag: response.header("ETag"),
      lastModified: response.header("Last-Modified").flatMap(Self.parseHTTPDate))
  }

  static func parseISODate(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
  }

  static func parseHTTPDate(_ text: String) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: text)
  }
}

/// Receives a download while hashing it, on the transfer thread: into a temporary file, or into memory.
/// One per attempt.
final class DownloadSink: HTTPBodyConsumer, @unchecked Sendable {
  // Safe: created by `send`, used only by the one transfer thread while the request runs, then by `send`
  // (and the blocking `flush` it awaits) after the transfer finished; the continuations order the accesses.
  private let fd: Int32
  /// The temporary file, or nil for an in-memory download.
  private let path: String?
  private let destination: String?
  private let store: String
  private let key: String
  private let hasher = SHA256Hasher()
  private var bytes: [UInt8] = []
  private(set) var count: Int64 = 0
  private var finalDigest: String?

  /// A download into the temporary file `path`, to become `destination`.
  init(path: String, destination: String, store: String, key: String) throws {
    self.path = path
    self.destination = destination
    self.store = store
    self.key = key
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 {
      throw failure("cannot create the temporary file \(path)", errno)
    }
  }

  /// A download kept in memory.
  init(memoryFor store: String, key: String) {
    self.path = nil
    self.destination = nil
    self.store = store
    self.key = key
    fd = -1
  }

  deinit { if fd >= 0 { close(fd) } }

  private func failure(_ what: String, _ code: Int32) -> ObjectStoreError {
    let target = destination.map { " for \($0)" } ?? ""
    return ObjectStoreError(
      .localIO, store: store, key: key, operation: "get",
      message: "\(what)\(target): \(String(cString: strerror(code)))")
  }

  func consume(_ chunk: UnsafeRawBufferPointer) throws {
    hasher.update(chunk)
    count += Int64(chunk.count)
    guard let path else {
      bytes.append(contentsOf: chunk)
      return
    }
    var done = 0
    while done < chunk.count {
      let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
      if n < 0, errno == EINTR { continue }
      if n < 0 { throw failure("cannot write the temporary file \(path)", errno) }
      done += n
    }
  }

  /// Flushes the file to disk (blocking: run it off the cooperative pool).
  func flush() throws {
    guard let path else { return }
    if fsync(fd) != 0 { throw failure("cannot flush the temporary file \(path)", errno) }
  }

  /// The hex SHA-256 of everything received (fixed on first use).
  var digest: String {
    if let finalDigest { return finalDigest }
    let value = Hex.encode(hasher.finalize())
    finalDigest = value
    return value
  }

  /// Hands over the in-memory body.
  func takeBytes() -> [UInt8] {
    defer { bytes = [] }
    return bytes
  }
}
