import Foundation
import PondCrypto
import PondFiles
import PondTestSupport
import Testing

@testable import DeltaLog

/// A table in a fresh temporary directory, with helpers to write fake data files.
struct TableFixture {
  let directory: URL
  let storage: DirectoryStore
  let table: DeltaTable
  static let schema = try! DeltaSchema([.init("seq", .long, nullable: false), .init("op", .string)])
  static let baseTime: Int64 = 1_767_225_600_000

  init(directory: URL) {
    self.directory = directory
    storage = DirectoryStore(root: directory.path)
    table = DeltaTable(storage: storage)
  }

  init() throws { self.init(directory: try TestSupport.makeTemporaryDirectory("delta-table")) }

  func remove() { try? FileManager.default.removeItem(at: directory) }

  /// Stores `bytes` as data file `path` and returns its add (exact size, SHA-256, numRecords).
  func dataFile(_ path: String, _ bytes: [UInt8], records: Int64 = 1) throws -> AddFile {
    try storage.put(path, bytes: bytes)
    return AddFile(
      path: path, size: Int64(bytes.count), modificationTime: Self.baseTime,
      statistics: FileStatistics(numRecords: records), sha256: Hex.encode(SHA256.hash(bytes)))
  }

  /// Writes version 0 of the fixture's schema.
  func create(
    configuration: [String: String] = [:], id: String = "table-id", adds: [AddFile] = [],
    timestamp: Int64 = Self.baseTime
  ) throws(DeltaLogError) -> CommitResult {
    try table.write(
      CommitFile.first(
        schema: Self.schema, configuration: configuration, id: id, adds: adds,
        timestamp: timestamp))
  }

  /// Writes the commit after the latest one, adding `adds`.
  func append(
    _ adds: [AddFile], operation: String = "WRITE", timestamp: Int64 = Self.baseTime
  ) throws(DeltaLogError) -> CommitResult {
    try table.write(
      CommitFile.next(
        after: try table.head(), adds: adds, operation: operation, timestamp: timestamp))
  }

  /// Creates version 0 and commits one data file per further version; returns the commit times.
  @discardableResult
  func build(versions: Int) throws -> [Int64] {
    var times: [Int64] = [Self.baseTime]
    guard case .committed = try create() else {
      throw DeltaLogError(.invalidArgument, "create lost")
    }
    for version in 1..<Int64(versions) {
      let add = try dataFile(
        "part-\(version).parquet", Array(repeating: UInt8(version), count: Int(version)))
      let time = Self.baseTime + version * 60_000
      let result = try append([add], timestamp: time)
      guard case .committed(let v, _) = result, v == version else {
        throw DeltaLogError(.invalidArgument, "unexpected \(result)")
      }
      times.append(time)
    }
    return times
  }

  func path(_ key: String) -> String { directory.path + "/" + key }

  func overwrite(_ key: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path(key)))
  }

  /// The paths of the data files added in `commits` whose file is missing, or whose size or SHA-256 differs
  /// from its add.
  func badDataFiles(_ commits: [CommitFile]) -> [String] {
    commits.flatMap(\.adds).filter { add in
      guard let bytes = try? storage.read(add.path) else { return true }
      return Int64(bytes.count) != add.size || Hex.encode(SHA256.hash(bytes)) != add.sha256
    }.map(\.path)
  }
}

extension DeltaTable {
  /// The head of the latest version.
  func head() throws(DeltaLogError) -> CommitHead { try commit(try latestVersion()).head }

  /// Every commit from version 0 to the latest, each checked onto its predecessor.
  func chainedCommits() throws(DeltaLogError) -> [CommitFile] {
    var commits: [CommitFile] = []
    for version in 0...(try latestVersion()) {
      let commit = try commit(version)
      try commit.checkChain(onto: commits.last?.head)
      commits.append(commit)
    }
    return commits
  }
}

/// A commit after `head` removing `removed` and adding `adds`, as a Delta writer that rewrites files would: pond
/// writes no removes, so the interop tests build one to see other engines read pond's encoding of them.
func rewrite(
  after head: CommitHead, removing removed: [AddFile], adding adds: [AddFile], operation: String,
  timestamp: Int64
) throws(DeltaLogError) -> CommitFile {
  let time = try CommitFile.time(timestamp, after: head)
  let info = CommitInfo(
    timestamp: time, operation: operation, engineInfo: DeltaTable.engineInfo,
    readVersion: head.version, previousCommitSHA256: head.sha256.hex)
  let removes = removed.map {
    DeltaAction.remove(RemoveFile(path: $0.path, deletionTimestamp: time, size: $0.size))
  }
  return CommitFile(
    version: head.version + 1, actions: [.commitInfo(info)] + removes + adds.map { .add($0) })
}

