import FoundationEssentials
import PondCrypto
import PondCurl
public import PondFiles

/// An object store in an S3-compatible bucket (`s3://bucket/prefix`), over libcurl, signed with SigV4.
///
/// Every request is retried on its own as `RetryPolicy` says (connection errors, timeouts, truncated bodies,
/// 5xx, 429, SlowDown; never other 4xx). Objects written here carry their SHA-256 in
/// `x-amz-meta-pond-sha256`, which downloads verify along with the length. Its concerns live in
/// `S3ObjectStore+Requests` (signing, sending, retries, errors), `+Upload` (files and multipart),
/// `+Download` (verified, durable downloads) and `+Listing` (pages of ListObjectsV2).
public final class S3ObjectStore: ObjectStore {
  public let bucket: String
  /// The key prefix inside the bucket: empty or ending in `/`.
  public let prefix: String
  public let options: S3Options
  public let region: String
  public var url: String { "s3://\(bucket)/\(prefix)" }

  let credentials: AWSCredentials
  let client: HTTPClient
  let scheme: String
  /// Host and optional port of the endpoint (without the bucket).
  let authority: String
  let addressing: S3Options.Addressing
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

  public func putIfAbsent(_ key: String, bytes: [UInt8], modificationTime: Int64?) async throws
    -> PutIfAbsentResult
  {
    try validateKey(key, store: url, operation: "put-if-absent")
    let hash = try await Self.sha256Hex(bytes)
    let outcome = try await send(
      "put-if-absent", key: key, method: "PUT", objectKey: key,
      headers: [HTTPHeader("If-None-Match", "*"), HTTPHeader(Self.sha256MetadataHeader, hash)],
      body: .bytes(bytes), payloadHash: hash, accept: [412])
    // 412: the key is taken, whoever took it (a lost reply of our own first attempt included): deciding
    // whether the object holds our bytes is the caller's business.
    return outcome.response.status == 412 ? .alreadyExists : .created
  }

  public func get(_ key: String) async throws -> [UInt8] {
    try validateKey(key, store: url, operation: "get")
    // The body is collected and hashed by a sink on the transfer thread, not on the cooperative pool.
    var received: [UInt8] = []
    _ = try await send(
      "get", key: key, method: "GET", objectKey: key,
      sink: { DownloadSink(memoryFor: self.url, key: key) },
      validate: { response, sink in
        try self.verifyDownload(response, key: key, sink: sink)
        received = sink?.takeBytes() ?? []
      })
    return received
  }

  public func head(_ key: String) async throws -> ObjectInfo? {
    try validateKey(key, store: url, operation: "head")
    let outcome = try await send("head", key: key, method: "HEAD", objectKey: key, accept: [404])
    if outcome.response.status == 404 { return nil }
    let size = Int64(outcome.response.header("Content-Length") ?? "") ?? 0
    return objectInfo(key, outcome.response, size: size)
  }

  public func delete(_ key: String) async throws {
    try validateKey(key, store: url, operation: "delete")
    _ = try await send("delete", key: key, method: "DELETE", objectKey: key, accept: [404])
  }
}
