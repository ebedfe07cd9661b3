import PondCrypto
import Testing

@testable import DeltaLog

/// The rules of a valid commit, as values: no storage involved.
@Suite("CommitFile")
struct CommitFileTests {
  static let schema = try! DeltaSchema([.init("seq", .long, nullable: false)])
  static let sha = String(repeating: "ab", count: 32)

  static func add(_ path: String) -> AddFile {
    AddFile(
      path: path, size: 3, modificationTime: 1, statistics: FileStatistics(numRecords: 1),
      sha256: sha)
  }

  static func first(at time: Int64 = 1000) throws -> CommitFile {
    try CommitFile.first(
      schema: schema, configuration: ["pond.formatVersion": "1"], id: "id", adds: [],
      timestamp: time)
  }

  @Test func encodedCommitParsesBackToTheSameValueAndHash() throws {
    let zero = try Self.first()
    let one = try CommitFile.next(
      after: zero.head, adds: [Self.add("a.parquet")], operationParameters: ["command": "x"],
      timestamp: 2000)
    for commit in [zero, one] {
      let parsed = try CommitFile(parsing: commit.bytes, version: commit.version)
      #expect(parsed == commit)
      #expect(parsed.sha256.hex == Hex.encode(SHA256.hash(commit.bytes)))
    }
    #expect(one.version == 1 && one.info?.readVersion == 0)
    #expect(one.info?.previousCommitSHA256 == zero.sha256.hex)
    #expect(one.adds.map(\.path) == ["a.parquet"] && one.metadata == nil)
    #expect(zero.metadata?.configuration["pond.formatVersion"] == "1")
    #expect(zero.metadata?.configuration["delta.enableExpiredLogCleanup"] == "false")
  }

  @Test func theChainAcceptsItsPredecessorAndRefusesAnyOther() throws {
    let zero = try Self.first()
    let one = try CommitFile.next(after: zero.head, adds: [], timestamp: 2000)
    try zero.checkChain(onto: nil)
    try one.checkChain(onto: zero.head)
    var other = zero.head
    other.sha256 = SHA256Digest(hex: String(repeating: "0", count: 64))!
    #expect {
      try one.checkChain(onto: other)
    } throws: { ($0 as? DeltaLogError)?.kind == .brokenHashChain }
    // A commit without a link (not written by pond) breaks the chain too.
    let unlinked = CommitFile(version: 1, actions: [.commitInfo(CommitInfo(timestamp: 2000))])
    #expect {
      try unlinked.checkChain(onto: zero.head)
    } throws: { ($0 as? DeltaLogError)?.kind == .brokenHashChain }
  }

  @Test func commitTimesStrictlyGrow() throws {
    let zero = try Self.first(at: 5000)
    #expect(try CommitFile.time(4000, after: zero.head) == 5001)
    #expect(try CommitFile.time(5000, after: zero.head) == 5001)
    #expect(try CommitFile.time(9000, after: zero.head) == 9000)
    #expect(try CommitFile.time(7, after: nil) == 7)
    let next = try CommitFile.next(after: zero.head, adds: [], timestamp: 1)
    #expect(next.info?.timestamp == 5001)
    let last = CommitHead(version: 3, sha256: SHA256Digest(hex: Self.sha)!, timestamp: Int64.max)
    #expect(throws: DeltaLogError.self) { try CommitFile.time(1, after: last) }
  }

  @Test func invalidCommitsAreNotBuilt() {
    let head = CommitHead(version: 0, sha256: SHA256Digest(hex: Self.sha)!, timestamp: 1)
    #expect(throws: DeltaLogError.self) {
      try CommitFile.next(
        after: head, adds: [Self.add("a.parquet"), Self.add("a.parquet")], timestamp: 2)
    }
    #expect(throws: DeltaLogError.self) {
      try CommitFile.next(after: head, adds: [Self.add("_delta_log/x.parquet")], timestamp: 2)
    }
    #expect(throws: DeltaLogError.self) {
      try CommitFile.first(
        schema: Self.schema, configuration: ["delta.appendOnly": "true"], id: "id", adds: [],
        timestamp: 1)
    }
    // Version 0 must hold protocol and metaData.
    let bare = CommitFile(version: 0, actions: [.commitInfo(CommitInfo(timestamp: 1))])
    #expect {
      _ = try CommitFile(parsing: bare.bytes, version: 0)
    } throws: { ($0 as? DeltaLogError)?.kind == .invalidAction }
  }

  @Test func theHeadOfAListing() throws {
    let keys = (0...4).map { DeltaTable.commitKey(version: $0) }
    #expect(try LogListing.head(of: keys.reversed() + ["_delta_log/_commit_x.json.tmp"]) == 4)
    #expect(try LogListing.head(of: ["00000000000000000000.json"]) == 0)
    func kind(_ keys: [String]) -> DeltaLogError.Kind? {
      do {
        _ = try LogListing.head(of: keys)
        return nil
      } catch {
        return error.kind
      }
    }
    #expect(kind([]) == .tableNotFound)
    #expect(kind(["_delta_log/00000000000000000000.checkpoint.parquet"]) == .tableNotFound)
    #expect(kind(Array(keys.dropFirst())) == .missingVersionZero)
    var gap = keys
    gap.remove(at: 2)
    do {
      _ = try LogListing.head(of: gap)
      Issue.record("a gap was accepted")
    } catch {
      #expect(error.kind == .versionGap && error.version == 2)
    }
  }
}
