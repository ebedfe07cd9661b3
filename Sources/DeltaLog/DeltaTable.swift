public import PondCrypto
import PondFiles

/// The outcome of writing a commit: losing the race for a version is a result, not an error.
public enum CommitResult: Sendable, Equatable {
  /// The commit is now version `version`; `sha256` is its file's hash (the next commit's chain link).
  case committed(version: Int64, sha256: SHA256Digest)
  /// Another writer committed `version` first; re-read the table and retry on top of it.
  case versionTaken(Int64)
}

/// A Delta table on a `Storage`: its head, its commits read one at a time, and new commits written with
/// put-if-absent.
///
/// A thin synchronous driver: what a valid commit is (parsing, the hash chain, the commit-time rule, building
/// the next commit, the head of a listing) is `CommitFile`'s and `LogListing`'s; this type reads and writes
/// their bytes. It keeps no table state: a reader walks the versions it needs, one commit at a time.
///
/// All methods block on storage I/O; call them off Swift's cooperative pool from async code.
public struct DeltaTable: Sendable {
  public let storage: any Storage

  /// A page size that holds a whole log's listing.
  public static let wholeListing = Int(Int32.max)

  /// The log directory's key prefix.
  public static let logPrefix = "_delta_log/"
  /// The `engineInfo` pond writes into `commitInfo`.
  public static let engineInfo = "pond/0.1"

  public init(storage: any Storage) {
    self.storage = storage
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

  // MARK: - Writing

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
  /// that vanished after being listed is reported as a version gap.
  private func wrap<T>(
    _ version: Int64?, _ key: String, hint: String? = nil, _ body: () throws(FileIOError) -> T
  ) throws(DeltaLogError) -> T {
    do {
      return try body()
    } catch {
      if error.errno == .noSuchFileOrDirectory {
        throw DeltaLogError(
          .versionGap, version: version, path: key,
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