@Suite("DeltaTable")
struct DeltaTableTests {
  @Test func createWritesProtocolMetadataAndHistoryConfiguration() throws {
    let f = try TableFixture()
    defer { f.remove() }
    let result = try f.create(configuration: ["pond.formatVersion": "1"], id: "pond-id")
    guard case .committed(0, let sha) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    let bytes = try f.storage.read(DeltaTable.commitKey(version: 0))
    #expect(Hex.encode(SHA256.hash(bytes)) == sha.hex)
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 3)
    #expect(
      lines[0].hasPrefix(#"{"commitInfo":{"timestamp":1767225600000,"operation":"CREATE TABLE""#))
    #expect(!lines[0].contains("pond.prevCommitSha256"))
    #expect(lines[1] == #"{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}"#)
    let zero = try f.table.commit(0)
    let metadata = try #require(zero.metadata)
    #expect(zero.version == 0 && metadata.id == "pond-id")
    #expect(zero.tableProtocol == .pond)
    #expect(metadata.configuration["pond.formatVersion"] == "1")
    #expect(metadata.configuration["delta.logRetentionDuration"] == "interval 36500 days")
    #expect(
      metadata.configuration["delta.deletedFileRetentionDuration"] == "interval 36500 days")
    #expect(metadata.configuration["delta.enableExpiredLogCleanup"] == "false")
    #expect(metadata.schema == TableFixture.schema)
    #expect(zero.adds.isEmpty)
    // The commit file's mtime is the commit's timestamp (delta-rs resolves time travel by mtime).
    #expect(
      try f.storage.status(DeltaTable.commitKey(version: 0))?.modificationTime
        == TableFixture.baseTime)
    // A second create loses: the table exists.
    #expect(try f.create() == .versionTaken(0))
  }

  @Test func createRejectsNonPondConfiguration() throws {
    let f = try TableFixture()
    defer { f.remove() }
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.create(configuration: ["delta.appendOnly": "true"])
    }
    #expect(!FileManager.default.fileExists(atPath: f.path(DeltaTable.commitKey(version: 0))))
  }

  @Test func staleHeadGetsVersionTaken() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let stale = try f.table.head()
    let a = try f.dataFile("a.parquet", [1])
    let b = try f.dataFile("b.parquet", [2])
    let first = try CommitFile.next(after: stale, adds: [a], timestamp: TableFixture.baseTime)
    let second = try CommitFile.next(after: stale, adds: [b], timestamp: TableFixture.baseTime)
    #expect(try f.table.write(first).isCommitted(version: 1))
    #expect(try f.table.write(second) == .versionTaken(1))
    #expect(try f.table.commit(1) == first)
  }

  @Test func commitTimestampsStrictlyIncrease() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let add = try f.dataFile("late.parquet", [1])
    // A clock that went backwards: the commit is stamped 1 ms after its predecessor.
    _ = try f.append([add], timestamp: TableFixture.baseTime - 5)
    #expect(try f.table.head().timestamp == (try f.table.commit(1)).info!.timestamp + 1)
  }

  @Test func invalidCommitsAreRefused() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let good = try f.dataFile("good.parquet", [1])
    var badPath = good
    badPath.path = "_hidden.parquet"
    var badHash = good
    badHash.tags["sha256"] = "ABC"
    var badStats = good
    badStats.stats = #"{"minValues":{}}"#
    for adds in [[badPath], [badHash], [badStats], [good, good]] {
      expectKind(.invalidArgument) { () throws(DeltaLogError) in _ = try f.append(adds) }
    }
    #expect(try f.table.latestVersion() == 1)
  }

  // MARK: - Log damage

  @Test func emptyLogIsTableNotFound() throws {
    let f = try TableFixture()
    defer { f.remove() }
    expectKind(.tableNotFound) { () throws(DeltaLogError) in _ = try f.table.latestVersion() }
  }

  @Test func versionGapIsNamed() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    try FileManager.default.removeItem(atPath: f.path(DeltaTable.commitKey(version: 2)))
    do {
      _ = try f.table.latestVersion()
      Issue.record("expected a gap error")
    } catch {
      #expect(error.kind == .versionGap && error.version == 2)
      #expect(error.path == "_delta_log/00000000000000000002.json")
      #expect(error.description.contains("version 3 exists"))
    }
  }

  @Test func missingVersionZeroIsNamed() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 3)
    try FileManager.default.removeItem(atPath: f.path(DeltaTable.commitKey(version: 0)))
    do {
      _ = try f.table.latestVersion()
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .missingVersionZero && error.version == 0)
      #expect(error.description.contains("checkpoint-only"))
    }
  }

  @Test func tornCommitIsNamed() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 3)
    let key = DeltaTable.commitKey(version: 2)
    let bytes = try f.storage.read(key)
    try f.overwrite(key, Array(bytes.prefix(bytes.count - 20)))
    #expect(try f.table.commit(1).version == 1)
    do {
      _ = try f.table.chainedCommits()
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .unparsableCommit && error.version == 2 && error.path == key)
    }
  }

  @Test func emptyCommitIsNamed() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 3)
    let key = DeltaTable.commitKey(version: 1)
    try f.overwrite(key, [])
    do {
      _ = try f.table.chainedCommits()
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .emptyCommit && error.version == 1 && error.path == key)
    }
  }

  @Test func alteredCommitBreaksTheChainAtTheNextVersion() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    // Still valid JSON, but one byte of version 1 changed: version 2's link no longer matches.
    let key = DeltaTable.commitKey(version: 1)
    var text = String(decoding: try f.storage.read(key), as: UTF8.self)
    text = text.replacingOccurrences(of: #""operation":"WRITE""#, with: #""operation":"WRITF""#)
    try f.overwrite(key, Array(text.utf8))
    try f.table.commit(1).checkChain(onto: try f.table.commit(0).head)
    do {
      _ = try f.table.chainedCommits()
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .brokenHashChain && error.version == 2)
      #expect(error.path == DeltaTable.commitKey(version: 2))
    }
  }

  @Test func commitWithoutChainLinkParsesButBreaksTheChain() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let foreign = #"{"commitInfo":{"timestamp":1767225700000,"operation":"WRITE"}}"# + "\n"
    #expect(
      try f.storage.putIfAbsent(
        DeltaTable.commitKey(version: 1), bytes: Array(foreign.utf8), modificationTime: nil)
        == .created)
    expectKind(.brokenHashChain) { () throws(DeltaLogError) in _ = try f.table.chainedCommits() }
    #expect(try f.table.commit(1).info?.operation == "WRITE")
  }

  @Test func deltaRsWrittenLogParsesButHasNoChain() throws {
    let f = try TableFixture()
    defer { f.remove() }
    for (version, text) in DeltaRsReferenceLog.commits.enumerated() {
      try f.storage.put(
        DeltaTable.commitKey(version: Int64(version)), bytes: Array((text + "\n").utf8))
    }
    #expect(try f.table.latestVersion() == 3)
    let commits = try (Int64(0)...3).map { try f.table.commit($0) }
    #expect(commits.map(\.adds.count) == [1, 1, 1, 1])
    #expect(commits.flatMap(\.adds).reduce(0) { $0 + ($1.numRecords ?? 0) } == 11)
    #expect(commits[3].actions.contains { if case .remove = $0 { true } else { false } })
    #expect(commits[1].info?.timestamp == 1_795_547_113_592)
    expectKind(.brokenHashChain) { () throws(DeltaLogError) in _ = try f.table.chainedCommits() }
  }

  @Test func unsupportedReaderProtocolIsRefused() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let info = CommitInfo(
      timestamp: TableFixture.baseTime + 999_999, readVersion: 1,
      previousCommitSHA256: try f.table.head().sha256.hex)
    let bytes = DeltaAction.encodeCommit([
      .commitInfo(info),
      .protocol(
        DeltaProtocol(minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors"])
      ),
    ])
    #expect(
      try f.storage.putIfAbsent(
        DeltaTable.commitKey(version: 2), bytes: bytes, modificationTime: nil)
        == .created)
    #expect(try f.table.commit(1).version == 1)
    do {
      _ = try f.table.commit(2)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .unsupportedProtocol && error.version == 2)
      #expect(error.description.contains("deletionVectors"))
    }
  }

  @Test func commitFileNamesAreTwentyDigits() {
    #expect(DeltaTable.commitKey(version: 12) == "_delta_log/00000000000000000012.json")
    #expect(LogListing.version(ofKey: "00000000000000000012.json") == 12)
    #expect(LogListing.version(ofKey: "0000000000000000012.json") == nil)
    #expect(LogListing.version(ofKey: "00000000000000000012.checkpoint.parquet") == nil)
    #expect(LogListing.version(ofKey: "_commit_abc.json.tmp") == nil)
  }
}

extension CommitResult {
  func isCommitted(version expected: Int64) -> Bool {
    if case .committed(let version, _) = self { return version == expected }
    return false
  }
}
