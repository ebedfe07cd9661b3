import DeltaLog
import FoundationEssentials
import PondCrypto
import PondFiles
import PondSQLite
import TinyFS

/// Where one oplog row is and what it says, without its content.
struct IndexedRow: Sendable {
  var record: NodeRecord
  /// SHA-256 (hex) of the row's bytes (inline content or blob).
  var sha256: String
  /// True when the bytes are in `_large_files`, false when inline in the data file.
  var isBlob: Bool
  /// The row's position in its transaction's data file.
  var rowIndex: Int
  /// What a table version holds (rows, schema, time range), when the row is one.
  var table: TableInfo?
}

/// One Delta version as the index remembers it.
struct IndexedCommit: Sendable, Equatable {
  /// `commitInfo.timestamp`, ms since the epoch.
  var timestamp: Int64
  /// SHA-256 of the commit file's bytes.
  var sha256: SHA256Digest
  /// The data file it added (relative to `data/`), if any.
  var dataFile: String?
  /// The command line that made it (`operationParameters.command`), or the Delta operation.
  var command: String
}

extension IndexedCommit {
  /// What the index remembers of `commit`.
  init(_ commit: CommitFile) {
    let info = commit.info
    self.init(
      timestamp: info?.timestamp ?? 0, sha256: commit.sha256, dataFile: commit.adds.first?.path,
      command: info?.operationParameters["command"] ?? info?.operation ?? "")
  }

  /// This commit, at `version`, as the head the next commit chains onto.
  func head(version: Int64) -> CommitHead {
    CommitHead(version: version, sha256: sha256, timestamp: timestamp)
  }
}

/// A derived index of the log in `$POND/local/index.sqlite`: every node's row history (metadata only), the
/// latest listing of every directory, and every commit, in an SQLite database.
///
/// Opening a pond reads a few pages of it, not the history: memory and open time do not grow with the number
/// of versions or rows (SQLite keeps a bounded page cache). It is never trusted over the log: at open, the
/// commit file at the index's head must still hash to what the index recorded, or the index is rebuilt from
/// the log; commits newer than the index are applied from the log (a process killed between its commit and
/// its index update, or another writer). Writers add their own commit right after it lands.
///
/// Every read names the version it reads at, so a reader keeps seeing the version it opened even while a writer
/// adds newer rows. Readers that find the index behind the log bring it up to date themselves (SQLite
/// serializes them); when `local/` cannot be written (a read-only medium), the index is built in a temporary
/// file that is deleted on exit.
///
/// Not `Sendable`: owned by one `OplogPersistence`.
final class PondIndex {
  /// The database's `user_version`: bumped whenever the tables change, which rebuilds older indexes.
  static let formatVersion: Int64 = 4
  static let fileName = "index.sqlite"

  /// Where the index lives, for `pond status`.
  let location: String
  /// True when the index was built from the whole log at open (missing, stale, corrupt or temporary).
  let wasRebuilt: Bool
  /// The latest version this process sees: the head at open, advanced by this process's own commits.
  private(set) var head: Int64
  /// The head commit's hash and time, which the next commit chains onto.
  private(set) var headCommit: IndexedCommit

  private let database: SQLiteDatabase
  private let log: PondLog
  /// A shared `flock` on `local/index.lock`, held while the database is open: deleting a damaged database
  /// (with its `-wal` and `-shm`) needs it exclusively, so that no process has those files open then.
  private let useLock: FileLock?

