import Foundation
import PondCrypto
import PondTestSupport
import Testing

@testable import ObjectStore

@Suite(
  "s3:// object store against the local verifying S3 server",
  .enabled(if: S3TestServer.shouldRun, S3TestServer.skipReason))
struct S3ObjectStoreTests {
  @Test func putGetHeadListDelete() async throws {
    try await StoreConformance.putGetHeadListDelete(try S3TestServer.require().store(), prefix: "")
  }

  @Test func putIfAbsent() async throws {
    try await StoreConformance.putIfAbsent(try S3TestServer.require().store(), prefix: "")
  }

  @Test func files() async throws {
    try await StoreConformance.files(try S3TestServer.require().store(), prefix: "")
  }

  @Test func listing() async throws {
    try await StoreConformance.listing(try S3TestServer.require().store(), prefix: "")
  }

  @Test func listingFollowsContinuationTokensAcrossPages() async throws {
    let store = try S3TestServer.require().store { $0.listPageSize = 2 }
    let keys = (0..<7).map { "page/\($0)" }
    for key in keys { try await store.put(key, bytes: [1]) }
    #expect(try await store.list(prefix: "page/").map(\.key) == keys)
    #expect(
      try await store.list(prefix: "page/", startAfter: "page/2").map(\.key) == Array(keys[3...]))
    for key in keys { try await store.delete(key) }
  }

  @Test func pagedListingOf2500Objects() async throws {
    try await StoreConformance.pagedListing(try S3TestServer.require().store(), prefix: "")
  }

  @Test func downloadsArePublishedDurably() async throws {
    try await StoreConformance.durableDownload(try S3TestServer.require().store(), prefix: "")
  }

  @Test func oddKeysAreSignedCorrectlyAndRoundTrip() async throws {
    try await StoreConformance.oddKeysRoundTrip(try S3TestServer.require().store(), prefix: "")
  }

  @Test func oddPrefixInTheStoreURL() async throws {
    let server = try S3TestServer.require()
    let store = try S3ObjectStore(
      bucket: server.bucket, prefix: "odd prefix+ü/\(UUID().uuidString.prefix(6))=~!",
      credentials: server.credentials,
      options: server.options())
    try await store.put("k 1", bytes: [9])
    #expect(try await store.list().map(\.key) == ["k 1"])
    #expect(try await store.get("k 1") == [9])
    try await store.delete("k 1")
  }

  @Test func openedByURLWithAProfileFromASharedCredentialsFile() async throws {
    let server = try S3TestServer.require()
    let dir = try TestSupport.makeTemporaryDirectory("pond-s3-profile")
    defer { try? FileManager.default.removeItem(at: dir) }
    let credentialsFile = dir.appendingPathComponent("credentials")
    try
      "[station]\naws_access_key_id = \(server.accessKey)\naws_secret_access_key = \(server.secretKey)\n"
      .write(to: credentialsFile, atomically: true, encoding: .utf8)
    let store = try ObjectStores.open(
      "s3://\(server.bucket)/profile-\(UUID().uuidString.prefix(6))",
      options: S3Options(allowHTTP: true),
      environment: [
        "HOME": dir.path, "AWS_PROFILE": "station",
        "AWS_SHARED_CREDENTIALS_FILE": credentialsFile.path,
        "AWS_ENDPOINT_URL": server.endpoint, "AWS_REGION": server.region,
      ])
    try await store.put("via-profile", bytes: [4, 2])
    #expect(try await store.get("via-profile") == [4, 2])
    try await store.delete("via-profile")
  }

  @Test func invalidKeys() async throws {
    try await StoreConformance.invalidKeys(try S3TestServer.require().store())
  }

  @Test func unsignedPayloadIsAccepted() async throws {
    let store = try S3TestServer.require().store { $0.signsPayload = false }
    try await store.put("unsigned", bytes: [1, 2, 3])
    #expect(try await store.get("unsigned") == [1, 2, 3])
    try await store.delete("unsigned")
  }

  @Test func multipartUploadInOrderedParts() async throws {
    let store = try S3TestServer.require().store {
      $0.partSize = S3Options.minimumPartSize
      $0.multipartThreshold = S3Options.minimumPartSize
      $0.partConcurrency = 2
    }
    let dir = try TestSupport.makeTemporaryDirectory("pond-multipart")
    defer { try? FileManager.default.removeItem(at: dir) }
    let size = 3 * Int(S3Options.minimumPartSize) + 12_345
    let body = StoreConformance.payload(size, seed: 3)
    let file = dir.appendingPathComponent("big")
    try Data(body).write(to: file)
    try await store.put("multi/big", contentsOf: file)
    let info = try #require(try await store.head("multi/big"))
    #expect(info.size == Int64(size))
    // A multipart ETag ends in -<parts>.
    #expect(info.etag?.contains("-4") == true)
    let back = dir.appendingPathComponent("back")
    try await store.get("multi/big", to: back)
    #expect(try Data(contentsOf: back) == Data(body))
    try await store.delete("multi/big")
  }

  @Test func partSizeBelowFiveMiBIsRefused() throws {
    let error = try #require(throws: ObjectStoreError.self) {
      try S3TestServer.require().store { $0.partSize = 1 << 20 }
    }
    #expect(error.description.contains("5 MiB"))
  }

  @Test func missingBucketIsNotFoundWithTheS3Code() async throws {
    let server = try S3TestServer.require()
    let store = try S3ObjectStore(
      bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())", prefix: "",
      credentials: server.credentials,
      options: server.options())
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.put("x", bytes: [1])
    }
    #expect(error.s3Code == "NoSuchBucket")
    #expect(error.kind == .notFound)
  }

  // MARK: Both directions of signature checking

  @Test func wrongSecretIsRejectedWithSignatureDoesNotMatch() async throws {
    let server = try S3TestServer.require()
    let wrong = AWSCredentials(
      accessKeyID: server.accessKey, secretAccessKey: "not-the-secret-\(UUID())")
    let store = try server.store(credentials: wrong)
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.put("x", bytes: [1])
    }
    #expect(error.s3Code == "SignatureDoesNotMatch")
    #expect(error.httpStatus == 403)
    #expect(error.kind == .rejected)
    #expect(error.description.contains("SignatureDoesNotMatch"))
    #expect(error.description.contains("does not match"))
    #expect(!error.description.contains(wrong.secretAccessKey))
    #expect(!error.description.contains(server.secretKey))
    // A 4xx is never retried.
    #expect(error.attempts == 1)
  }

  @Test func unknownAccessKeyIsRejected() async throws {
    let server = try S3TestServer.require()
    let store = try server.store(
      credentials: AWSCredentials(accessKeyID: "AKIDUNKNOWN", secretAccessKey: server.secretKey))
    let error = try await #require(throws: ObjectStoreError.self) { try await store.list() }
    #expect(error.s3Code == "InvalidAccessKeyId")
    #expect(error.description.contains("AKIDUNKNOWN"))
  }

  @Test func staleDateIsRejected() async throws {
    let server = try S3TestServer.require()
    let store = try server.store(clockOffset: -3600)
    let error = try await #require(throws: ObjectStoreError.self) { try await store.get("x") }
    #expect(error.s3Code == "RequestTimeTooSkewed")
    #expect(error.description.contains("clock"))
  }

  @Test func tamperedBodyIsRejected() async throws {
    let store = try S3TestServer.require().store()
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.putClaimingHash(
        "tampered", bytes: Array("real body".utf8),
        claimedSHA256: Hex.encode(SHA256.hash(Array("other".utf8))))
    }
    #expect(error.s3Code == "XAmzContentSHA256Mismatch")
    #expect(error.httpStatus == 400)
    #expect(try await store.head("tampered") == nil)
  }

  @Test func plainHTTPNeedsExplicitPermission() throws {
    let server = try S3TestServer.require()
    let error = try #require(throws: ObjectStoreError.self) {
      try server.store { $0.allowHTTP = false }
    }
    #expect(error.description.contains("refusing plain HTTP"))
  }
}

