import FoundationEssentials
public import PondCurl

/// How to reach an S3-compatible service.
public struct S3Options: Sendable {
  /// How the bucket is named in requests.
  public enum Addressing: Sendable, Hashable {
    /// `https://endpoint/bucket/key`: the default for a custom endpoint (MinIO, Ceph, Garage, moto).
    case path
    /// `https://bucket.endpoint/key`: the default for AWS itself.
    case virtualHosted
  }

  /// The service URL (`https://s3.example.org:9000`); nil means the configuration's endpoint, else AWS.
  public var endpoint: String?
  /// The signing region; nil means the configuration's region, else `us-east-1`.
  public var region: String?
  /// nil means path-style for a custom endpoint and virtual-hosted for AWS.
  public var addressing: Addressing?
  /// Plain `http://` endpoints are refused unless this is set.
  public var allowHTTP: Bool
  /// Sign each body's SHA-256 (the default, and the most portable), or send `UNSIGNED-PAYLOAD`.
  public var signsPayload: Bool
  /// Files larger than this go up as multipart uploads.
  public var multipartThreshold: Int64
  /// The size of each part but the last; at least 5 MiB (S3's minimum).
  public var partSize: Int64
  /// How many parts are uploaded at the same time.
  public var partConcurrency: Int
  /// Retries on connection errors, timeouts, 5xx, 429 and SlowDown.
  public var retry: RetryPolicy
  public var timeouts: HTTPTimeouts
  /// Keys per LIST page (S3's maximum is 1000).
  public var listPageSize: Int

  public static let minimumPartSize: Int64 = 5 << 20

  public init(
    endpoint: String? = nil, region: String? = nil, addressing: Addressing? = nil,
    allowHTTP: Bool = false,
    signsPayload: Bool = true, multipartThreshold: Int64 = 64 << 20, partSize: Int64 = 16 << 20,
    partConcurrency: Int = 4, retry: RetryPolicy = RetryPolicy(),
    timeouts: HTTPTimeouts = HTTPTimeouts(
      connect: .seconds(10), lowSpeedLimit: 1024, lowSpeedTime: .seconds(30)),
    listPageSize: Int = 1000
  ) {
    self.endpoint = endpoint
    self.region = region
    self.addressing = addressing
    self.allowHTTP = allowHTTP
    self.signsPayload = signsPayload
    self.multipartThreshold = multipartThreshold
    self.partSize = partSize
    self.partConcurrency = partConcurrency
    self.retry = retry
    self.timeouts = timeouts
    self.listPageSize = listPageSize
  }
}