  /// Opens the index of the pond at `pondRoot`, creating, updating or rebuilding it as needed.
  init(pondRoot: String, log: PondLog) throws {
    self.log = log
    let local = pondRoot + "/" + PondLayout.localDirectory
    let path = local + "/" + Self.fileName
    // `local/` is this replica's own, rebuildable state: a reader may create it (best effort; a read-only
    // medium makes the index read in place or temporary below). The index of format 2 (one file read whole
    // at open) is replaced by this one.
    _ = try? LocalFiles.makeDirectory(local)
    try? LocalFiles.remove(local + "/index")
    // Nil when the lock file can be neither opened nor created (a read-only medium without one, where
    // nothing can delete the database either).
    let useLock = try? FileLock(at: local + "/index.lock", allowingReadOnly: true)
    try? useLock?.lock(.shared)
    var attempt: (SQLiteDatabase, Int64, Bool)?
    var location = "local/" + Self.fileName
    var unusable: String?
    do {
      attempt = try Self.open(path: path, log: log)
      // An up-to-date index with pages in its WAL opens in place on a read-only medium too.
      if LocalFiles.isOnReadOnlyFileSystem(local) { location += " (read-only medium)" }
    } catch let error as SQLiteError {
      if LocalFiles.isOnReadOnlyFileSystem(local) {
        // Nothing can change the file on a read-only medium, so it may be read without locks.
        attempt = try? Self.openUnchanged(path: path, log: log)
        if attempt != nil { location += " (read-only medium)" }
        unusable = "\(local) is on a read-only medium and holds no up-to-date index"
      } else if error.isBusy {
        unusable = "\(path) is busy: \(error.message)"
      } else if let useLock, (try? useLock.tryLock(.exclusive)) == true {
        // No other process has the database open: its files may go.
        Self.remove(path)
        try? useLock.lock(.shared)
        // Damaged (not a database, a table missing, ...): it is only derived, so it is made again.
        do {
          attempt = try Self.open(path: path, log: log)
        } catch let error as SQLiteError {
          unusable = "\(path) could not be rebuilt: \(error.message)"
        }
      } else {
        unusable =
          "\(path) is damaged (\(error.message)) and in use by another process; it is rebuilt once "
          + "none uses it"
      }
    }
    if attempt == nil {
      location = "a temporary file (\(unusable ?? path))"
      do {
        attempt = try Self.open(path: nil, log: log)
      } catch let error as SQLiteError {
        throw PondError(
          .io, path: path, "cannot build the local index, even in a temporary file: \(error)",
          hint: "check free space and permissions of \(local) and of TMPDIR")
      }
    }
    let (database, head, rebuilt) = attempt!
    self.database = database
    self.location = location
    self.useLock = useLock
    self.head = head
    self.wasRebuilt = rebuilt || database.path == "(temporary)"
    guard let commit = try Self.commit(head, in: database) else {
      throw PondError(
        .corrupt, path: location, "the local index has no commit row for its head version \(head)",
        hint: "delete \(path) to rebuild it from the log")
    }
    headCommit = commit
  }

  // MARK: Reads

  /// The latest row of `id` at or before version `at`.
  func row(of id: NodeID, at version: Int64) throws -> IndexedRow? {
    try database.firstRow(
      "SELECT \(Self.rowColumns) FROM rows WHERE node = ?1 AND txn <= ?2 ORDER BY txn DESC LIMIT 1",
      [.blob(id.bytes), .integer(version)]
    ) { try Self.indexedRow(id, $0) }
  }

  /// The rows of `id` written by versions after `after` (all when nil) up to `version`, oldest first.
  func forEachRow(
    of id: NodeID, after: Int64? = nil, upTo version: Int64, _ body: (IndexedRow) throws -> Void
  ) throws {
    try database.query(
      "SELECT \(Self.rowColumns) FROM rows WHERE node = ?1 AND txn > ?2 AND txn <= ?3 ORDER BY txn",
      [.blob(id.bytes), .integer(after ?? -1), .integer(version)]
    ) { row in
      try body(try Self.indexedRow(id, row))
      return true
    }
  }

  /// The version of the newest row of `id` at or before `version` whose type is not `type`; nil when none.
  func lastVersion(of id: NodeID, notOfType type: EntryType, upTo version: Int64) throws -> Int64? {
    try database.firstRow(
      "SELECT max(txn) FROM rows WHERE node = ?1 AND txn <= ?2 AND type != ?3",
      [.blob(id.bytes), .integer(version), .integer(Int64(DirectoryListing.code(type)))]
    ) { $0.isNull(0) ? nil : $0.integer(0) } ?? nil
  }

  /// True when some row of the log up to the head records a table.
  func hasTableRows() throws -> Bool {
    try database.firstRow(
      "SELECT 1 FROM rows WHERE table_rows IS NOT NULL AND txn <= ?1 LIMIT 1", [.integer(head)]
    ) { _ in true } ?? false
  }

  /// The encoded listing of directory `id` as written by version `version`, when that is its latest listing.
  func latestListing(of id: NodeID, writtenBy version: Int64) throws -> [UInt8]? {
    try database.firstRow(
      "SELECT listing FROM listings WHERE node = ?1 AND txn = ?2",
      [.blob(id.bytes), .integer(version)]
    ) { $0.blob(0) }
  }

