import Foundation
import PondTestSupport
import Testing

@testable import ObjectStore

/// The local S3 server that `scripts/s3/with-s3-server.sh` started (moto behind our verifying proxy),
/// described by its `POND_TEST_S3_*` variables.
struct S3TestServer {
  var endpoint: String
  var accessKey: String
  var secretKey: String
  var region: String
  var bucket: String

  static let variables = [
    "POND_TEST_S3_ENDPOINT", "POND_TEST_S3_ACCESS_KEY", "POND_TEST_S3_SECRET_KEY",
    "POND_TEST_S3_BUCKET",
  ]

  static var current: S3TestServer? {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["POND_TEST_S3_ENDPOINT"],
      let accessKey = environment["POND_TEST_S3_ACCESS_KEY"],
      let secretKey = environment["POND_TEST_S3_SECRET_KEY"],
      let bucket = environment["POND_TEST_S3_BUCKET"]
    else { return nil }
    return S3TestServer(
      endpoint: endpoint, accessKey: accessKey, secretKey: secretKey,
      region: environment["POND_TEST_S3_REGION"] ?? "us-east-1", bucket: bucket)
  }

  /// Tests that need the server run when it is there, and always under CI (where its absence fails them).
  static var shouldRun: Bool { current != nil || TestSupport.isCI }

  static let skipReason: Comment =
    "no local S3 server: run through scripts/s3/with-s3-server.sh (make test does) to exercise S3"

  /// The server, or a failure saying how to provide it.
  static func require() throws -> S3TestServer {
    guard let current else {
      throw MissingServer(
        description: "\(variables.joined(separator: ", ")) are not set: run the tests through "
          + "scripts/s3/with-s3-server.sh")
    }
    return current
  }

  struct MissingServer: Error, CustomStringConvertible {
    var description: String
  }

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