@Suite("S3 addressing and URLs")
struct S3AddressingTests {
  let credentials = AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK")

  @Test func customEndpointDefaultsToPathStyle() throws {
    let store = try S3ObjectStore(
      bucket: "bucket", prefix: "pre/fix", credentials: credentials,
      options: S3Options(endpoint: "https://minio.example:9000"))
    let target = store.target(objectKey: "a b/c+d")
    #expect(target.host == "minio.example:9000")
    #expect(target.path == "/bucket/pre/fix/a%20b/c%2Bd")
    #expect(store.url == "s3://bucket/pre/fix/")
  }

  @Test func awsDefaultsToVirtualHosted() throws {
    let store = try S3ObjectStore(
      bucket: "bucket", prefix: "", credentials: credentials,
      options: S3Options(region: "eu-west-1"))
    let target = store.target(objectKey: "k")
    #expect(target.host == "bucket.s3.eu-west-1.amazonaws.com")
    #expect(target.path == "/k")
  }

  @Test func virtualHostedOnRequest() throws {
    let store = try S3ObjectStore(
      bucket: "bucket", prefix: "", credentials: credentials,
      options: S3Options(endpoint: "https://s3.example", addressing: .virtualHosted))
    #expect(store.target(objectKey: "k").host == "bucket.s3.example")
  }

