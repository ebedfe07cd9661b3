import DeltaLog
import PondCrypto
import PondFiles

/// The pond's Delta log in `$POND/data`, through DeltaLog: `table` writes every commit (`DeltaTable.write`), and
/// `read` checks each commit onto its predecessor (`CommitFile.checkChain`) and its data file against its add.
struct PondLog {
  let dataRoot: String
  let storage: DirectoryStore
  let table: DeltaTable

  init(dataRoot: String) {
    self.dataRoot = dataRoot
    storage = DirectoryStore(root: dataRoot)
    table = DeltaTable(storage: storage)
  }

  /// The latest version in the log, by listing it (only a rebuild and `fsck` need this). Throws when the log
  /// is empty, does not start at version 0 or has a gap.
  func latestVersion() throws -> Int64 {
    do {
      return try table.latestVersion()
    } catch {
      if error.kind == .tableNotFound {
        throw PondError(
          .notAPond, path: dataRoot, "no pond here (no commits in data/_delta_log)",
          hint: "create one with 'pond init', or pass the right --pond / POND")
      }
      throw PondError(
        .corrupt, path: dataRoot, "the log is incomplete or cannot be listed: \(error)",
        hint: "restore the missing commits from a replica")
    }
  }

  /// The highest version whose commit file is in the log, whatever is missing below it; -1 when none.
  func highestListedVersion() -> Int64 {
    let page = try? storage.list(
      prefix: DeltaTable.logPrefix, startAfter: nil, limit: DeltaTable.wholeListing,
      recursive: false)
    return page?.entries.compactMap { LogListing.version(ofKey: $0.key) }.max() ?? -1
  }

  /// True when the commit file of `version` exists.
  func commitExists(_ version: Int64) throws -> Bool {
    let key = DeltaTable.commitKey(version: version)
    do {
      return try storage.status(key) != nil
    } catch {
      throw HostIO.failure(error)
    }
  }

  /// Commit `version`, read and parsed.
  func commit(_ version: Int64) throws -> CommitFile {
    do {
      return try table.commit(version)
    } catch {
      throw Self.failure(error, version: version)
    }
  }

  /// The SHA-256 of commit `version`'s bytes, without parsing them (what the index checks at every open).
  func digest(ofCommit version: Int64) throws -> SHA256Digest {
    do {
      return SHA256Digest(hashing: try table.commitBytes(version))
    } catch {
      throw Self.failure(error, version: version)
    }
  }

  private static func failure(_ error: DeltaLogError, version: Int64) -> PondError {
    let path = "data/" + DeltaTable.commitKey(version: version)
    if error.kind == .storageFailure || error.kind == .versionGap {
      return PondError(
        .corrupt, path: path, "cannot read the commit: \(error)", hint: "run 'pond fsck'")
    }
    return PondError(
      .corrupt, path: path, "the commit is not valid: \(error)",
      hint: "run 'pond fsck'; restore the log from a replica")
  }

  /// Reads commit `version` and its data file's rows, checking that it chains onto `previous` (the head of
  /// version `version - 1`; nil for version 0), that version 0 is a pond of this format, and that the data
  /// file is the one its add names.
  func read(_ version: Int64, onto previous: CommitHead?) throws -> ([OplogRow], CommitFile) {
    let commit = try commit(version)
    do {
      try commit.checkChain(onto: previous)
    } catch {
      throw PondError(
        .corrupt, path: "data/" + commit.key,
        "the commit does not chain onto version \(version - 1) (hash chain broken)",
        hint: "run 'pond fsck'; the log was altered or diverged")
    }
    try PondStore.checkShape(of: commit)
    guard let add = commit.adds.first else { return ([], commit) }
    let rows = try rows(of: add, version: version)
    return (try Self.checkedRows(rows, key: "data/" + add.path, version: version), commit)
  }

  /// `rows`, read from data file `key` of `version`, once checked: every row belongs to `version`, and no
  /// node has two rows.
  static func checkedRows(_ rows: [OplogRow], key: String, version: Int64) throws -> [OplogRow] {
    guard rows.allSatisfy({ $0.transaction == version }) else {
      throw PondError(.corrupt, path: key, "rows of the data file name another txn than \(version)")
    }
    guard Set(rows.map(\.nodeID)).count == rows.count else {
      throw PondError(.corrupt, path: key, "the data file holds two rows of the same node")
    }
    return rows
  }

  /// The rows of the data file `add` names (added by `version`), read only once its bytes hash to the add's
  /// sha256 (when it has one): the index and `fsck` read what the log's hashes vouch for.
  func rows(of add: AddFile, version: Int64) throws -> [OplogRow] {
    let key = "data/" + add.path
    let digest: [UInt8]
    do {
      digest = try SHA256.hash(fileAt: dataRoot + "/" + add.path)
    } catch {
      throw PondError(
        .corrupt, path: key, "the data file of version \(version) cannot be read: \(error)",
        hint: "run 'pond fsck'; restore it from a replica")
    }
    guard add.sha256 == nil || add.sha256 == Hex.encode(digest) else {
      throw PondError(
        .corrupt, path: key,
        "the data file does not match the sha256 its commit (version \(version)) records",
        hint: "run 'pond fsck'; restore it from a replica")
    }
    return try Oplog.read(path: dataRoot + "/" + add.path, key: key)
  }

  /// Refuses a version 0 that is not a pond of this format: a pond of another format must not be read (or
  /// written) as if it were this one.
  static func checkFormat(of versionZero: CommitFile) throws {
    let format = versionZero.metadata?.configuration["pond.formatVersion"]
    guard format == PondStore.formatVersion else {
      throw PondError(
        .notAPond, path: "data/" + versionZero.key,
        format.map {
          "the pond has format \($0); this pond reads format \(PondStore.formatVersion)"
        }
          ?? "the Delta table was not made by pond (no pond.formatVersion in its metaData)",
        hint: format == nil ? "open it with a Delta reader" : "use a pond release that reads it")
    }
  }
}
