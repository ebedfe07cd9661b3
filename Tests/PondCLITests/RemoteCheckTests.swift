import Foundation
import PondTestSupport
import Testing

/// The local S3 server of scripts/s3/with-s3-server.sh, when the tests run under it.
private struct LocalS3 {
  var endpoint: String
  var accessKey: String
  var secretKey: String
  var bucket: String

  static var current: LocalS3? {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["POND_TEST_S3_ENDPOINT"],
      let accessKey = environment["POND_TEST_S3_ACCESS_KEY"],
      let secretKey = environment["POND_TEST_S3_SECRET_KEY"],
      let bucket = environment["POND_TEST_S3_BUCKET"]
    else { return nil }
    return LocalS3(endpoint: endpoint, accessKey: accessKey, secretKey: secretKey, bucket: bucket)
  }

  static var shouldRun: Bool { current != nil || TestSupport.isCI }

  static func require() throws -> LocalS3 {
    guard let current else {
      throw Missing(
        description:
          "POND_TEST_S3_* are not set: run the tests through scripts/s3/with-s3-server.sh")
    }
    return current
  }

  struct Missing: Error, CustomStringConvertible { var description: String }

  func environment(secret: String? = nil) -> [String: String] {
    [
      "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": accessKey,
      "AWS_SECRET_ACCESS_KEY": secret ?? secretKey, "AWS_REGION": "us-east-1",
      "AWS_ENDPOINT_URL": endpoint,
    ]
  }
}

@Suite("pond remote check")
struct RemoteCheckTests {
  @Test func fileRemoteThatWorks() throws {
    let dir = try TestSupport.makeTemporaryDirectory("pond-remote-check")
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try PondBinary.run(["remote", "check", "file://" + dir.path])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("list    ok"))
    #expect(result.stdout.contains("put     ok"))
    #expect(result.stdout.contains("get     ok (content verified)"))
    #expect(result.stdout.contains("delete  ok"))
    #expect(result.stdout.contains("All checks passed"))
    // The probe object is gone.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test func fileRemoteThatCannotBeCreated() throws {
    let dir = try TestSupport.makeTemporaryDirectory("pond-remote-check")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("a-file")
    try Data("x".utf8).write(to: file)
    let result = try PondBinary.run(["remote", "check", "file://" + file.path + "/sub"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("Not a directory"))
  }

  @Test func unsupportedURLFails() throws {
    let result = try PondBinary.run(["remote", "check", "ftp://example/x"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("use file:///path or s3://bucket/prefix"))
  }

  @Test func missingCredentialsAreExplained() throws {
    let result = try PondBinary.run(
      ["remote", "check", "s3://some-bucket/p"],
      environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("no AWS credentials"))
  }

  @Test func helpDescribesTheCheckAndShowsNoSecret() throws {
    let secret = "help-must-not-show-this-secret"
    let result = try PondBinary.run(
      ["remote", "check", "--help"],
      environment: [
        "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": secret,
      ])
    #expect(result.status == 0)
    #expect(result.stdout.contains("probe object"))
    #expect(result.stdout.contains("--allow-http"))
    #expect(!result.stdout.contains(secret))
  }

  @Test(
    .enabled(if: LocalS3.shouldRun, "no local S3 server: run through scripts/s3/with-s3-server.sh"))
  func s3RemoteThatWorks() throws {
    let s3 = try LocalS3.require()
    let result = try PondBinary.run(
      ["remote", "check", "s3://\(s3.bucket)/cli-check", "--allow-http"],
      environment: s3.environment())
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("get     ok (content verified)"))
    #expect(result.stdout.contains("All checks passed"))
    #expect(!result.stdout.contains(s3.secretKey))
  }

  @Test(
    .enabled(if: LocalS3.shouldRun, "no local S3 server: run through scripts/s3/with-s3-server.sh"))
  func s3RemoteWithAWrongSecretSaysWhatFails() throws {
    let s3 = try LocalS3.require()
    let wrong = "wrong-secret-\(UUID())"
    let result = try PondBinary.run(
      ["remote", "check", "s3://\(s3.bucket)/cli-check", "--allow-http"],
      environment: s3.environment(secret: wrong))
    #expect(result.status == 1)
    #expect(result.stdout.contains("list    FAILED"))
    #expect(result.stdout.contains("put     FAILED"))
    #expect(result.stdout.contains("SignatureDoesNotMatch"))
    #expect(result.stdout.contains("get     not tried"))
    #expect(!(result.stdout + result.stderr).contains(wrong))
    #expect(!(result.stdout + result.stderr).contains(s3.secretKey))
  }

  @Test(
    .enabled(if: LocalS3.shouldRun, "no local S3 server: run through scripts/s3/with-s3-server.sh"))
  func s3OverPlainHTTPNeedsTheFlag() throws {
    let s3 = try LocalS3.require()
    let result = try PondBinary.run(
      ["remote", "check", "s3://\(s3.bucket)/x"], environment: s3.environment())
    #expect(result.status == 1)
    #expect(result.stdout.contains("--allow-http"))
  }
}
