import Foundation
import PondTestSupport
import Testing

typealias LocalS3 = LocalS3Server

extension LocalS3Server {
  /// The server's second key, which may only read and list.
  func readOnlyKey() throws -> (access: String, secret: String) {
    let environment = ProcessInfo.processInfo.environment
    guard let access = environment["POND_TEST_S3_READONLY_ACCESS_KEY"],
      let secret = environment["POND_TEST_S3_READONLY_SECRET_KEY"]
    else {
      throw MissingServer(
        description: "POND_TEST_S3_READONLY_* are not set: run through scripts/s3/with-s3-server.sh"
      )
    }
    return (access, secret)
  }

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

  @Test func fileRemoteOnAnUnmountedDiskIsNotCreated() throws {
    let dir = try TestSupport.makeTemporaryDirectory("pond-remote-check")
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("usb-not-mounted/lake")
    let result = try PondBinary.run(["remote", "check", "file://" + missing.path])
    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("does not exist (is the disk mounted? create it first)"))
    #expect(result.stderr.contains("cannot open remote"))
    #expect(
      !FileManager.default.fileExists(atPath: dir.appendingPathComponent("usb-not-mounted").path))
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
  func s3RemoteWithAReadOnlyKeyFailsAtPut() throws {
    let s3 = try LocalS3.require()
    let key = try s3.readOnlyKey()
    var environment = s3.environment(secret: key.secret)
    environment["AWS_ACCESS_KEY_ID"] = key.access
    let result = try PondBinary.run(
      ["remote", "check", "s3://\(s3.bucket)/cli-check-ro", "--allow-http"],
      environment: environment)
    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("list    ok"), "\(result.stdout)")
    #expect(result.stdout.contains("put     FAILED"))
    #expect(result.stdout.contains("AccessDenied"))
    #expect(result.stdout.contains("get     not tried: put failed"))
    #expect(result.stdout.contains("delete  not tried: put failed"))
    let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    #expect(lastLine.hasPrefix("1 check failed, 2 not tried for s3://\(s3.bucket)/cli-check-ro/"))
    #expect(result.stderr.contains("1 check failed, 2 not tried"))
    #expect(!(result.stdout + result.stderr).contains(key.secret))
  }

  @Test(
    .enabled(if: LocalS3.shouldRun, "no local S3 server: run through scripts/s3/with-s3-server.sh"))
  func explicitProfileWinsOverEnvironmentKeys() throws {
    let s3 = try LocalS3.require()
    let dir = try TestSupport.makeTemporaryDirectory("pond-remote-profile")
    defer { try? FileManager.default.removeItem(at: dir) }
    let credentials = dir.appendingPathComponent("credentials")
    try "[good]\naws_access_key_id = \(s3.accessKey)\naws_secret_access_key = \(s3.secretKey)\n"
      .write(to: credentials, atomically: true, encoding: .utf8)
    var environment = s3.environment(secret: "wrong-secret-\(UUID())")
    environment["AWS_SHARED_CREDENTIALS_FILE"] = credentials.path
    let result = try PondBinary.run(
      [
        "remote", "check", "s3://\(s3.bucket)/cli-check-profile", "--allow-http", "--profile",
        "good",
      ],
      environment: environment)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("All checks passed"))
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
