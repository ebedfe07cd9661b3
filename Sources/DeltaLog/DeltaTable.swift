import Foundation
import PondCrypto

/// The outcome of writing a commit: losing the race for a version is a result, not an error.
public enum CommitResult: Sendable, Equatable {
  /// The commit is now version `version`; `sha256` is its file's hash (the next commit's chain link).
  case committed(version: Int64, sha256: String)
  /// Another writer committed `version` first; re-read the table and retry on top of it.
  case versionTaken(Int64)
}

/// What `verifyDataFiles` checked.
public struct DataFileVerification: Sendable, Equatable {
  public var filesChecked: Int
  public var bytesChecked: Int64
}

/// Everything `checkDataFiles` found: what verified, and every problem.
public struct DataFileReport: Sendable, Equatable {
  /// The files whose size and hash matched their add.
  public var verified: DataFileVerification
  /// One error per bad file (missing, wrong size, wrong hash, no hash, unreadable), in path order; each
  /// names the version that added the file and its path.
  public var problems: [DeltaLogError]

  public init(verified: DataFileVerification, problems: [DeltaLogError]) {
    self.verified = verified
    self.problems = problems
  }
}

/// A Delta table on a `Storage`: create it, commit versions with put-if-absent, replay it at any version.
///
/// Every commit pond writes holds a `commitInfo` (first line) whose `timestamp` is the commit's time and whose
/// `pond.prevCommitSha256` is the SHA-256 of the previous commit file's bytes, so the log is a hash chain.
/// Version 0 has no predecessor and carries no such key. Commit timestamps are kept strictly increasing
/// (a commit is stamped at least 1 ms after its predecessor), so "as of" resolution is well defined.
///
/// All methods block on storage I/O; call them off Swift's cooperative pool from async code.
public struct DeltaTable: Sendable {
  public let storage: any Storage
  /// When true (the default), replay fails on a commit whose hash-chain link is missing or wrong.
  public var requireHashChain: Bool

  /// The log directory's key prefix.
  public static let logPrefix = "_delta_log/"
  /// The `engineInfo` pond writes into `commitInfo`.
  public static let engineInfo = "pond/0.1"

  public init(storage: any Storage, requireHashChain: Bool = true) {
    self.storage = storage
    self.requireHashChain = requireHashChain
  }

  /// `_delta_log/<version, 20 digits>.json`.
  public static func commitKey(version: Int64) -> String {
    precondition(version >= 0, "negative Delta version \(version)")
    let digits = String(version)
    return logPrefix + String(repeating: "0", count: 20 - digits.count) + digits + ".json"
  }

