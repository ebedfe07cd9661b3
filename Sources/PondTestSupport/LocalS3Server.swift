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
  public static var current: LocalS3Server? { described(by: "POND_TEST_S3_", region: "us-east-1") }

  /// The throwaway Ceph RADOS Gateway that `scripts/ceph/with-rgw.sh` started, described by its
  /// `POND_TEST_RGW_*` variables; nil when the tests do not run under that script.
  public static var rgw: LocalS3Server? { described(by: "POND_TEST_RGW_", region: "default") }

  /// The server the variables `<prefix>ENDPOINT`, `ACCESS_KEY`, `SECRET_KEY`, `BUCKET` and `REGION` describe.
  private static func described(by prefix: String, region: String) -> LocalS3Server? {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment[prefix + "ENDPOINT"],
      let accessKey = environment[prefix + "ACCESS_KEY"],
      let secretKey = environment[prefix + "SECRET_KEY"],
      let bucket = environment[prefix + "BUCKET"]
    else { return nil }
    return LocalS3Server(
      endpoint: endpoint, accessKey: accessKey, secretKey: secretKey,
      region: environment[prefix + "REGION"] ?? region, bucket: bucket)
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
