import Foundation

/// The local S3 server that `scripts/s3/with-s3-server.sh` started (moto behind our verifying proxy),
/// described by its `POND_TEST_S3_*` variables.
public struct LocalS3Server: Sendable {
  public var endpoint: String
  public var accessKey: String
  public var secretKey: String
  public var region: String
  public var bucket: String

  public static let variables = [
    "POND_TEST_S3_ENDPOINT", "POND_TEST_S3_ACCESS_KEY", "POND_TEST_S3_SECRET_KEY",
    "POND_TEST_S3_BUCKET",
  ]

  /// The server the variables describe; nil when the tests do not run under the script.
  public static var current: LocalS3Server? {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["POND_TEST_S3_ENDPOINT"],
      let accessKey = environment["POND_TEST_S3_ACCESS_KEY"],
      let secretKey = environment["POND_TEST_S3_SECRET_KEY"],
      let bucket = environment["POND_TEST_S3_BUCKET"]
    else { return nil }
    return LocalS3Server(
      endpoint: endpoint, accessKey: accessKey, secretKey: secretKey,
      region: environment["POND_TEST_S3_REGION"] ?? "us-east-1", bucket: bucket)
  }

  /// The throwaway Ceph RADOS Gateway that `scripts/ceph/with-rgw.sh` started, described by its
  /// `POND_TEST_RGW_*` variables; nil when the tests do not run under that script.
  public static var rgw: LocalS3Server? {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["POND_TEST_RGW_ENDPOINT"],
      let accessKey = environment["POND_TEST_RGW_ACCESS_KEY"],
      let secretKey = environment["POND_TEST_RGW_SECRET_KEY"],
      let bucket = environment["POND_TEST_RGW_BUCKET"]
    else { return nil }
    return LocalS3Server(
      endpoint: endpoint, accessKey: accessKey, secretKey: secretKey,
      region: environment["POND_TEST_RGW_REGION"] ?? "default", bucket: bucket)
  }

  /// Tests that need the RADOS Gateway run when it is there, and always under CI.
  public static var rgwShouldRun: Bool { rgw != nil || TestSupport.isCI }

  /// Tests that need the server run when it is there, and always under CI (where its absence fails them).
  public static var shouldRun: Bool { current != nil || TestSupport.isCI }

  /// The server, or a failure saying how to provide it.
  public static func require() throws -> LocalS3Server {
    guard let current else {
      throw MissingServer(
        description: "\(variables.joined(separator: ", ")) are not set: run the tests through "
          + "scripts/s3/with-s3-server.sh")
    }
    return current
  }

  public struct MissingServer: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
  }
}
