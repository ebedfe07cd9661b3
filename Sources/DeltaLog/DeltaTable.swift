public import FoundationEssentials
public import PondCrypto
import PondFiles
public import PondTime

/// The outcome of writing a commit: losing the race for a version is a result, not an error.
public enum CommitResult: Sendable, Equatable {
  /// The commit is now version `version`; `sha256` is its file's hash (the next commit's chain link).
  case committed(version: Int64, sha256: SHA256Digest)
  /// Another writer committed `version` first; re-read the table and retry on top of it.
  case versionTaken(Int64)
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

  /// A page size that holds a whole log's listing.
  public static let wholeListing = Int(Int32.max)

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

  // MARK: - Reading the log

  /// The latest version, after checking that the log holds versions 0...latest with no gap.
  public func latestVersion() throws(DeltaLogError) -> Int64 {
    // One page: a local listing reads (and sorts) the whole directory for every page it returns.
    let page = try wrap(nil, Self.logPrefix) { () throws(FileIOError) in
      try storage.list(
        prefix: Self.logPrefix, startAfter: nil, limit: Self.wholeListing, recursive: false)
    }
    precondition(!page.isTruncated, "a log of over \(Self.wholeListing) commit files")
    return try LogListing.head(of: page.entries.lazy.map(\.key))
  }

  /// Commit file `version`, read and parsed (not checked against its predecessor).
  public func commit(_ version: Int64) throws(DeltaLogError) -> CommitFile {
    try CommitFile(parsing: try commitBytes(version), version: version)
  }

  /// The bytes of commit file `version`, as stored (what its successor's chain link hashes).
  public func commitBytes(_ version: Int64) throws(DeltaLogError) -> [UInt8] {
    let key = Self.commitKey(version: version)
    return try wrap(version, key) { () throws(FileIOError) in try storage.read(key) }
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
  func resolve(_ version: Int64?) throws(DeltaLogError) -> Int64 {
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
    timestamp: Int64 = UTCMilliseconds.now().rawValue
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
    metadata newMetadata: TableMetadata? = nil, timestamp: Int64 = UTCMilliseconds.now().rawValue
  ) throws(DeltaLogError) -> CommitResult {
    try write(
      CommitFile.next(
        on: snapshot, adds: adds, removing: removedPaths, operation: operation,
        operationParameters: operationParameters, metadata: newMetadata, timestamp: timestamp))
  }

  /// Appends `adds` as the next version, re-reading the table and retrying when another writer wins.
  ///
  /// A blind append cannot conflict with other commits, so retrying on top of theirs is safe.
  public func append(
    _ adds: [AddFile], operation: String = "WRITE", maximumAttempts: Int = 16
  ) throws(DeltaLogError) -> (version: Int64, sha256: SHA256Digest) {
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
    ) { () throws(FileIOError) in
      try storage.putIfAbsent(
        commit.key, bytes: commit.bytes, modificationTime: commit.info?.timestamp)
    }
    switch result {
    case .created: return .committed(version: version, sha256: commit.sha256)
    case .alreadyExists: return .versionTaken(version)
    }
  }

  /// Runs a storage call, turning its error into a `DeltaLogError` naming `version` and `key`; an object
  /// that vanished after being listed or stat'ed is reported as `missing`.
  func wrap<T>(
    _ version: Int64?, _ key: String, missing: DeltaLogError.Kind = .versionGap,
    hint: String? = nil,
    _ body: () throws(FileIOError) -> T
  ) throws(DeltaLogError) -> T {
    do {
      return try body()
    } catch {
      if error.errno == .noSuchFileOrDirectory {
        throw DeltaLogError(
          missing, version: version, path: key,
          "the object disappeared while being read (\(error))",
          hint: "another process is deleting files of the table; check its maintenance jobs")
      }
      var failure = DeltaLogError(
        .storageFailure, version: version, path: key, error.description, hint: hint)
      failure.errno = error.errno
      throw failure
    }
  }
}
