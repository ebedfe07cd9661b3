import Foundation
import PondTestSupport
import Testing

@testable import ObjectStore

/// The local S3 server of the tests, with the ObjectStore values built from it.
typealias S3TestServer = LocalS3Server

extension LocalS3Server {
  static let skipReason: Comment =
    "no local S3 server: run through scripts/s3/with-s3-server.sh (make test does) to exercise S3"

  var credentials: AWSCredentials {
    AWSCredentials(accessKeyID: accessKey, secretAccessKey: secretKey)
  }

  func options(_ change: (inout S3Options) -> Void = { _ in }) -> S3Options {
    var options = S3Options(
      endpoint: endpoint, region: region, allowHTTP: true,
      retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(50), maxDelay: .milliseconds(500))
    )
    change(&options)
    return options
  }

  /// A store under a fresh prefix, so tests never see each other's objects.
  func store(
    credentials: AWSCredentials? = nil, clockOffset: TimeInterval = 0,
    _ change: (inout S3Options) -> Void = { _ in }
  ) throws -> S3ObjectStore {
    try S3ObjectStore(
      bucket: bucket, prefix: "test-\(UUID().uuidString.prefix(8))/",
      credentials: credentials ?? self.credentials,
      options: options(change), now: { Date().addingTimeInterval(clockOffset) })
  }
}