  /// Commit `version`, which must be at most `head`.
  func commit(_ version: Int64) throws -> IndexedCommit {
    precondition(version >= 0 && version <= head, "commit \(version) outside 0...\(head)")
    guard let commit = try Self.commit(version, in: database) else {
      throw PondError(
        .corrupt, path: location, "the local index has no commit \(version)",
        hint: "delete \(location) to rebuild it, then run 'pond fsck'")
    }
    return commit
  }

  /// Calls `body` with each commit from `first` to `last`, in order.
  func forEachCommit(
    from first: Int64, through last: Int64, _ body: (Int64, IndexedCommit) throws -> Void
  ) throws {
    try database.query(
      "SELECT version, timestamp, sha256, data_file, command FROM commits"
        + " WHERE version >= ?1 AND version <= ?2 ORDER BY version",
      [.integer(first), .integer(last)]
    ) { row in
      try body(row.integer(0), try Self.indexedCommit(row, from: 1))
      return true
    }
  }

  /// The latest version committed at or before `milliseconds` (commit times only grow with the version in a
  /// pond's log); nil when the first commit is later.
  func version(committedAtOrBefore milliseconds: Int64) throws -> Int64? {
    try database.firstRow(
      "SELECT version FROM commits WHERE timestamp <= ?1 AND version <= ?2"
        + " ORDER BY timestamp DESC, version DESC LIMIT 1",
      [.integer(milliseconds), .integer(head)]
    ) { $0.integer(0) }
  }

  // MARK: Writes

  /// Records version `version`, which this process has just committed to the log with `rows`.
  ///
  /// Another process may already have applied it from the log (it is then left as it is), or the index may lag
  /// behind the log (the missing versions are applied from the log first).
  func add(version: Int64, rows: [OplogRow], commit: IndexedCommit) throws {
    precondition(version == head + 1, "version \(version) does not follow \(head)")
    try database.writeTransaction {
      var known = try Self.headVersion(in: database) ?? -1
      while known + 1 < version {
        known += 1
        try Self.apply(known, log: log, to: database)
      }
      if known < version { try Self.insert(version: version, rows: rows, commit: commit, database) }
    }
    head = version
    headCommit = commit
  }

  // MARK: Opening

  private static let rowColumns =
    "parent, version, type, txn, timestamp, size, sha256, is_blob, row_index,"
    + " table_rows, table_schema, time_column, time_min, time_max"

  private static let schema = """
    CREATE TABLE IF NOT EXISTS commits(
      version INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL, sha256 TEXT NOT NULL,
      data_file TEXT, command TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS commits_by_time ON commits(timestamp, version);
    CREATE TABLE IF NOT EXISTS rows(
      node BLOB NOT NULL, txn INTEGER NOT NULL, parent BLOB NOT NULL, version INTEGER NOT NULL,
      type INTEGER NOT NULL, timestamp INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
      is_blob INTEGER NOT NULL, row_index INTEGER NOT NULL,
      table_rows INTEGER, table_schema TEXT, time_column TEXT, time_min INTEGER, time_max INTEGER,
      PRIMARY KEY (node, txn)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS rows_with_tables ON rows(txn) WHERE table_rows IS NOT NULL;
    CREATE TABLE IF NOT EXISTS listings(
      node BLOB PRIMARY KEY, txn INTEGER NOT NULL, listing BLOB NOT NULL) WITHOUT ROWID;
    """