  /// The version of a log entry named `^\d{20}\.json$`, or nil for any other name.
  static func version(ofCommitName name: Substring) -> Int64? {
    let bytes = Array(name.utf8)
    guard bytes.count == 25, bytes[20...] == Array(".json".utf8)[...],
      bytes[0..<20].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return nil }
    return Int64(String(decoding: bytes[0..<20], as: UTF8.self))
  }

  /// The current time in ms since the epoch.
  public static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

  // MARK: - Listing

  /// The latest version, after checking that the log holds versions 0...latest with no gap.
  public func latestVersion() throws(DeltaLogError) -> Int64 {
    let entries = try wrap(nil, Self.logPrefix) { () throws(StorageError) in
      try storage.list(prefix: Self.logPrefix)
    }
    var versions: [Int64] = []
    for entry in entries {
      let name = entry.key.split(separator: "/").last ?? ""
      if let version = Self.version(ofCommitName: name) { versions.append(version) }
    }
    versions.sort()
    guard let first = versions.first else {
      throw DeltaLogError(
        .tableNotFound, path: Self.logPrefix, "no commit files (^\\d{20}\\.json$) in the log",
        hint: "check the table path, or create the table")
    }
    guard first == 0 else {
      throw DeltaLogError(
        .missingVersionZero, version: 0, path: Self.commitKey(version: 0),
        "the log starts at version \(first); checkpoint-only logs are not supported",
        hint: "restore the log's JSON commits from a replica")
    }
    for (index, version) in versions.enumerated() where Int64(index) != version {
      throw DeltaLogError(
        .versionGap, version: Int64(index), path: Self.commitKey(version: Int64(index)),
        "version \(index) is missing but version \(version) exists",
        hint: "restore the missing commit from a replica")
    }
    return versions[versions.count - 1]
  }

  // MARK: - Replay

  /// The table at `version` (the latest when nil), from replaying commits 0...version.
  ///
  /// Lists the log once, then reads each commit file once.
  public func snapshot(at version: Int64? = nil) throws(DeltaLogError) -> DeltaSnapshot {
    let target = try resolve(version)
    var replay = Replay()
    replay.commits.reserveCapacity(Int(target) + 1)
    for current in 0...target { try apply(current, to: &replay) }
    return replay.snapshot
  }

  /// `snapshot` moved forward to `version` (the latest when nil), reading only the newer commits and
  /// checking that they chain onto `snapshot`'s head. Returns `snapshot` itself when nothing is newer.
  public func update(_ snapshot: DeltaSnapshot, to version: Int64? = nil) throws(DeltaLogError)
    -> DeltaSnapshot
  {
    let target = try resolve(version)
    guard target >= snapshot.version else {
      throw DeltaLogError(
        .noSuchVersion, version: target,
        "cannot move a snapshot at version \(snapshot.version) back to \(target)",
        hint: "take a new snapshot at that version")
    }
    guard target > snapshot.version else { return snapshot }
    var replay = Replay(snapshot)
    for current in (snapshot.version + 1)...target { try apply(current, to: &replay) }
    return replay.snapshot
  }

  /// `version` checked against the log (listed once), or the latest version when nil.
  private func resolve(_ version: Int64?) throws(DeltaLogError) -> Int64 {
    let latest = try latestVersion()
    let target = version ?? latest
    guard target >= 0, target <= latest else {
      throw DeltaLogError(
        .noSuchVersion, version: target, "the table's versions are 0...\(latest)",
        hint: "ask for a version between 0 and \(latest)")
    }
    return target
  }

  /// The state of a replay in progress.
  private struct Replay {
    var tableProtocol: DeltaProtocol?
    var metadata: TableMetadata?
    var live: [String: AddFile] = [:]
    var everAdded: [String: AddFile] = [:]
    var addedInVersion: [String: Int64] = [:]
    var commits: [DeltaSnapshot.Commit] = []

    init() {}

    init(_ snapshot: DeltaSnapshot) {
      tableProtocol = snapshot.protocol
      metadata = snapshot.metadata
      live = snapshot.liveFiles
      everAdded = snapshot.everAdded
      addedInVersion = snapshot.addedInVersion
      commits = snapshot.commits
    }

    var snapshot: DeltaSnapshot {
      // Applying version 0 guarantees protocol and metadata are set.
      DeltaSnapshot(
        version: Int64(commits.count - 1), protocol: tableProtocol!, metadata: metadata!,
        liveFiles: live, commits: commits, everAdded: everAdded, addedInVersion: addedInVersion)
    }
  }

  /// Reads commit `current`, checks it (protocol support, hash chain) and applies it to `replay`.
  private func apply(_ current: Int64, to replay: inout Replay) throws(DeltaLogError) {
    let key = Self.commitKey(version: current)
    let bytes = try wrap(current, key) { () throws(StorageError) in try storage.read(key) }
    let sha256 = Hex.encode(SHA256.hash(bytes))
    let actions = try DeltaAction.decodeCommit(bytes, version: current, path: key)
    var info: CommitInfo?
    var adds: [AddFile] = []
    var removes: [RemoveFile] = []
    for action in actions {
      switch action {
      case .commitInfo(let value): if info == nil { info = value }
      case .protocol(let value):
        if let problem = value.readProblem {
          throw DeltaLogError(
            .unsupportedProtocol, version: current, path: key, problem,
            hint: "this table needs a newer Delta reader than pond")
        }
        replay.tableProtocol = value
      case .metaData(let value): replay.metadata = value
      case .add(let value): adds.append(value)
      case .remove(let value): removes.append(value)
      }
    }
    if current == 0, replay.tableProtocol == nil || replay.metadata == nil {
      throw DeltaLogError(
        .invalidAction, version: 0, path: key, "version 0 lacks the protocol or metaData action",
        hint: "this is not the start of a Delta table")
    }
    if requireHashChain, current > 0 {
      let expected = replay.commits[replay.commits.count - 1].sha256
      guard let link = info?.previousCommitSHA256 else {
        throw DeltaLogError(
          .brokenHashChain, version: current, path: key,
          "the commit has no commitInfo.\(CommitInfo.previousCommitKey)",
          hint: "it was not written by pond; open the table without requiring the hash chain")
      }
      guard link == expected else {
        throw DeltaLogError(
          .brokenHashChain, version: current, path: key,
          "the commit names previous commit sha256 \(link), but version \(current - 1) hashes to "
            + expected,
          hint: "the log was altered or diverged; compare with a replica")
      }
    }
    for remove in removes { replay.live[remove.path] = nil }
    for add in adds {
      replay.live[add.path] = add
      replay.everAdded[add.path] = add
      replay.addedInVersion[add.path] = current
    }
    replay.commits.append(
      DeltaSnapshot.Commit(version: current, info: info, sha256: sha256, size: Int64(bytes.count)))
  }

  /// The latest version whose `commitInfo.timestamp` is at most `timestamp` (ms since the epoch).
  ///
  /// Throws `.timestampOutOfRange` when `timestamp` is before version 0, or a commit has no commitInfo.
  public func version(asOf timestamp: Int64) throws(DeltaLogError) -> Int64 {
    let snapshot = try snapshot()
    var found: Int64?
    for commit in snapshot.commits {
      guard let time = commit.info?.timestamp else {
        throw DeltaLogError(
          .timestampOutOfRange, version: commit.version,
          path: Self.commitKey(version: commit.version), "the commit has no commitInfo.timestamp",
          hint: "resolve this table by version instead of by time")
      }
      if time <= timestamp { found = commit.version }
    }
    guard let found else {
      let first = snapshot.commits[0].info?.timestamp ?? 0
      throw DeltaLogError(
        .timestampOutOfRange, version: 0, path: Self.commitKey(version: 0),
        "\(timestamp) is before the first commit (timestamp \(first))",
        hint: "the table did not exist yet at that time")
    }
    return found
  }

  // MARK: - Writing

  /// Creates the table: version 0 with `commitInfo`, `protocol` (1, 2), `metaData` and `adds`.
  ///
  /// - Parameters:
  ///   - id: the table id (pond id); a new random UUID by default.
  ///   - configuration: `pond.*` settings, added to the history-preserving `delta.*` configuration.
  /// - Returns: `.versionTaken(0)` when the table already exists.
  public func create(
    schema: DeltaSchema, configuration: [String: String] = [:],
    id: String = UUID().uuidString.lowercased(), adds: [AddFile] = [],
    timestamp: Int64 = DeltaTable.now()
  ) throws(DeltaLogError) -> CommitResult {
    var fullConfiguration = TableMetadata.historyPreservingConfiguration
    for (key, value) in configuration {
      guard key.hasPrefix("pond.") else {
        throw DeltaLogError(
          .invalidArgument, "configuration key '\(key)' is not a pond.* setting",
          hint: "the delta.* settings are fixed by pond")
      }
      fullConfiguration[key] = value
    }
    try Self.validate(adds: adds, removes: [], against: nil)
    let metadata = TableMetadata(
      id: id, schema: schema, configuration: fullConfiguration, createdTime: timestamp)
    let info = CommitInfo(
      timestamp: timestamp, operation: "CREATE TABLE", engineInfo: Self.engineInfo)
    let actions: [DeltaAction] =
      [.commitInfo(info), .protocol(.pond), .metaData(metadata)] + adds.map { .add($0) }
    return try write(version: 0, actions: actions, timestamp: timestamp)
  }

  /// Commits version `snapshot.version + 1`: removes of live paths, then adds, after a `commitInfo` that
  /// chains onto `snapshot`'s head commit.
  ///
  /// - Parameters:
  ///   - metadata: a replacement `metaData` (schema evolution; same table id), if any.
  ///   - timestamp: the commit time (ms); raised to 1 ms after the previous commit if needed.
  /// - Returns: `.versionTaken` when another writer committed that version first.
  public func commit(
    on snapshot: DeltaSnapshot, adds: [AddFile], removing removedPaths: [String] = [],
    operation: String = "WRITE", operationParameters: [String: String] = [:],
    metadata newMetadata: TableMetadata? = nil, timestamp: Int64 = DeltaTable.now()
  ) throws(DeltaLogError) -> CommitResult {
    if let problem = snapshot.protocol.writeProblem {
      throw DeltaLogError(.unsupportedProtocol, version: snapshot.version, problem)
    }
    if let newMetadata {
      guard newMetadata.id == snapshot.metadata.id, newMetadata.partitionColumns.isEmpty else {
        throw DeltaLogError(
          .invalidArgument, version: snapshot.version,
          "a new metaData must keep the table id \(snapshot.metadata.id) and have no partition columns"
        )
      }
    }
    try Self.validate(adds: adds, removes: removedPaths, against: snapshot)
    let version = snapshot.version + 1
    let (next, overflow) = (snapshot.headTimestamp ?? Int64.min).addingReportingOverflow(1)
    guard !overflow else {
      throw DeltaLogError(
        .invalidAction, version: snapshot.version, path: Self.commitKey(version: snapshot.version),
        "the commit's timestamp is the largest possible; no later commit can follow it")
    }
    let time = max(timestamp, next)
    let info = CommitInfo(
      timestamp: time, operation: operation, operationParameters: operationParameters,
      engineInfo: Self.engineInfo, readVersion: snapshot.version,
      previousCommitSHA256: snapshot.headCommitSHA256)
    var actions: [DeltaAction] = [.commitInfo(info)]
    if let newMetadata { actions.append(.metaData(newMetadata)) }
    for path in removedPaths {
      actions.append(
        .remove(
          RemoveFile(
            path: path, dataChange: true, deletionTimestamp: time,
            size: snapshot.liveFiles[path]?.size)))
    }
    actions += adds.map { .add($0) }
    return try write(version: version, actions: actions, timestamp: time)
  }

  /// Appends `adds` as the next version, re-reading the table and retrying when another writer wins.
  ///
  /// A blind append cannot conflict with other commits, so retrying on top of theirs is safe.
  public func append(
    _ adds: [AddFile], operation: String = "WRITE", maximumAttempts: Int = 16
  ) throws(DeltaLogError) -> (version: Int64, sha256: String) {
    var current = try snapshot()
    for _ in 0..<maximumAttempts {
      current = try update(current)
      switch try commit(on: current, adds: adds, operation: operation) {
      case .committed(let version, let sha256): return (version, sha256)
      case .versionTaken: continue
      }
    }
    throw DeltaLogError(
      .commitConflict, version: current.version + 1,
      "lost the race for the next version \(maximumAttempts) times",
      hint: "too many concurrent writers; retry later")
  }

  /// Stores a data file durably under `path` and returns its `add`: exact size, `tags.sha256`, and stats
  /// from `statistics`. Write data files before the commit that references them.
  ///
  /// Hashes `bytes` on the calling thread; call it off Swift's cooperative pool for large files.
  public func putDataFile(
    _ path: String, _ bytes: [UInt8], statistics: FileStatistics?,
    modificationTime: Int64 = DeltaTable.now()
  ) throws(DeltaLogError) -> AddFile {
    try Self.checkDataPath(path)
    try wrap(nil, path, hint: Self.putFailureHint) { () throws(StorageError) in
      try storage.put(path, bytes)
    }
    return AddFile(
      path: path, size: Int64(bytes.count), modificationTime: modificationTime,
      stats: statistics?.jsonString, sha256: Hex.encode(SHA256.hash(bytes)))
  }

  private static func checkDataPath(_ path: String) throws(DeltaLogError) {
    guard isValidDataPath(path) else {
      throw DeltaLogError(
        .invalidArgument, path: path,
        "data file paths are relative, '/'-separated names of [A-Za-z0-9._-], not starting with '_' or '.'"
      )
    }
  }

  /// Stores the local file `localFile` durably as data file `path` and returns its `add`, like
  /// `putDataFile(_:_:statistics:modificationTime:)` but copying and hashing in one pass over bounded
  /// chunks, so memory does not grow with the file's size.
  ///
  /// Blocks on file I/O and hashing; call it off Swift's cooperative pool.
  public func putDataFile(
    _ path: String, contentsOf localFile: String, statistics: FileStatistics?,
    modificationTime: Int64 = DeltaTable.now()
  ) throws(DeltaLogError) -> AddFile {
    try Self.checkDataPath(path)
    let hasher = SHA256Hasher()
    let size = try wrap(nil, path, hint: Self.putFailureHint) { () throws(StorageError) in
      try storage.put(path, contentsOf: localFile) { hasher.update($0) }
    }
    return AddFile(
      path: path, size: size, modificationTime: modificationTime,
      stats: statistics?.jsonString, sha256: Hex.encode(hasher.finalize()))
  }

  private func write(version: Int64, actions: [DeltaAction], timestamp: Int64)
    throws(DeltaLogError) -> CommitResult
  {
    let key = Self.commitKey(version: version)
    let bytes = DeltaAction.encodeCommit(actions)
    let result = try wrap(
      version, key,
      hint:
        "no partial commit is left (only a failed fsync of the log directory can leave version "
        + "\(version) whole but not yet durable); free space or fix the table directory's permissions, "
        + "then re-read the table and commit again"
    ) { () throws(StorageError) in
      try storage.writeIfAbsent(key, bytes, modificationTime: timestamp)
    }
    switch result {
    case .written: return .committed(version: version, sha256: Hex.encode(SHA256.hash(bytes)))
    case .alreadyExists: return .versionTaken(version)
    }
  }

  private static func validate(adds: [AddFile], removes: [String], against snapshot: DeltaSnapshot?)
    throws(DeltaLogError)
  {
    var seen = Set<String>()
    for add in adds {
      guard isValidDataPath(add.path) else {
        throw DeltaLogError(
          .invalidArgument, path: add.path,
          "data file paths are relative, '/'-separated names of [A-Za-z0-9._-], not starting with '_' or '.'"
        )
      }
      guard seen.insert(add.path).inserted else {
        throw DeltaLogError(
          .invalidArgument, path: add.path, "the path is added twice in one commit")
      }
      if let snapshot, let earlier = snapshot.addedInVersion[add.path] {
        throw DeltaLogError(
          .invalidArgument, path: add.path,
          "the path was already added in version \(earlier); data files are never overwritten",
          hint: "give every data file a new unique name")
      }
      guard add.size >= 0, add.modificationTime >= 0, add.partitionValues.isEmpty else {
        throw DeltaLogError(
          .invalidArgument, path: add.path,
          "size and modificationTime must be non-negative and partitionValues empty")
      }
      guard let sha256 = add.sha256, sha256.utf8.count == 64,
        sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
      else {
        throw DeltaLogError(
          .invalidArgument, path: add.path, "tags.sha256 must be 64 lower-case hex digits")
      }
      if let stats = add.stats {
        guard let value = try? JSONValue.parse(stats), value.objectMembers != nil,
          let records = value["numRecords"]?.int64Value, records >= 0
        else {
          throw DeltaLogError(
            .invalidArgument, path: add.path,
            "stats must be a JSON object with a non-negative integer numRecords: \(stats)")
        }
      }
    }
    var removed = Set<String>()
    for path in removes {
      guard removed.insert(path).inserted else {
        throw DeltaLogError(.invalidArgument, path: path, "the path is removed twice in one commit")
      }
      guard let snapshot, snapshot.liveFiles[path] != nil else {
        throw DeltaLogError(
          .invalidArgument, path: path,
          "the path is not live at version \(snapshot?.version ?? -1), so it cannot be removed")
      }
    }
  }

  static func isValidDataPath(_ path: String) -> Bool {
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    return !components.isEmpty
      && components.allSatisfy { component in
        guard let first = component.utf8.first, first != UInt8(ascii: "_"),
          first != UInt8(ascii: ".")
        else { return false }
        return component.utf8.allSatisfy {
          ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
            || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
      }
  }

  // MARK: - Verification

  /// Reads every data file added in versions 0...`version` (removed ones too, since time travel needs
  /// them; only the live ones when `liveOnly`) and checks its size and `tags.sha256`.
  ///
  /// Throws the first problem `checkDataFiles` finds: `.dataFileMissing`, `.dataFileSizeMismatch`,
  /// `.dataFileHashMismatch`, `.dataFileUnverifiable` or `.storageFailure`, naming the file and the
  /// version that added it. Use `checkDataFiles` to get every problem.
  public func verifyDataFiles(at version: Int64? = nil, liveOnly: Bool = false)
    throws(DeltaLogError) -> DataFileVerification
  {
    let report = try checkDataFiles(at: version, liveOnly: liveOnly)
    if let first = report.problems.first { throw first }
    return report.verified
  }

  /// Checks every data file like `verifyDataFiles`, but goes on past a bad file and returns all
  /// problems (each a `DeltaLogError` with its kind, the version that added the file, and its path), in
  /// path order. Throws only when the log itself cannot be replayed.
  public func checkDataFiles(at version: Int64? = nil, liveOnly: Bool = false)
    throws(DeltaLogError) -> DataFileReport
  {
    let snapshot = try snapshot(at: version)
    let files = (liveOnly ? snapshot.liveFiles : snapshot.everAdded).values.sorted {
      $0.path < $1.path
    }
    var report = DataFileReport(
      verified: DataFileVerification(filesChecked: 0, bytesChecked: 0), problems: [])
    for add in files {
      let addedIn = snapshot.addedInVersion[add.path]
      do {
        report.verified.bytesChecked += try check(add, addedIn: addedIn)
        report.verified.filesChecked += 1
      } catch {
        report.problems.append(error)
      }
    }
    return report
  }

  /// Checks one data file's size and hash; returns the bytes read.
  private func check(_ add: AddFile, addedIn: Int64?) throws(DeltaLogError) -> Int64 {
    let key = try Self.storageKey(forDataPath: add.path, version: addedIn)
    guard let entry = try wrap(addedIn, key, { () throws(StorageError) in try storage.stat(key) })
    else {
      throw DeltaLogError(
        .dataFileMissing, version: addedIn, path: add.path, "the data file does not exist",
        hint: "restore it from a replica")
    }
    guard entry.size == add.size else {
      throw DeltaLogError(
        .dataFileSizeMismatch, version: addedIn, path: add.path,
        "the file holds \(entry.size) bytes but its add says \(add.size)",
        hint: "the file was truncated or replaced; restore it from a replica")
    }
    guard let expected = add.sha256 else {
      throw DeltaLogError(
        .dataFileUnverifiable, version: addedIn, path: add.path, "the add has no tags.sha256")
    }
    // Hash in bounded chunks: memory does not grow with the file's size.
    let hasher = SHA256Hasher()
    var offset: Int64 = 0
    while true {
      let chunk = try wrap(addedIn, key, missing: .dataFileMissing) { () throws(StorageError) in
        try storage.read(key, offset: offset, length: Self.verifyChunkSize)
      }
      hasher.update(chunk)
      offset += Int64(chunk.count)
      if chunk.count < Self.verifyChunkSize { break }
    }
    guard offset == add.size else {
      throw DeltaLogError(
        .dataFileSizeMismatch, version: addedIn, path: add.path,
        "the file changed size while being read (\(offset) bytes, its add says \(add.size))",
        hint: "another process is writing it; retry, then restore it from a replica")
    }
    let actual = Hex.encode(hasher.finalize())
    guard actual == expected else {
      throw DeltaLogError(
        .dataFileHashMismatch, version: addedIn, path: add.path,
        "the file's sha256 is \(actual) but its add says \(expected)",
        hint: "the file is corrupt or was replaced; restore it from a replica")
    }
    return offset
  }

  /// The hint of a failed data file put.
  static let putFailureHint =
    "no partial file is left under the data file's name; free space or fix the table directory's "
    + "permissions, then store it again"

  /// How much of a data file `verifyDataFiles` reads at a time.
  static let verifyChunkSize = 4 << 20

  /// The storage key of an `add.path`: a relative URI, so `%XX` escapes are decoded.
  static func storageKey(forDataPath path: String, version: Int64?) throws(DeltaLogError) -> String
  {
    guard !path.hasPrefix("/"), !path.contains("://") else {
      throw DeltaLogError(
        .unsupportedFeature, version: version, path: path,
        "absolute data file paths are not supported")
    }
    guard path.contains("%") else { return path }
    var bytes: [UInt8] = []
    var utf8 = Array(path.utf8)[...]
    while let byte = utf8.popFirst() {
      if byte == UInt8(ascii: "%"), utf8.count >= 2,
        let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(value)
        utf8 = utf8.dropFirst(2)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Runs a storage call, turning its error into a `DeltaLogError` naming `version` and `key`; an object
  /// that vanished after being listed or stat'ed is reported as `missing`.
  private func wrap<T>(
    _ version: Int64?, _ key: String, missing: DeltaLogError.Kind = .versionGap,
    hint: String? = nil,
    _ body: () throws(StorageError) -> T
  ) throws(DeltaLogError) -> T {
    do {
      return try body()
    } catch {
      if error.code == .notFound {
        throw DeltaLogError(
          missing, version: version, path: key,
          "the object disappeared while being read (\(error.message))",
          hint: "another process is deleting files of the table; check its maintenance jobs")
      }
      throw DeltaLogError(
        .storageFailure, version: version, path: key, error.description, hint: hint)
    }
  }
}
