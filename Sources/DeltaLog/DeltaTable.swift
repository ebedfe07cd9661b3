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
/// A thin synchronous driver: what a valid commit is (parsing, the hash chain, the commit-time rule, building
/// the next commit, the head of a listing) is `CommitFile`'s and `LogListing`'s; this type reads and writes
/// their bytes. Replays read one commit at a time, so memory does not grow with the number of versions.
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

  /// The current time in ms since the epoch.
  public static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

  // MARK: - Reading the log

  /// The latest version, after checking that the log holds versions 0...latest with no gap.
  public func latestVersion() throws(DeltaLogError) -> Int64 {
    let entries = try wrap(nil, Self.logPrefix) { () throws(StorageError) in
      try storage.list(prefix: Self.logPrefix)
    }
    return try LogListing.head(of: entries.lazy.map(\.key))
  }

  /// Commit file `version`, read and parsed (not checked against its predecessor).
  public func commit(_ version: Int64) throws(DeltaLogError) -> CommitFile {
    let key = Self.commitKey(version: version)
    let bytes = try wrap(version, key) { () throws(StorageError) in try storage.read(key) }
    return try CommitFile(parsing: bytes, version: version)
  }

  /// Calls `body` with each commit from `first` through `last`, in order, each checked onto its predecessor
  /// (when `requireHashChain`); `previous` is the head of version `first - 1` (nil when `first` is 0). Reads
  /// one commit at a time: memory does not grow with the number of versions.
  public func forEachCommit(
    from first: Int64, through last: Int64, onto previous: CommitHead?,
    _ body: (CommitFile) throws(DeltaLogError) -> Void
  ) throws(DeltaLogError) {
    var previous = previous
    guard first <= last else { return }
    for version in first...last {
      let commit = try commit(version)
      if requireHashChain { try commit.checkChain(onto: previous) }
      try body(commit)
      previous = commit.head
    }
  }

  // MARK: - Replay

  /// The table at `version` (the latest when nil), from replaying commits 0...version one at a time.
  public func snapshot(at version: Int64? = nil) throws(DeltaLogError) -> DeltaSnapshot {
    let target = try resolve(version)
    var state: DeltaSnapshot?
    try forEachCommit(from: 0, through: target, onto: nil) { commit throws(DeltaLogError) in
      state = try Self.apply(commit, to: state)
    }
    return state!
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
    var state = snapshot
    try forEachCommit(from: snapshot.version + 1, through: target, onto: snapshot.head) {
      commit throws(DeltaLogError) in
      state = try Self.apply(commit, to: state)
    }
    return state
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

  /// `state` (nil before version 0) with `commit` applied.
  private static func apply(_ commit: CommitFile, to state: DeltaSnapshot?) throws(DeltaLogError)
    -> DeltaSnapshot
  {
    // Version 0 always has protocol and metadata (`CommitFile(parsing:version:)` checks it).
    var next =
      state
      ?? DeltaSnapshot(
        head: commit.head, protocol: commit.tableProtocol!, metadata: commit.metadata!,
        liveFiles: [:])
    next.head = commit.head
    if let value = commit.tableProtocol { next.protocol = value }
    if let value = commit.metadata { next.metadata = value }
    for remove in commit.removes { next.liveFiles[remove.path] = nil }
    for add in commit.adds { next.liveFiles[add.path] = add }
    return next
  }

  /// The latest version whose `commitInfo.timestamp` is at most `timestamp` (ms since the epoch), reading
  /// one commit at a time.
  ///
  /// Throws `.timestampOutOfRange` when `timestamp` is before version 0, or a commit has no commitInfo.
  public func version(asOf timestamp: Int64) throws(DeltaLogError) -> Int64 {
    var found: Int64?
    var first: Int64 = 0
    try forEachCommit(from: 0, through: try latestVersion(), onto: nil) {
      commit throws(DeltaLogError) in
      guard let time = commit.info?.timestamp else {
        throw DeltaLogError(
          .timestampOutOfRange, version: commit.version, path: commit.key,
          "the commit has no commitInfo.timestamp",
          hint: "resolve this table by version instead of by time")
      }
      if commit.version == 0 { first = time }
      if time <= timestamp { found = commit.version }
    }
    guard let found else {
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
    try write(
      CommitFile.first(
        schema: schema, configuration: configuration, id: id, adds: adds, timestamp: timestamp))
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
    if let newMetadata, newMetadata.id != snapshot.metadata.id {
      throw DeltaLogError(
        .invalidArgument, version: snapshot.version,
        "a new metaData must keep the table id \(snapshot.metadata.id) and have no partition columns"
      )
    }
    for add in adds where snapshot.liveFiles[add.path] != nil {
      throw DeltaLogError(
        .invalidArgument, path: add.path,
        "the path is live at version \(snapshot.version); data files are never overwritten",
        hint: "give every data file a new unique name")
    }
    var removes: [RemoveFile] = []
    for path in removedPaths {
      guard let live = snapshot.liveFiles[path] else {
        throw DeltaLogError(
          .invalidArgument, path: path,
          "the path is not live at version \(snapshot.version), so it cannot be removed")
      }
      removes.append(RemoveFile(path: path, deletionTimestamp: nil, size: live.size))
    }
    return try write(
      CommitFile.next(
        after: snapshot.head, adds: adds, removes: removes, operation: operation,
        operationParameters: operationParameters, metadata: newMetadata, timestamp: timestamp))
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

  /// Checks that `path` is a data file path pond writes: relative, `/`-separated names of `[A-Za-z0-9._-]`,
  /// none starting with `_` or `.` (those are the log's and temporary files').
  static func checkDataPath(_ path: String) throws(DeltaLogError) {
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    let valid = components.allSatisfy { component in
      guard let first = component.utf8.first, first != UInt8(ascii: "_"), first != UInt8(ascii: ".")
      else { return false }
      return component.utf8.allSatisfy {
        ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
          || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
      }
    }
    guard valid else {
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

  /// Writes `commit` with put-if-absent, its file's modification time set to the commit's time.
  ///
  /// - Returns: `.versionTaken` when a commit file of that version exists (with any bytes).
  public func write(_ commit: CommitFile) throws(DeltaLogError) -> CommitResult {
    let version = commit.version
    let result = try wrap(
      version, commit.key,
      hint:
        "no partial commit is left (only a failed fsync of the log directory can leave version "
        + "\(version) whole but not yet durable); free space or fix the table directory's permissions, "
        + "then re-read the table and commit again"
    ) { () throws(StorageError) in
      try storage.writeIfAbsent(commit.key, commit.bytes, modificationTime: commit.info?.timestamp)
    }
    switch result {
    case .written: return .committed(version: version, sha256: commit.sha256)
    case .alreadyExists: return .versionTaken(version)
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
    var report = DataFileReport(
      verified: DataFileVerification(filesChecked: 0, bytesChecked: 0), problems: [])
    func check(_ add: AddFile, addedIn: Int64) {
      do {
        report.verified.bytesChecked += try self.check(add, addedIn: addedIn)
        report.verified.filesChecked += 1
      } catch {
        report.problems.append(error)
      }
    }
    // One commit at a time: every added file is checked as its commit is read, or (live only) the live
    // files with the version that added them are kept until the end.
    var live: [String: (add: AddFile, version: Int64)] = [:]
    try forEachCommit(from: 0, through: try resolve(version), onto: nil) { commit in
      for remove in commit.removes { live[remove.path] = nil }
      for add in commit.adds {
        if liveOnly {
          live[add.path] = (add, commit.version)
        } else {
          check(add, addedIn: commit.version)
        }
      }
    }
    for (add, addedIn) in live.values { check(add, addedIn: addedIn) }
    report.problems.sort { ($0.path ?? "") < ($1.path ?? "") }
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