  /// Opens the database at `path` (a temporary one when nil) and brings it up to the log's head.
  /// Returns the database, its head and whether it was rebuilt from the whole log.
  private static func open(path: String?, log: PondLog) throws -> (SQLiteDatabase, Int64, Bool) {
    let database = try SQLiteDatabase(
      path: path ?? "", mode: path == nil ? .temporary : .readWriteCreate)
    // WAL: readers never wait for a writer. NORMAL: no fsync per commit; a power cut can lose the last
    // updates, which the next open re-applies from the log.
    // No checkpoint at close, which would cost every command four fsyncs (the new WAL, `local/`, the WAL
    // and the database), until the WAL holds 1 MiB (about 28 commits): the next connection reads it
    // meanwhile. Only a checkpoint writes the database, after syncing the WAL, so a power cut still loses
    // at most updates the log holds.
    // wal_autocheckpoint above that bound (1,000 pages, about 4 MiB): a short-lived command never
    // checkpoints at its commit (three more syncs: the WAL, `local/`, the database), only one that writes
    // that much, or a long-lived connection.
    // journal_size_limit: the WAL, which grows to the index's size during a rebuild, is cut back after
    // each checkpoint instead of staying that large.
    database.leaveWALOnClose(upTo: 1 << 20)
    try database.execute(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192;"
        + " PRAGMA wal_autocheckpoint = 1000; PRAGMA journal_size_limit = 16777216;")
    if try userVersion(database) != formatVersion {
      try database.writeTransaction {
        // Checked again under the write lock: another process may have just created the tables (and
        // started using them), which must not be dropped.
        guard try userVersion(database) != formatVersion else { return }
        try database.execute(
          "DROP TABLE IF EXISTS rows; DROP TABLE IF EXISTS listings; DROP TABLE IF EXISTS commits;"
            + schema + "PRAGMA user_version = \(formatVersion);")
      }
    }
    if let head = try validHead(database, log: log) {
      guard try log.commitExists(head + 1) else { return (database, head, false) }
      let latest = try database.writeTransaction {
        try applyNewCommits(database, log: log, after: try headVersion(in: database) ?? -1)
      }
      return (database, latest, false)
    }
    // Listing the log (rather than probing for the next commit) also finds a missing version 0 or a gap.
    let listed = try log.latestVersion()
    let result = try database.writeTransaction {
      // Another process may have rebuilt it while this one waited for the write lock.
      if let head = try validHead(database, log: log) {
        return (database, try applyNewCommits(database, log: log, after: head), false)
      }
      try database.execute("DELETE FROM rows; DELETE FROM listings; DELETE FROM commits;")
      for version in 0...listed { try apply(version, log: log, to: database) }
      return (database, try applyNewCommits(database, log: log, after: listed), true)
    }
    // The rebuild went through the WAL: copy it into the database now and cut the WAL back.
    if result.2 { try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    return result
  }

  /// Opens the database at `path` without writing anything; fails unless it is of this format and up to date.
  private static func openUnchanged(path: String, log: PondLog) throws -> (
    SQLiteDatabase, Int64, Bool
  )? {
    // An immutable connection ignores the `-wal` file: only a database with nothing in it is read this way.
    guard try LocalFiles.status(path) != nil, (try LocalFiles.status(path + "-wal")?.size ?? 0) == 0
    else { return nil }
    let database = try SQLiteDatabase(path: path, mode: .immutable)
    guard try userVersion(database) == formatVersion, let head = try validHead(database, log: log),
      try !log.commitExists(head + 1)
    else { return nil }
    return (database, head, false)
  }

  /// The index's head version when the log's commit there still hashes as recorded; nil when the index is
  /// empty or describes another history.
  private static func validHead(_ database: SQLiteDatabase, log: PondLog) throws -> Int64? {
    guard let head = try headVersion(in: database), let commit = try commit(head, in: database),
      try log.commitExists(head)
    else { return nil }
    return try log.digest(ofCommit: head) == commit.sha256 ? head : nil
  }

  /// Applies every commit of the log after `after`, in order; returns the new head.
  private static func applyNewCommits(_ database: SQLiteDatabase, log: PondLog, after: Int64)
    throws -> Int64
  {
    var version = after
    while try log.commitExists(version + 1) {
      version += 1
      try apply(version, log: log, to: database)
    }
    guard version >= 0 else {
      _ = try log.latestVersion()  // names what is wrong with an empty or broken log
      throw PondError(.notAPond, path: log.dataRoot, "the log has no version 0")
    }
    return version
  }

  private static func apply(_ version: Int64, log: PondLog, to database: SQLiteDatabase) throws {
    var previous: CommitHead?
    if version > 0 {
      // The index is derived: a hole in it is damage to report, not a bug.
      guard let row = try commit(version - 1, in: database) else {
        throw PondError(
          .corrupt, path: "local/" + fileName, "the local index has no commit \(version - 1)",
          hint: "delete local/\(fileName) to rebuild it from the log")
      }
      previous = row.head(version: version - 1)
    }
    let (rows, commit) = try log.read(version, onto: previous)
    try insert(version: version, rows: rows, commit: IndexedCommit(commit), database)
  }

  private static func insert(
    version: Int64, rows: [OplogRow], commit: IndexedCommit, _ database: SQLiteDatabase
  ) throws {
    for (position, row) in rows.enumerated() {
      try database.run(
        "INSERT INTO rows(node, txn, parent, version, type, timestamp, size, sha256, is_blob, row_index,"
          + " table_rows, table_schema, time_column, time_min, time_max)"
          + " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        [
          .blob(row.nodeID.bytes), .integer(version), .blob(row.partID.bytes),
          .integer(row.version), .integer(Int64(DirectoryListing.code(row.entryType))),
          .integer(row.timestamp), .integer(max(row.size, 0)), .text(row.sha256),
          .integer(row.blob == nil ? 0 : 1), .integer(Int64(position)),
          row.table.map { .integer($0.rows) } ?? .null, row.table.map { .text($0.schema) } ?? .null,
          row.table?.timeColumn.map { .text($0) } ?? .null,
          row.table?.timeRange.map { .integer($0.lowerBound) } ?? .null,
          row.table?.timeRange.map { .integer($0.upperBound) } ?? .null,
        ])
      if row.entryType == .directory, let content = row.content {
        try database.run(
          "INSERT INTO listings(node, txn, listing) VALUES (?1, ?2, ?3)"
            + " ON CONFLICT(node) DO UPDATE SET txn = excluded.txn, listing = excluded.listing",
          [.blob(row.nodeID.bytes), .integer(version), .blob(content)])
      }
    }
    try database.run(
      "INSERT INTO commits(version, timestamp, sha256, data_file, command) VALUES (?1, ?2, ?3, ?4, ?5)",
      [
        .integer(version), .integer(commit.timestamp), .text(commit.sha256.hex),
        commit.dataFile.map { .text($0) } ?? .null, .text(commit.command),
      ])
  }

