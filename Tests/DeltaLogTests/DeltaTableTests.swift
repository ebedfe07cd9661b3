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

  init() throws {
    directory = try TestSupport.makeTemporaryDirectory("delta-table")
    storage = DirectoryStore(root: directory.path)
    table = DeltaTable(storage: storage)
  }

  func remove() { try? FileManager.default.removeItem(at: directory) }

  /// Stores `bytes` as data file `path` and returns its add (exact size, SHA-256, numRecords).
  func dataFile(_ path: String, _ bytes: [UInt8], records: Int64 = 1) throws -> AddFile {
    try storage.put(path, bytes: bytes)
    return AddFile(
      path: path, size: Int64(bytes.count), modificationTime: Self.baseTime,
      statistics: FileStatistics(numRecords: records), sha256: Hex.encode(SHA256.hash(bytes)))
  }

  /// Creates version 0 and commits one data file per further version; returns the commit times.
  @discardableResult
  func build(versions: Int) throws -> [Int64] {
    var times: [Int64] = [Self.baseTime]
    guard case .committed = try table.create(schema: Self.schema, timestamp: Self.baseTime) else {
      throw DeltaLogError(.invalidArgument, "create lost")
    }
    for version in 1..<Int64(versions) {
      let snapshot = try table.snapshot()
      let add = try dataFile(
        "part-\(version).parquet", Array(repeating: UInt8(version), count: Int(version)))
      let time = Self.baseTime + version * 60_000
      let result = try table.commit(on: snapshot, adds: [add], timestamp: time)
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
}

extension DeltaTable {
  /// The version that added each data file of versions 0...`version` (the latest when nil), read one commit at
  /// a time: what a snapshot no longer keeps.
  func addedInVersion(through version: Int64? = nil) throws -> [String: Int64] {
    var added: [String: Int64] = [:]
    try forEachCommit(from: 0, through: try version ?? latestVersion(), onto: nil) { commit in
      for add in commit.adds { added[add.path] = commit.version }
    }
    return added
  }
}

@Suite("DeltaTable")
struct DeltaTableTests {
  @Test func createWritesProtocolMetadataAndHistoryConfiguration() throws {
    let f = try TableFixture()
    defer { f.remove() }
    let result = try f.table.create(
      schema: TableFixture.schema, configuration: ["pond.formatVersion": "1"], id: "pond-id",
      timestamp: TableFixture.baseTime)
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
    let snapshot = try f.table.snapshot()
    #expect(snapshot.version == 0 && snapshot.metadata.id == "pond-id")
    #expect(snapshot.protocol == .pond)
    #expect(snapshot.metadata.configuration["pond.formatVersion"] == "1")
    #expect(snapshot.metadata.configuration["delta.logRetentionDuration"] == "interval 36500 days")
    #expect(
      snapshot.metadata.configuration["delta.deletedFileRetentionDuration"] == "interval 36500 days"
    )
    #expect(snapshot.metadata.configuration["delta.enableExpiredLogCleanup"] == "false")
    #expect(snapshot.metadata.schema == TableFixture.schema)
    #expect(snapshot.liveFiles.isEmpty)
    // The commit file's mtime is the commit's timestamp (delta-rs resolves time travel by mtime).
    #expect(
      try f.storage.status(DeltaTable.commitKey(version: 0))?.modificationTime
        == TableFixture.baseTime)
    // A second create loses: the table exists.
    #expect(try f.table.create(schema: TableFixture.schema) == .versionTaken(0))
  }

  @Test func createRejectsNonPondConfiguration() throws {
    let f = try TableFixture()
    defer { f.remove() }
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.table.create(
        schema: TableFixture.schema, configuration: ["delta.appendOnly": "true"])
    }
  }

  @Test func replayGivesEveryVersionsLiveFiles() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    // Version 4: remove part-1, add part-4.
    let snapshot3 = try f.table.snapshot()
    let add4 = try f.dataFile("part-4.parquet", [9, 9, 9, 9], records: 4)
    let result = try f.table.commit(
      on: snapshot3, adds: [add4], removing: ["part-1.parquet"], operation: "DELETE",
      timestamp: TableFixture.baseTime + 240_000)
    guard case .committed(4, _) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    let expected: [Int64: [String]] = [
      0: [], 1: ["part-1.parquet"], 2: ["part-1.parquet", "part-2.parquet"],
      3: ["part-1.parquet", "part-2.parquet", "part-3.parquet"],
      4: ["part-2.parquet", "part-3.parquet", "part-4.parquet"],
    ]
    for (version, paths) in expected {
      let snapshot = try f.table.snapshot(at: version)
      #expect(snapshot.version == version)
      #expect(snapshot.liveFiles.keys.sorted() == paths)
      #expect(snapshot.head == (try f.table.commit(version)).head)
    }
    let latest = try f.table.snapshot()
    #expect(latest.version == 4)
    #expect(latest.liveFiles["part-4.parquet"]?.numRecords == 4)
    #expect(latest.liveFiles["part-4.parquet"] == add4)
    let addedInVersion = try f.table.addedInVersion()
    #expect(addedInVersion.count == 4 && addedInVersion["part-1.parquet"] == 1)
    let commit4 = try f.table.commit(4)
    #expect(commit4.info?.operation == "DELETE")
    #expect(commit4.info?.readVersion == 3)
    #expect(commit4.info?.previousCommitSHA256 == (try f.table.commit(3)).sha256.hex)
    let text = String(decoding: try f.storage.read(DeltaTable.commitKey(version: 4)), as: UTF8.self)
    #expect(
      text.contains(
        #"{"remove":{"path":"part-1.parquet","deletionTimestamp":1767225840000,"dataChange":true"#))
    expectKind(.noSuchVersion) { () throws(DeltaLogError) in _ = try f.table.snapshot(at: 5) }
    expectKind(.noSuchVersion) { () throws(DeltaLogError) in _ = try f.table.snapshot(at: -1) }
  }

  @Test func staleSnapshotGetsVersionTaken() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let stale = try f.table.snapshot()
    let a = try f.dataFile("a.parquet", [1])
    let b = try f.dataFile("b.parquet", [2])
    #expect(try f.table.commit(on: stale, adds: [a]).isCommitted(version: 1))
    #expect(try f.table.commit(on: stale, adds: [b]) == .versionTaken(1))
    // append re-reads and retries on top of the winner.
    let appended = try f.table.append([b])
    #expect(appended.version == 2)
    #expect(try f.table.snapshot().liveFiles.keys.sorted() == ["a.parquet", "b.parquet"])
  }

  @Test func putDataFileStoresAndDescribesTheFile() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let bytes: [UInt8] = Array("PAR1 not really PAR1".utf8)
    let add = try f.table.putDataFile(
      "data/part-x.zstd.parquet", bytes, statistics: FileStatistics(numRecords: 7),
      modificationTime: 42)
    #expect(add.size == Int64(bytes.count) && add.modificationTime == 42 && add.numRecords == 7)
    #expect(add.sha256 == Hex.encode(SHA256.hash(bytes)))
    #expect(try f.storage.read("data/part-x.zstd.parquet") == bytes)
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.table.putDataFile("../escape.parquet", bytes, statistics: nil)
    }
    _ = try f.table.commit(on: try f.table.snapshot(), adds: [add])
    #expect(try f.table.verifyDataFiles().filesChecked == 1)
  }

  @Test func commitTimestampsStrictlyIncrease() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let snapshot = try f.table.snapshot()
    let add = try f.dataFile("late.parquet", [1])
    // A clock that went backwards: the commit is stamped 1 ms after its predecessor.
    _ = try f.table.commit(on: snapshot, adds: [add], timestamp: TableFixture.baseTime - 5)
    let latest = try f.table.snapshot()
    #expect(latest.head.timestamp == (try f.table.commit(1)).info!.timestamp + 1)
  }

  @Test func invalidCommitsAreRefused() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let snapshot = try f.table.snapshot()
    let good = try f.dataFile("good.parquet", [1])
    var badPath = good
    badPath.path = "_hidden.parquet"
    var badHash = good
    badHash.tags["sha256"] = "ABC"
    var badStats = good
    badStats.stats = #"{"minValues":{}}"#
    var reused = good
    reused.path = "part-1.parquet"
    let cases: [([AddFile], [String])] = [
      ([badPath], []), ([badHash], []), ([badStats], []), ([good, good], []), ([reused], []),
      ([good], ["never-added.parquet"]), ([good], ["part-1.parquet", "part-1.parquet"]),
    ]
    for (adds, removes) in cases {
      expectKind(.invalidArgument) { () throws(DeltaLogError) in
        _ = try f.table.commit(on: snapshot, adds: adds, removing: removes)
      }
    }
    #expect(try f.table.latestVersion() == 1)
  }

  @Test func aRemovedDataFileIsNeverOverwritten() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let original = try f.storage.read("part-1.parquet")
    let removed = try f.table.commit(
      on: try f.table.snapshot(), adds: [], removing: ["part-1.parquet"])
    #expect(removed.isCommitted(version: 2))
    // Time travel to version 1 still needs part-1's bytes: storing that name again is refused, both ways.
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.table.putDataFile("part-1.parquet", [7, 7, 7], statistics: nil)
    }
    let source = f.path("source.bin")
    try Data([7, 7, 7]).write(to: URL(fileURLWithPath: source))
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.table.putDataFile("part-1.parquet", contentsOf: source, statistics: nil)
    }
    #expect(try f.storage.read("part-1.parquet") == original)
    #expect(try f.table.verifyDataFiles().filesChecked == 1)
  }

  @Test func refusesToWriteNewerWriterProtocol() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    var snapshot = try f.table.snapshot()
    snapshot.protocol = DeltaProtocol(minReaderVersion: 1, minWriterVersion: 4)
    expectKind(.unsupportedProtocol) { () throws(DeltaLogError) in
      _ = try f.table.commit(on: snapshot, adds: [])
    }
  }

  @Test func updateReadsOnlyNewerCommitsAndChecksTheChain() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 3)
    let old = try f.table.snapshot(at: 1)
    let updated = try f.table.update(old)
    let fresh = try f.table.snapshot()
    #expect(updated.version == 2)
    #expect(updated.liveFiles == fresh.liveFiles && updated.head == fresh.head)
    #expect(try f.table.update(fresh).version == 2)
    expectKind(.noSuchVersion) { () throws(DeltaLogError) in _ = try f.table.update(fresh, to: 1) }
    // Version 1 replaced by another writer's (diverged) commit: version 2 no longer chains onto it.
    var diverged = old
    diverged.head.sha256 = SHA256Digest(bytes: [UInt8](repeating: 0, count: 32))!
    do {
      _ = try f.table.update(diverged)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .brokenHashChain && error.version == 2)
    }
  }

  @Test func metadataCanEvolveButKeepsTheTableId() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let snapshot = try f.table.snapshot()
    var evolved = snapshot.metadata
    evolved.schema = try DeltaSchema(TableFixture.schema.fields + [.init("extra", .integer)])
    #expect(try f.table.commit(on: snapshot, adds: [], metadata: evolved).isCommitted(version: 2))
    let latest = try f.table.snapshot()
    #expect(latest.metadata.schema.fields.map(\.name) == ["seq", "op", "extra"])
    #expect(try f.table.snapshot(at: 1).metadata.schema == TableFixture.schema)
    var foreign = evolved
    foreign.id = "another-table"
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.table.commit(on: latest, adds: [], metadata: foreign)
    }
  }

  // MARK: - Time travel by timestamp

  @Test func asOfResolvesToLatestCommitAtOrBefore() throws {
    let f = try TableFixture()
    defer { f.remove() }
    let times = try f.build(versions: 4)
    #expect(try f.table.version(asOf: times[0]) == 0)
    #expect(try f.table.version(asOf: times[1] - 1) == 0)
    #expect(try f.table.version(asOf: times[1]) == 1)
    #expect(try f.table.version(asOf: times[2] + 30_000) == 2)
    #expect(try f.table.version(asOf: Int64.max) == 3)
    do {
      _ = try f.table.version(asOf: times[0] - 1)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .timestampOutOfRange && error.version == 0)
      #expect(error.description.contains("before the first commit"))
    }
  }

  // MARK: - Log damage

  @Test func emptyLogIsTableNotFound() throws {
    let f = try TableFixture()
    defer { f.remove() }
    expectKind(.tableNotFound) { () throws(DeltaLogError) in _ = try f.table.snapshot() }
  }

  @Test func versionGapIsNamed() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    try FileManager.default.removeItem(atPath: f.path(DeltaTable.commitKey(version: 2)))
    do {
      _ = try f.table.snapshot(at: 1)
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
      _ = try f.table.snapshot()
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
    #expect(try f.table.snapshot(at: 1).version == 1)
    do {
      _ = try f.table.snapshot()
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
      _ = try f.table.snapshot()
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
    #expect(try f.table.snapshot(at: 1).version == 1)
    do {
      _ = try f.table.snapshot()
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .brokenHashChain && error.version == 2)
      #expect(error.path == DeltaTable.commitKey(version: 2))
    }
  }

  @Test func commitWithoutChainLinkIsRefusedUnlessNotRequired() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let foreign = #"{"commitInfo":{"timestamp":1767225700000,"operation":"WRITE"}}"# + "\n"
    #expect(
      try f.storage.putIfAbsent(
        DeltaTable.commitKey(version: 1), bytes: Array(foreign.utf8), modificationTime: nil)
        == .created)
    expectKind(.brokenHashChain) { () throws(DeltaLogError) in _ = try f.table.snapshot() }
    let lenient = DeltaTable(storage: f.storage, requireHashChain: false)
    #expect(try lenient.snapshot().version == 1)
  }

  @Test func deltaRsWrittenLogReplaysWithoutChain() throws {
    let f = try TableFixture()
    defer { f.remove() }
    for (version, text) in DeltaRsReferenceLog.commits.enumerated() {
      try f.storage.put(
        DeltaTable.commitKey(version: Int64(version)), bytes: Array((text + "\n").utf8))
    }
    let table = DeltaTable(storage: f.storage, requireHashChain: false)
    let snapshot = try table.snapshot()
    #expect(snapshot.version == 3)
    #expect(snapshot.liveFiles.count == 3)
    #expect(snapshot.liveFiles.values.reduce(0) { $0 + ($1.numRecords ?? 0) } == 8)
    #expect(try table.snapshot(at: 2).liveFiles.count == 3)
    #expect(try table.version(asOf: 1_795_547_113_600) == 1)
    expectKind(.brokenHashChain) { () throws(DeltaLogError) in _ = try f.table.snapshot() }
  }

  @Test func unsupportedReaderProtocolIsRefused() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let snapshot = try f.table.snapshot()
    let info = CommitInfo(
      timestamp: TableFixture.baseTime + 999_999, readVersion: 1,
      previousCommitSHA256: snapshot.head.sha256.hex)
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
    #expect(try f.table.snapshot(at: 1).version == 1)
    do {
      _ = try f.table.snapshot()
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .unsupportedProtocol && error.version == 2)
      #expect(error.description.contains("deletionVectors"))
    }
  }

  // MARK: - Data file verification

  @Test func verifyChecksEverySizeAndHash() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    let result = try f.table.verifyDataFiles()
    #expect(result == DataFileVerification(filesChecked: 3, bytesChecked: 1 + 2 + 3))
  }

  @Test func verifyHashesLargeFilesInChunks() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let size = DeltaTable.verifyChunkSize * 2 + 12_345
    var bytes = [UInt8](repeating: 0, count: size)
    for i in 0..<size { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
    let add = try f.dataFile("big.parquet", bytes)
    _ = try f.table.commit(on: try f.table.snapshot(), adds: [add])
    #expect(
      try f.table.verifyDataFiles()
        == DataFileVerification(filesChecked: 1, bytesChecked: Int64(size)))
    bytes[DeltaTable.verifyChunkSize + 7] ^= 1
    try f.overwrite("big.parquet", bytes)
    expectKind(.dataFileHashMismatch) { () throws(DeltaLogError) in
      _ = try f.table.verifyDataFiles()
    }
  }

  @Test func verifyReportsAChangedByteAsHashMismatch() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    try f.overwrite("part-2.parquet", [2, 3])
    do {
      _ = try f.table.verifyDataFiles()
      Issue.record("expected an error")
    } catch {
      #expect(
        error.kind == .dataFileHashMismatch && error.path == "part-2.parquet" && error.version == 2)
    }
    // Version 1 does not include part-2 yet.
    #expect(try f.table.verifyDataFiles(at: 1).filesChecked == 1)
  }

  @Test func verifyReportsATruncatedFileAsSizeMismatch() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 4)
    try f.overwrite("part-3.parquet", [3, 3])
    do {
      _ = try f.table.verifyDataFiles()
      Issue.record("expected an error")
    } catch {
      #expect(
        error.kind == .dataFileSizeMismatch && error.path == "part-3.parquet" && error.version == 3)
      #expect(error.description.contains("2 bytes but its add says 3"))
    }
  }

  @Test func verifyReportsMissingAndRemovedFiles() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 3)
    let snapshot = try f.table.snapshot()
    _ = try f.table.commit(on: snapshot, adds: [], removing: ["part-1.parquet"])
    try FileManager.default.removeItem(atPath: f.path("part-1.parquet"))
    // Live files are intact, but history needs the removed part-1 too.
    #expect(try f.table.verifyDataFiles(liveOnly: true).filesChecked == 1)
    expectKind(.dataFileMissing) { () throws(DeltaLogError) in _ = try f.table.verifyDataFiles() }
  }

  @Test func percentEscapesInAddPathsAreDecoded() throws {
    #expect(
      try DeltaTable.storageKey(forDataPath: "my%20file.parquet", version: 1) == "my file.parquet")
    #expect(try DeltaTable.storageKey(forDataPath: "a/b.parquet", version: 1) == "a/b.parquet")
    expectKind(.unsupportedFeature) { () throws(DeltaLogError) in
      _ = try DeltaTable.storageKey(forDataPath: "file:///tmp/x.parquet", version: 1)
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
