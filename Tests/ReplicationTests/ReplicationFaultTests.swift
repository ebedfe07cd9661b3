import Foundation
import ObjectStore
import PondCurl
import PondTestSupport
import TLogFS
import Testing

@testable import Replication

/// Push, restore and pull through scripts/s3/fault_proxy.py in front of the local S3 server: dropped
/// connections, 503 bursts, truncated and corrupted bodies and stalls end in success after retries, or in a
/// clear error once the retry budget is spent; never in a corrupt or partial object accepted or installed.
@Suite("replication through faults", .enabled(if: LocalS3Server.shouldRun), .serialized)
struct ReplicationFaultTests {
  let server: LocalS3Server
  let proxy: FaultProxy
  let store: S3ObjectStore
  let directory: URL

  init() throws {
    server = try LocalS3Server.require()
    proxy = try FaultProxy(upstream: server.endpoint)
    let options = S3Options(
      endpoint: proxy.endpoint, region: server.region, allowHTTP: true,
      retry: RetryPolicy(
        maxAttempts: 4, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200)),
      timeouts: HTTPTimeouts(connect: .seconds(5), lowSpeedLimit: 1024, lowSpeedTime: .seconds(3)))
    store = try S3ObjectStore(
      bucket: server.bucket, prefix: "replication-faults-\(UUID().uuidString.prefix(8))/",
      credentials: AWSCredentials(accessKeyID: server.accessKey, secretAccessKey: server.secretKey),
      options: options)
    directory = try TestSupport.makeTemporaryDirectory("pond-replication-faults")
  }

  /// A station pond with `rounds` commits, each a small file and a 200 kB large file.
  func station(rounds: Int = 3) throws -> String {
    let root = directory.appendingPathComponent("station").path
    if !FileManager.default.fileExists(atPath: root) {
      try PondStore.create(root: root, birthplace: "faults", commandLine: "pond init")
    }
    try commit(on: root, rounds: rounds)
    return root
  }

  func commit(on root: String, rounds: Int) throws {
    let writer = try PondStore(root: root, mode: .write(wait: false))
    for _ in 0..<rounds {
      let round = writer.head + 1
      let big = directory.appendingPathComponent("big-\(round)").path
      let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: ($0 &* (round + 3)) >> 2) }
      _ = FileManager.default.createFile(atPath: big, contents: Data(bytes))
      _ = try writer.copyIn(
        hostSources: [big], to: "/big-\(round)", series: false, commandLine: "copy \(round)")
      try writer.change(commandLine: "small \(round)") { fs in
        try fs.writeFile("/small-\(round)", contents: Array("reading \(round)\n".utf8))
      }
    }
  }

  func replicator(_ root: String) -> Replicator { Replicator(pondRoot: root, store: store) }

  func expectSameData(_ a: String, _ b: String) throws {
    #expect(try Self.files(a + "/data") == Self.files(b + "/data"))
  }

  static func files(_ root: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let path = enumerator?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files[path] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + path))
      }
    }
    return files
  }

  /// Runs `body` with `mode` armed for `count` requests; returns how many faults the proxy injected meanwhile.
  func injecting(
    _ mode: String, count: Int, method: String, match: String? = nil,
    _ body: () async throws -> Void
  ) async throws -> Int {
    let before = try await proxy.stats().injected
    try await proxy.arm(mode, count: count, method: method, match: match)
    try await body()
    return try await proxy.stats().injected - before
  }

  @Test("503 bursts, dropped uploads and replies during a push: retried, the remote whole")
  func pushThroughFaults() async throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = try station(rounds: 1)
    #expect(
      try await injecting("503", count: 3, method: "PUT") { _ = try await replicator(root).push() }
        == 3)
    try commit(on: root, rounds: 1)
    #expect(
      try await injecting("drop-upload", count: 1, method: "PUT", match: "part-") {
        _ = try await replicator(root).push()
      } == 1)
    try commit(on: root, rounds: 1)
    // The server stores the commit but the reply is lost: the retry finds the key taken, with our bytes.
    var head: Int64 = -1
    let dropped = try await injecting("drop-reply", count: 1, method: "PUT", match: "_delta_log") {
      head = try await replicator(root).push().remoteHead
    }
    #expect(dropped == 1 && head == 6)
    let verified = try await replicator(root).verify(deep: true)
    #expect(verified.state == .inSync && verified.problems.isEmpty, "\(verified)")
  }

  @Test(
    "a push whose retry budget is spent fails clearly; the remote stays consistent; the next completes"
  )
  func pushRetryBudgetSpent() async throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = try station()
    try await proxy.arm("503", count: 1000, method: "PUT", match: "00000000000000000004.json")
    await #expect {
      try await replicator(root).push()
    } throws: { error in
      let error = try #require(error as? ObjectStoreError)
      return error.kind == .serverError && error.attempts == 4
        && "\(error)".contains("00000000000000000004.json")
    }
    try await proxy.arm("503", count: 0)
    let partial = try await replicator(root).verify(deep: true)
    #expect(partial.state == .remoteBehind && partial.remoteHead == 3, "\(partial)")
    #expect(partial.problems.isEmpty)
    #expect(try await replicator(root).push().remoteHead == 6)
  }

  @Test(
    "dropped, truncated, corrupted and stalled bodies during restore and pull: fetched again, checked"
  )
  func restoreAndPullThroughFaults() async throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = try station(rounds: 2)
    _ = try await replicator(root).push()
    // Each fault on its own restore: every one ends in the same bytes as the station's.
    for (index, (mode, match)) in [
      ("drop-body", "_large_files"), ("short-body", "part-"), ("corrupt", "_large_files"),
      ("stall", "_delta_log"),
    ].enumerated() {
      let lab = directory.appendingPathComponent("lab-\(index)").path
      let injected = try await injecting(mode, count: 1, method: "GET", match: match) {
        let restored = try await replicator(lab).restore(
          settings: RemoteSettings(name: "origin", url: store.url))
        #expect(restored.version == 4, "\(mode)")
      }
      #expect(injected == 1, "\(mode)")
      try expectSameData(root, lab)
    }
    let lab = directory.appendingPathComponent("lab-0").path
    for (mode, match) in [("stall", "part-"), ("corrupt", "part-"), ("drop-body", "_delta_log")] {
      try commit(on: root, rounds: 1)
      _ = try await replicator(root).push()
      #expect(
        try await injecting(mode, count: 1, method: "GET", match: match) {
          _ = try await replicator(lab).pull()
        } == 1, "\(mode)")
    }
    #expect(try await replicator(lab).pull().head == 10)
    try expectSameData(root, lab)
    #expect(try PondStore.check(root: lab).problems.isEmpty)
  }

  /// The requests `body` sends through the proxy.
  func requests(_ body: () async throws -> Void) async throws -> [String] {
    let before = try await proxy.stats().seen.count
    try await body()
    return Array(try await proxy.stats().seen.dropFirst(before))
  }

  @Test("a push with nothing new costs two requests, an idle pull one, a one-version push five")
  func requestCounts() async throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = try station(rounds: 2)
    _ = try await replicator(root).push()
    let idlePush = try await requests { _ = try await replicator(root).push() }
    #expect(idlePush.count == 2, "\(idlePush)")
    let lab = directory.appendingPathComponent("lab").path
    _ = try await replicator(lab).restore(settings: RemoteSettings(name: "origin", url: store.url))
    let idlePull = try await requests { _ = try await replicator(lab).pull() }
    #expect(idlePull.count == 1, "\(idlePull)")
    // One version holding one data file: GET of the head seen, HEAD of the next, HEAD and PUT of the data
    // file, PUT of the commit.
    let writer = try PondStore(root: root, mode: .write(wait: false))
    try writer.change(commandLine: "one more") { fs in try fs.writeFile("/one", contents: [1]) }
    let oneVersion = try await requests { _ = try await replicator(root).push() }
    #expect(oneVersion.count == 5, "\(oneVersion)")
    let pullOne = try await requests { _ = try await replicator(lab).pull() }
    // GET of the next commit and its data file, then of the next two commits (the window doubles while
    // versions keep coming; neither exists yet).
    #expect(pullOne.count == 4, "\(pullOne)")
  }

  @Test("a body damaged on every attempt is refused naming the key; nothing is installed")
  func persistentCorruption() async throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = try station(rounds: 1)
    _ = try await replicator(root).push()
    try await proxy.arm("corrupt", count: 100, method: "GET", match: "_large_files")
    let lab = directory.appendingPathComponent("lab").path
    await #expect {
      try await replicator(lab).restore(settings: RemoteSettings(name: "origin", url: store.url))
    } throws: { error in
      // Caught by the store (the SHA-256 it recorded at upload), reported as damage naming the key.
      let error = try #require(error as? ReplicationError)
      return error.code == .damaged && error.message.contains("_large_files/")
    }
    #expect(!FileManager.default.fileExists(atPath: lab))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy {
        !$0.hasPrefix(".pond-tmp-")
      })
  }
}