  @Test func plainHTTPIsRefusedUnlessAllowed() throws {
    #expect(throws: ObjectStoreError.self) {
      try S3ObjectStore(
        bucket: "bucket", prefix: "", credentials: credentials,
        options: S3Options(endpoint: "http://127.0.0.1:9000"))
    }
    _ = try S3ObjectStore(
      bucket: "bucket", prefix: "", credentials: credentials,
      options: S3Options(endpoint: "http://127.0.0.1:9000", allowHTTP: true))
  }

  @Test func openByURL() throws {
    let store = try ObjectStores.open(
      "s3://my-bucket/some/prefix", options: S3Options(allowHTTP: true),
      environment: [
        "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "HOME": "/nonexistent",
      ])
    #expect(store.url == "s3://my-bucket/some/prefix/")
    let dir = try TestSupport.makeTemporaryDirectory("pond-open-test")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try ObjectStores.open("file://" + dir.path, environment: [:])
    #expect(file.url == "file://" + dir.standardizedFileURL.path)
    // A missing directory (an unmounted disk) is an error and is not created.
    let missing = dir.appendingPathComponent("not-mounted/lake")
    let notThere = try #require(throws: ObjectStoreError.self) {
      try ObjectStores.open("file://" + missing.path, environment: [:])
    }
    #expect(notThere.description.contains("does not exist (is the disk mounted? create it first)"))
    #expect(!FileManager.default.fileExists(atPath: missing.deletingLastPathComponent().path))
    #expect(throws: ObjectStoreError.self) { try ObjectStores.open("ftp://x", environment: [:]) }
    let noCredentials = try #require(throws: ObjectStoreError.self) {
      try ObjectStores.open("s3://my-bucket/p", environment: ["HOME": "/nonexistent"])
    }
    #expect(noCredentials.description.contains("no AWS credentials"))
  }

  @Test func badBucketNamesAreRefused() {
    for name in ["", "ab", "Upper", "with space", String(repeating: "a", count: 64)] {
      #expect(throws: ObjectStoreError.self) {
        try S3ObjectStore(bucket: name, prefix: "", credentials: credentials, options: S3Options())
      }
    }
  }

  @Test func backoffIsCappedAndJittered() {
    let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
    for attempt in 1...9 {
      let delay = policy.delay(forAttempt: attempt + 1)
      let cap = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(1))
      #expect(delay <= cap)
      #expect(delay >= cap / 2)
    }
  }
}

/// What needs no server: opening, profiles, local download errors.
@Suite("s3:// object store without a server")
struct S3ObjectStoreOfflineTests {
  @Test func listingTimesParseWithAndWithoutFractions() throws {
    let fraction = try #require(S3ObjectStore.parseISODate("2026-11-24T20:15:00.123Z"))
    #expect((fraction.timeIntervalSince1970 * 1000).rounded() == 1_795_551_300_123)
    #expect(
      S3ObjectStore.parseISODate("2026-11-24T20:15:00Z")
        == Date(timeIntervalSince1970: 1_795_551_300))
    #expect(S3ObjectStore.parseISODate("Tue, 24 Nov 2026 20:15:00 GMT") == nil)
  }

  @Test func explicitProfileIsPassedThroughOpen() throws {
    let environment = [
      "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
      "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "HOME": "/nonexistent",
    ]
    _ = try ObjectStores.open(
      "s3://my-bucket/p", options: S3Options(allowHTTP: true), environment: environment)
    // With an explicit profile the environment's keys are not used: a missing profile is an error.
    let error = try #require(throws: ObjectStoreError.self) {
      try ObjectStores.open(
        "s3://my-bucket/p", options: S3Options(allowHTTP: true), profile: "nosuch",
        environment: environment)
    }
    #expect(error.description.contains("'nosuch' not found"), "\(error)")
  }

  @Test func downloadErrorsNameTheStoreKeyAndDestination() async throws {
    let store = try S3ObjectStore(
      bucket: "my-bucket", prefix: "p",
      credentials: AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK"),
      options: S3Options(endpoint: "http://127.0.0.1:1", allowHTTP: true))
    let dir = try TestSupport.makeTemporaryDirectory("pond-s3-sink")
    defer { try? FileManager.default.removeItem(at: dir) }
    let destination = dir.appendingPathComponent("missing-directory/target.parquet")
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.get("data/k1", to: destination)
    }
    #expect(error.kind == .localIO)
    #expect(error.store == store.url)
    #expect(error.key == "data/k1")
    #expect(error.message.contains(destination.path), "\(error)")
    #expect(error.message.contains("temporary file"))
    #expect(error.description.contains("s3://my-bucket/p/data/k1"))
  }

  @Test func downloadSinksHashWhatTheyReceive() throws {
    let chunks: [[UInt8]] = [Array("hello ".utf8), Array("world".utf8)]
    let memory = DownloadSink(memoryFor: "s3://b/p/", key: "k")
    for chunk in chunks { try chunk.withUnsafeBytes { try memory.consume($0) } }
    #expect(memory.count == 11)
    #expect(memory.digest == Hex.encode(SHA256.hash(Array("hello world".utf8))))
    #expect(memory.takeBytes() == Array("hello world".utf8))

    let dir = try TestSupport.makeTemporaryDirectory("pond-s3-sink")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try DownloadSink(
      destination: dir.appendingPathComponent("final").path, store: "s3://b/p/", key: "k")
    let temp = URL(fileURLWithPath: try #require(file.temporaryPath))
    for chunk in chunks { try chunk.withUnsafeBytes { try file.consume($0) } }
    #expect(file.count == 11)
    #expect(file.digest == memory.digest)
    #expect(try Data(contentsOf: temp) == Data("hello world".utf8))
  }
}