  /// The index format the database was made with (0 for a new, empty file).
  static func userVersion(_ database: SQLiteDatabase) throws -> Int64 {
    try database.firstRow("PRAGMA user_version") { $0.integer(0) } ?? 0
  }

  static func headVersion(in database: SQLiteDatabase) throws -> Int64? {
    try database.firstRow("SELECT max(version) FROM commits") {
      $0.isNull(0) ? nil : $0.integer(0)
    } ?? nil
  }

  static func commit(_ version: Int64, in database: SQLiteDatabase) throws -> IndexedCommit? {
    try database.firstRow(
      "SELECT timestamp, sha256, data_file, command FROM commits WHERE version = ?1",
      [.integer(version)]
    ) { try indexedCommit($0, from: 0) }
  }

  private static func indexedCommit(_ row: SQLiteRow, from column: Int32) throws -> IndexedCommit {
    guard let sha256 = SHA256Digest(hex: row.text(column + 1)) else {
      throw PondError(
        .corrupt, path: "local/" + fileName, "a commit's sha256 is not readable",
        hint: "delete local/\(fileName) to rebuild it from the log")
    }
    return IndexedCommit(
      timestamp: row.integer(column), sha256: sha256,
      dataFile: row.isNull(column + 2) ? nil : row.text(column + 2), command: row.text(column + 3))
  }

  private static func indexedRow(_ id: NodeID, _ row: SQLiteRow) throws -> IndexedRow {
    let code = row.integer(2)
    guard let parent = NodeID(bytes: row.blob(0)), (1...255).contains(code),
      let type = DirectoryListing.type(UInt8(code)), row.integer(1) >= 1, row.integer(5) >= 0,
      row.integer(8) >= 0
    else {
      throw PondError(
        .corrupt, path: "local/" + fileName, "a row of node \(id) is not readable",
        hint: "delete local/\(fileName) to rebuild it from the log")
    }
    let record = NodeRecord(
      id: id, parentID: parent, version: UInt64(max(row.integer(1), 0)), entryType: type,
      transaction: TransactionID(rawValue: row.integer(3)), timestamp: row.integer(4),
      size: UInt64(max(row.integer(5), 0)))
    return IndexedRow(
      record: record, sha256: row.text(6), isBlob: row.integer(7) != 0,
      rowIndex: Int(row.integer(8)), table: tableInfo(row, from: 9))
  }

  /// The columns `table_rows, table_schema, time_column, time_min, time_max` of `row`, from `column` on.
  static func tableInfo(_ row: SQLiteRow, from column: Int32) -> TableInfo? {
    guard !row.isNull(column) else { return nil }
    let low = column + 3
    return TableInfo(
      rows: row.integer(column), schema: row.text(column + 1),
      timeColumn: row.isNull(column + 2) ? nil : row.text(column + 2),
      timeRange: row.isNull(low) || row.isNull(low + 1)
        ? nil : row.integer(low)...max(row.integer(low), row.integer(low + 1)))
  }

  private static func remove(_ path: String) {
    for suffix in ["", "-wal", "-shm", "-journal"] { try? LocalFiles.remove(path + suffix) }
  }
}
