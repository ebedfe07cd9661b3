import Foundation
import PondTestSupport
import Testing

@testable import ObjectStore

/// The AWS CLI of the test venv, run against the same local S3 server.
struct AWSCLI {
  let executable: URL
  let server: S3TestServer
  let home: URL

  init(server: S3TestServer) throws {
    let aws = TestSupport.repositoryRoot.appendingPathComponent(".venv/bin/aws")
    guard FileManager.default.isExecutableFile(atPath: aws.path) else {
      throw S3TestServer.MissingServer(description: "\(aws.path) is missing (run make deps)")
    }
    executable = aws
    self.server = server
    home = try TestSupport.makeTemporaryDirectory("pond-awscli-home")
  }

  /// Runs `aws --endpoint-url ENDPOINT ARGS` with only the test server's credentials in its environment.
  @discardableResult
  func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
    let environment = [
      "PATH": "/usr/bin:/bin", "HOME": home.path,
      "AWS_ACCESS_KEY_ID": server.accessKey, "AWS_SECRET_ACCESS_KEY": server.secretKey,
      "AWS_DEFAULT_REGION": server.region,
      "AWS_CONFIG_FILE": home.appendingPathComponent("none").path,
      "AWS_SHARED_CREDENTIALS_FILE": home.appendingPathComponent("none").path,
    ]
    let result = try TestSupport.run(
      executable, ["--endpoint-url", server.endpoint] + arguments, environment: environment)
    if result.status != 0 {
      Issue.record(
        "aws \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderrText)")
    }
    return result
  }
}

@Suite(
  "Interoperability with the AWS CLI", .enabled(if: S3TestServer.shouldRun, S3TestServer.skipReason)
)
final class AWSCLIInteropTests {
  let server: S3TestServer
  let aws: AWSCLI
  let store: S3ObjectStore
  let dir: URL

  init() throws {
    server = try S3TestServer.require()
    aws = try AWSCLI(server: server)
    store = try server.store {
      $0.partSize = S3Options.minimumPartSize
      $0.multipartThreshold = 6 << 20
    }
    dir = try TestSupport.makeTemporaryDirectory("pond-awscli")
  }
  deinit {
    try? FileManager.default.removeItem(at: dir)
    try? FileManager.default.removeItem(at: aws.home)
  }

  func s3URL(_ key: String) -> String { "s3://\(store.bucket)/\(store.prefix)\(key)" }

  @Test(arguments: ["plain.bin", "odd/with space/ü+=~!*'()%.bin", "deep/a/b/c/d/e/f.bin"])
  func awsReadsWhatPondWrote(key: String) async throws {
    let body = StoreConformance.payload(70_000, seed: UInt8(key.count % 200))
    try await store.put(key, bytes: body)
    let local = dir.appendingPathComponent(UUID().uuidString)
    try aws.run(["s3", "cp", s3URL(key), local.path])
    #expect(try Data(contentsOf: local) == Data(body))
  }

  @Test func awsReadsPondsMultipartUpload() async throws {
    let body = StoreConformance.payload(13 << 20, seed: 11)
    let source = dir.appendingPathComponent("source")
    try Data(body).write(to: source)
    try await store.put("multipart.bin", contentsOf: source)
    let local = dir.appendingPathComponent("from-aws")
    try aws.run(["s3", "cp", s3URL("multipart.bin"), local.path])
    #expect(try Data(contentsOf: local) == Data(body))
  }

  @Test(arguments: ["from-aws.bin", "odd/aws space/ü+=~!*'()%.bin"])
  func pondReadsWhatAWSWrote(key: String) async throws {
    let body = StoreConformance.payload(50_000, seed: 21)
    let source = dir.appendingPathComponent(UUID().uuidString)
    try Data(body).write(to: source)
    try aws.run(["s3", "cp", source.path, s3URL(key)])
    #expect(try await store.get(key) == body)
    #expect(try await store.head(key)?.size == Int64(body.count))
    #expect(try await store.list(prefix: "").map(\.key).contains(key))
  }

  @Test func pondReadsAWSMultipartUpload() async throws {
    // Larger than the CLI's 8 MiB multipart threshold.
    let body = StoreConformance.payload(20 << 20, seed: 31)
    let source = dir.appendingPathComponent("aws-big")
    try Data(body).write(to: source)
    try aws.run(["s3", "cp", source.path, s3URL("aws-big.bin")])
    let back = dir.appendingPathComponent("pond-big")
    let info = try await store.get("aws-big.bin", to: back)
    #expect(info.size == Int64(body.count))
    #expect(info.etag?.contains("-") == true)
    #expect(try Data(contentsOf: back) == Data(body))
  }

  @Test func awsListsWhatPondWrote() async throws {
    try await store.put("listed/one", bytes: [1])
    try await store.put("listed/two words", bytes: [2, 2])
    let result = try aws.run(["s3", "ls", "--recursive", s3URL("listed/")])
    #expect(result.stdoutText.contains("listed/one"))
    #expect(result.stdoutText.contains("listed/two words"))
  }
}
