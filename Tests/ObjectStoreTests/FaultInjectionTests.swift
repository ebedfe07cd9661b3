import Foundation
import PondCurl
import PondTestSupport
import Testing

@testable import ObjectStore

@Suite(
  "Retries and integrity through a fault-injecting proxy",
  .enabled(if: S3TestServer.shouldRun, S3TestServer.skipReason))
struct FaultInjectionTests {
  let server: S3TestServer
  let proxy: FaultProxy
  let store: S3ObjectStore

  init() throws {
    server = try S3TestServer.require()
    proxy = try FaultProxy(upstream: server.endpoint)
    var options = server.options()
    options.endpoint = proxy.endpoint
    options.retry = RetryPolicy(
      maxAttempts: 4, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200))
    // The low-speed window must outlast a slow but healthy reply on a loaded 2-core machine (a HEAD moves no
    // body bytes, so any pause counts as "too slow"), yet stay far below the proxy's 60 s stall.
    options.timeouts = HTTPTimeouts(
      connect: .seconds(5), lowSpeedLimit: 1024, lowSpeedTime: .seconds(4))
    store = try S3ObjectStore(
      bucket: server.bucket, prefix: "faults-\(UUID().uuidString.prefix(8))/",
      credentials: server.credentials,
      options: options)
  }

  /// The same store through the proxy, uploading anything above the minimum part size in minimum-size parts.
  func multipartStore() throws -> S3ObjectStore {
    var options = store.options
    options.partSize = S3Options.minimumPartSize
    options.multipartThreshold = S3Options.minimumPartSize
    return try S3ObjectStore(
      bucket: server.bucket, prefix: store.prefix, credentials: server.credentials, options: options
    )
  }

  let body = StoreConformance.payload(200_000, seed: 5)

  @Test func burstOf503IsRetried() async throws {
    try await proxy.arm("503", count: 2, method: "PUT")
    try await store.put("a", bytes: body)
    try await proxy.arm("503", count: 2, method: "GET")
    #expect(try await store.get("a") == body)
    #expect(try await proxy.stats().injected == 4)
  }

  @Test func tooManyRequestsIsRetried() async throws {
    try await proxy.arm("429", count: 3, method: "PUT")
    try await store.put("k", bytes: body)
    #expect(try await proxy.stats().injected == 3)
    #expect(try await store.get("k") == body)
  }

  @Test func internalErrorIsRetried() async throws {
    try await store.put("b", bytes: body)
    try await proxy.arm("500", count: 3)
    #expect(try await store.head("b")?.size == Int64(body.count))
    let stats = try await proxy.stats()
    #expect(stats.injected == 3)
    #expect(stats.armed == 0)
  }

  @Test func connectionDroppedMidBodyIsRetried() async throws {
    try await store.put("c", bytes: body)
    try await proxy.arm("drop-body", count: 2, method: "GET")
    #expect(try await store.get("c") == body)
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try await proxy.arm("drop-body", count: 2, method: "GET")
    try await store.get("c", to: dir.appendingPathComponent("c"))
    #expect(try Data(contentsOf: dir.appendingPathComponent("c")) == Data(body))
    #expect(try await proxy.stats().injected == 4)
  }

  @Test func connectionDroppedMidUploadIsRetried() async throws {
    try await proxy.arm("drop-upload", count: 2, method: "PUT")
    try await store.put("d", bytes: body)
    #expect(try await store.get("d") == body)
    #expect(try await proxy.stats().injected == 2)
  }

  @Test func stalledResponseTimesOutAndIsRetried() async throws {
    try await store.put("e", bytes: body)
    try await proxy.arm("stall", count: 1, method: "GET")
    let started = ContinuousClock.now
    #expect(try await store.get("e") == body)
    #expect(try await proxy.stats().injected == 1)
    // The stall was noticed by the low-speed limit (4 s), not by the proxy giving up (60 s).
    #expect(ContinuousClock.now - started < .seconds(30))
  }

  @Test func spentRetryBudgetFailsClearly() async throws {
    try await proxy.arm("503", count: 100, method: "PUT")
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.put("f", bytes: body)
    }
    #expect(error.kind == .serverError)
    #expect(error.s3Code == "SlowDown")
    #expect(error.attempts == 4)
    #expect(error.description.contains("gave up after 4 attempts"))
    #expect(error.description.contains("/f"))
  }

  @Test func bodyAlwaysCutShortIsAnErrorNeverData() async throws {
    try await store.put("g", bytes: body)
    try await proxy.arm("drop-body", count: 100, method: "GET")
    let error = try await #require(throws: ObjectStoreError.self) { try await store.get("g") }
    #expect(error.kind == .network)
    #expect(error.attempts == 4)
  }

  @Test func consistentlyShortenedBodyIsCaughtByTheChecksum() async throws {
    try await store.put("h", bytes: body)
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = dir.appendingPathComponent("h")
    try Data("previous".utf8).write(to: target)
    try await proxy.arm("short-body", count: 100, method: "GET")
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.get("h", to: target)
    }
    #expect(error.kind == .integrity)
    #expect(error.description.contains("SHA-256"))
    // The target is untouched and no temporary file is left.
    #expect(try Data(contentsOf: target) == Data("previous".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["h"])
    let memory = try await #require(throws: ObjectStoreError.self) { try await store.get("h") }
    #expect(memory.kind == .integrity)
  }

  @Test func corruptedBodyIsRetriedThenAccepted() async throws {
    try await store.put("i", bytes: body)
    try await proxy.arm("corrupt", count: 1, method: "GET")
    #expect(try await store.get("i") == body)
    let stats = try await proxy.stats()
    #expect(stats.injected == 1)
    #expect(
      stats.seen.filter { $0.hasPrefix("GET ") && $0.hasSuffix("/i") }.count == 2, "\(stats.seen)")
  }

  @Test func retriedPutIfAbsentReportsTheTakenKeyPlainly() async throws {
    // The first attempt's reply is lost after the server stored the object; the retry gets 412, which is
    // reported as it is: whether the object holds our bytes is for the caller (replication) to decide.
    try await proxy.arm("drop-reply", count: 1, method: "PUT")
    #expect(try await store.putIfAbsent("j", bytes: body) == .alreadyExists)
    #expect(try await proxy.stats().injected == 1)
    #expect(try await store.get("j") == body)
    #expect(try await store.putIfAbsent("j", bytes: [1]) == .alreadyExists)
  }

  @Test func multipartPartsAreRetriedOnTheirOwn() async throws {
    let multipart = try multipartStore()
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = StoreConformance.payload(2 * Int(S3Options.minimumPartSize) + 100, seed: 9)
    let file = dir.appendingPathComponent("m")
    try Data(data).write(to: file)

    try await proxy.arm("drop-upload", count: 2, method: "PUT", match: "partNumber=2&")
    try await multipart.put("m", contentsOf: file)
    #expect(try await multipart.get("m") == data)
    let seen = try await proxy.stats().seen
    #expect(seen.filter { $0.contains("partNumber=1&") }.count == 1)
    #expect(seen.filter { $0.contains("partNumber=2&") }.count == 3)

    // A part that keeps failing aborts the whole upload.
    try await proxy.arm("503", count: 100, method: "PUT", match: "partNumber=3&")
    let error = try await #require(throws: ObjectStoreError.self) {
      try await multipart.put("m2", contentsOf: file)
    }
    #expect(error.operation.contains("upload part 3/3"))
    let after = try await proxy.stats().seen
    #expect(after.contains { $0.hasPrefix("DELETE ") && $0.contains("/m2?uploadId=") })
    #expect(try await multipart.head("m2") == nil)
  }

  // MARK: - Malformed or surprising server replies (canned by the proxy)

  /// A ListObjectsV2 reply for this store's prefix.
  func listing(_ contents: String, truncated: Bool, token: String?) -> String {
    "<ListBucketResult><Name>\(server.bucket)</Name><Prefix>\(store.prefix)</Prefix>"
      + "<IsTruncated>\(truncated)</IsTruncated>"
      + (token.map { "<NextContinuationToken>\($0)</NextContinuationToken>" } ?? "")
      + contents + "</ListBucketResult>"
  }

  func object(_ key: String, size: String?) -> String {
    "<Contents><Key>\(store.prefix)\(key)</Key>"
      + (size.map { "<Size>\($0)</Size>" } ?? "") + "<ETag>\"x\"</ETag></Contents>"
  }

  @Test func truncatedListingWithoutATokenIsAnError() async throws {
    try await proxy.arm(
      "reply", count: 1, method: "GET", match: "list-type=2", status: 200,
      body: listing(object("a", size: "1"), truncated: true, token: nil))
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.list(prefix: "")
    }
    #expect(error.kind == .serverError)
    #expect(error.description.contains("NextContinuationToken"), "\(error)")
    #expect(error.description.contains(store.url))
    #expect(error.description.contains("prefix '\(store.prefix)'"))
    #expect(try await proxy.stats().injected == 1)
  }

  @Test func repeatedContinuationTokenIsAnErrorNotALoop() async throws {
    try await proxy.arm(
      "reply", count: 5, method: "GET", match: "list-type=2", status: 200,
      body: listing(object("a", size: "1"), truncated: true, token: "same-token"))
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.list(prefix: "")
    }
    #expect(error.description.contains("'same-token' a second time"), "\(error)")
    #expect(error.description.contains(store.url))
    #expect(try await proxy.stats().injected == 2)
    try await proxy.arm("reply", count: 0)
  }

  @Test(arguments: [nil, "twelve"])
  func listingEntryWithoutAValidSizeIsAnError(size: String?) async throws {
    try await proxy.arm(
      "reply", count: 1, method: "GET", match: "list-type=2", status: 200,
      body: listing(object("no-size", size: size), truncated: false, token: nil))
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.list(prefix: "")
    }
    #expect(error.description.contains("\(store.prefix)no-size"), "\(error)")
    #expect(error.description.contains(size == nil ? "no <Size>" : "invalid <Size> 'twelve'"))
    #expect(error.description.contains(store.url))
  }

  @Test func completeMultipartErrorInsideA200IsRetried() async throws {
    let multipart = try multipartStore()
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = StoreConformance.payload(Int(S3Options.minimumPartSize) + 100, seed: 11)
    let file = dir.appendingPathComponent("n")
    try Data(data).write(to: file)
    try await proxy.arm(
      "reply", count: 1, method: "POST", match: "uploadId=", status: 200,
      body: "<Error><Code>InternalError</Code><Message>injected: please retry</Message></Error>")
    try await multipart.put("n", contentsOf: file)
    #expect(try await proxy.stats().injected == 1)
    #expect(try await multipart.get("n") == data)
    let seen = try await proxy.stats().seen
    #expect(seen.filter { $0.hasPrefix("POST ") && $0.contains("/n?uploadId=") }.count == 2)
  }

  @Test func multipartOnlyAboveTheThreshold() async throws {
    let multipart = try multipartStore()
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let threshold = Int(S3Options.minimumPartSize)
    for (name, size) in [("exact", threshold), ("above", threshold + 1)] {
      let data = StoreConformance.payload(size, seed: 3)
      let file = dir.appendingPathComponent(name)
      try Data(data).write(to: file)
      try await multipart.put(name, contentsOf: file)
      #expect(try await multipart.head(name)?.size == Int64(size))
    }
    // In-memory bytes are one PUT whatever their size.
    try await multipart.put("memory", bytes: StoreConformance.payload(threshold + 1, seed: 4))
    let seen = try await proxy.stats().seen
    #expect(!seen.contains { $0.hasPrefix("POST ") && $0.contains("/exact?uploads") })
    #expect(seen.filter { $0.hasPrefix("PUT ") && $0.hasSuffix("/exact") }.count == 1)
    #expect(seen.contains { $0.hasPrefix("POST ") && $0.contains("/above?uploads") })
    #expect(!seen.contains { $0.contains("/memory?") })
    #expect(seen.filter { $0.hasPrefix("PUT ") && $0.hasSuffix("/memory") }.count == 1)
  }
}
