import DeltaLog
import FoundationEssentials
import Parquet
import PondCrypto
import PondFiles
import PondTime
public import TinyFS

/// `Persistence` on the Delta table in `$POND/data`: one transaction = one Delta version = one Parquet data
/// file of oplog rows + one commit file; large bodies in `data/_large_files/`.
///
/// Reads go through a `PondIndex` (loaded at open) and the data files it points to. Writes need the pond's
/// writer lock, which `PondStore` takes.
///
/// Not `Sendable`: confined to the task that owns its `FileSystem`, like every `Persistence`.
public final class OplogPersistence: Persistence {
  /// `$POND/data`.
  public let dataRoot: String
  /// `$POND`.
  let pondRoot: String
  let log: PondLog
  let largeFiles: LargeFiles
  let index: PondIndex
  let isWritable: Bool

  /// Recorded in each commit's `commitInfo.operationParameters.command`.
  public var commandLine = ""

  private var open: (id: TransactionID, timestamp: Int64)?
  private var openRows: [OplogRow] = []
  private var openTokens: Set<String> = []
  /// What the table versions of the open transaction hold, by node (`describeTable(_:as:)`).
  private var openTables: [NodeID: TableInfo] = [:]
  /// `hasTableColumns()`, once known.
  private var schemaHasTables: Bool?
  /// Set when a commit landed in the log but the index could not record it: this process's view is then
  /// behind the log, so every later call fails instead of answering from it.
  private var indexFailure: PondError?
  /// Decoded data files, by version, most recent last; bounded by `fileCacheLimit` content bytes.
  private var fileCache: [(version: Int64, rows: [OplogRow], bytes: Int)] = []
  private static let fileCacheLimit = 64 << 20

  init(pondRoot: String, writable: Bool) throws {
    self.pondRoot = pondRoot
    dataRoot = pondRoot + "/" + PondLayout.dataDirectory
    log = PondLog(dataRoot: dataRoot)
    largeFiles = LargeFiles(dataRoot: dataRoot)
    isWritable = writable
    index = try PondIndex(pondRoot: pondRoot, log: log)
  }

  /// True when the index was built from the whole log at open (missing, stale, corrupt, or temporary).
  public var indexWasRebuilt: Bool { index.wasRebuilt }

  // MARK: Persistence reads

  public var head: TransactionID? { TransactionID(rawValue: index.head) }

  /// The version a read at `transaction` sees (nil: the head this process sees).
  private func version(_ transaction: TransactionID?) throws -> Int64 {
    if let indexFailure { throw indexFailure }
    return transaction?.rawValue ?? index.head
  }

  public func node(_ id: NodeID, at transaction: TransactionID?) throws -> NodeRecord? {
    try index.row(of: id, at: version(transaction))?.record
  }

  public func directoryEntries(_ id: NodeID, at transaction: TransactionID?) throws
    -> [DirectoryEntry]
  {
    guard let row = try index.row(of: id, at: version(transaction)) else {
      throw PersistenceError("directory \(id) does not exist at transaction \(name(transaction))")
    }
    guard row.record.entryType == .directory else {
      throw PersistenceError(
        "node \(id) is a \(row.record.entryType), not a directory, at transaction \(name(transaction))"
      )
    }
    let bytes =
      try index.latestListing(of: id, writtenBy: row.record.transaction.rawValue)
      ?? inlineContent(row)
    return try DirectoryListing.decode(bytes, node: "directory \(id)")
  }

  public func content(_ id: NodeID, at transaction: TransactionID?) throws -> [UInt8] {
    // While a transaction is being committed, FileSystem reads content only to carry an unchanged node
    // forward (a move); hand large bodies over as tokens so they are neither loaded nor copied.
    if open != nil, let row = try index.row(of: id, at: version(nil)), row.isBlob,
      row.record.entryType == .file || row.record.entryType == .table
    {
      openTokens.insert(row.sha256)
      return LargeFileToken(sha256: row.sha256, size: Int64(row.record.size)).bytes
    }
    var result: [UInt8] = []
    try streamContent(id, at: transaction) { result += $0 }
    return result
  }

  /// Streams the content of a file, series or symlink at `transaction` to `sink` in bounded chunks (a series
  /// is the concatenation of its versions); memory does not grow with the size or the number of versions.
  public func streamContent(
    _ id: NodeID, at transaction: TransactionID?, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let version = try version(transaction)
    guard let last = try index.row(of: id, at: version) else {
      throw PersistenceError("node \(id) does not exist at transaction \(name(transaction))")
    }
    guard last.record.entryType != .directory else {
      throw PersistenceError("node \(id) is a directory; it has a listing, not content")
    }
    guard last.record.entryType.isAppendOnly else {
      try stream(last, size: Int64(last.record.size), to: sink)
      return
    }
    try forEachAppend(of: id, last, upTo: version) { row, size in
      try stream(row, size: size, to: sink)
    }
  }

  /// Calls `body` with each row of the append-only node `id` up to `version` (whose latest row is `last`)
  /// and the number of bytes it appended, oldest first.
  private func forEachAppend(
    of id: NodeID, _ last: IndexedRow, upTo version: Int64,
    _ body: (IndexedRow, Int64) throws -> Void
  ) throws {
    // A series is the run of its type's rows up to `version` (ids are never reused and a series stays a
    // series, so the run is its whole history; a row of another type would end it). Each row holds the
    // bytes by which the series grew.
    let start = try index.lastVersion(of: id, notOfType: last.record.entryType, upTo: version)
    var previousSize: Int64 = 0
    try index.forEachRow(of: id, after: start, upTo: version) { row in
      let size = Int64(row.record.size)
      try body(row, size - previousSize)
      previousSize = size
    }
  }

  /// The versions of the table or series of tables `id` that a read at `transaction` sees, oldest first: the
  /// latest version of a table; every version of a series of tables that appended one (a move appends
  /// none).
  public func tableVersions(_ id: NodeID, at transaction: TransactionID?) throws -> [TableVersion] {
    let version = try version(transaction)
    guard let last = try index.row(of: id, at: version) else {
      throw PersistenceError("node \(id) does not exist at transaction \(name(transaction))")
    }
    guard last.record.entryType.isTable else {
      throw PersistenceError("node \(id) is a \(last.record.entryType), not a table")
    }
    func part(_ row: IndexedRow, size: Int64) throws -> TableVersion? {
      guard let table = row.table else {
        guard size == 0 else {
          throw PondError(
            .corrupt, path: "node \(id)",
            "version \(row.record.version) holds \(size) bytes but does not describe its table",
            hint: "run 'pond fsck'")
        }
        return nil
      }
      return TableVersion(
        node: id, version: row.record.version, transaction: row.record.transaction.rawValue,
        table: table, sha256: row.sha256, size: size, isBlob: row.isBlob)
    }
    guard last.record.entryType == .tableSeries else {
      return try part(last, size: Int64(last.record.size)).map { [$0] } ?? []
    }
    var parts: [TableVersion] = []
    try forEachAppend(of: id, last, upTo: version) { row, size in
      if let found = try part(row, size: size) { parts.append(found) }
    }
    return parts
  }

  /// Streams the Parquet bytes of `part` to `sink` in bounded chunks (a large one straight from
  /// `_large_files`, checked against its SHA-256).
  public func streamTableContent(
    _ part: TableVersion, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    if part.isBlob {
      try largeFiles.stream(sha256: part.sha256, expectedSize: part.size, to: sink)
    } else if case .bytes(let bytes) = try tableContent(part) {
      try bytes.withUnsafeBytes { try sink($0) }
    }
  }

  /// The Parquet bytes of `part`: in memory when they are inline, otherwise the path of a copy
  /// decompressed into `local/tables/` (made once, checked against its SHA-256 then).
  public func tableContent(_ part: TableVersion) throws -> TableContent {
    guard part.isBlob else {
      guard let row = try index.row(of: part.node, at: part.transaction),
        row.record.transaction.rawValue == part.transaction
      else {
        throw PersistenceError("node \(part.node) has no row at transaction \(part.transaction)")
      }
      return .bytes(try inlineContent(row))
    }
    return .file(try TableCache(pondRoot: pondRoot).path(of: part, in: largeFiles))
  }

  private func stream(
    _ row: IndexedRow, size: Int64, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    if row.isBlob {
      try largeFiles.stream(sha256: row.sha256, expectedSize: size, to: sink)
    } else {
      try inlineContent(row).withUnsafeBytes { try sink($0) }
    }
  }

  /// The rows of version `version`'s data file, in file order.
  public func rows(ofVersion version: Int64) throws -> [OplogRow] {
    let head = try self.version(nil)
    guard version >= 0, version <= head else {
      throw PondError(
        .noSuchVersion, path: dataRoot, "version \(version) does not exist",
        hint: "the pond's versions are 0...\(head)")
    }
    return try dataFileRows(version)
  }

  private func inlineContent(_ row: IndexedRow) throws -> [UInt8] {
    let rows = try dataFileRows(row.record.transaction.rawValue)
    guard rows.indices.contains(row.rowIndex), rows[row.rowIndex].nodeID == row.record.id,
      let content = rows[row.rowIndex].content
    else {
      let file = try index.commit(row.record.transaction.rawValue).dataFile ?? "?"
      throw PondError(
        .corrupt, path: "data/" + file,
        "row \(row.rowIndex) is not the inline row of node \(row.record.id) the index expects",
        hint: "delete $POND/local/\(PondIndex.fileName) to rebuild it, then run 'pond fsck'")
    }
    return content
  }

  private func dataFileRows(_ version: Int64) throws -> [OplogRow] {
    if let cached = fileCache.last(where: { $0.version == version }) { return cached.rows }
    guard let file = try index.commit(version).dataFile else { return [] }
    let rows = try Oplog.read(path: dataRoot + "/" + file, key: "data/" + file)
    let bytes = rows.reduce(0) { $0 + ($1.content?.count ?? 0) + 160 }
    fileCache.append((version, rows, bytes))
    var total = fileCache.reduce(0) { $0 + $1.bytes }
    while fileCache.count > 1, total > Self.fileCacheLimit {
      total -= fileCache.removeFirst().bytes
    }
    return rows
  }

  private func name(_ transaction: TransactionID?) -> String {
    transaction.map { "\($0)" } ?? "head"
  }

  // MARK: Large files

  /// Streams a host file into `_large_files` and returns the bytes to hand to `FileSystem` as its content
  /// (a token this persistence turns into a row pointing at the body). Call inside a file-system transaction.
  func stageLargeFile(hostPath: String) throws -> (content: [UInt8], size: Int64) {
    try staging(largeFiles.store(hostFile: hostPath))
  }

  /// `stageLargeFile(hostPath:)` for `prefix` followed by the rest of `input`, read to its end.
  func stageLargeFile(prefix: [UInt8], thenRestOf input: OpenFile) throws -> (
    content: [UInt8], size: Int64
  ) {
    try staging(largeFiles.store(prefix: prefix, thenRestOf: input))
  }

  /// `stageLargeFile(hostPath:)` for bytes already in memory.
  func stageLargeFile(bytes: [UInt8]) throws -> (content: [UInt8], size: Int64) {
    try staging((largeFiles.store(bytes: bytes), Int64(bytes.count)))
  }

  private func staging(_ stored: @autoclosure () throws -> (sha256: String, size: Int64)) throws
    -> (content: [UInt8], size: Int64)
  {
    precondition(isWritable, "stageLargeFile on a read-only pond")
    let (sha, size) = try stored()
    openTokens.insert(sha)
    return (LargeFileToken(sha256: sha, size: size).bytes, size)
  }

  // MARK: Persistence writes

  public func beginTransaction(timestamp: Int64) throws -> TransactionID {
    precondition(open == nil, "beginTransaction while transaction \(open!.id) is open")
    guard isWritable else {
      throw PondError(
        .invalidArgument, path: dataRoot, "this pond was opened for reading only")
    }
    let id = TransactionID(rawValue: try version(nil) + 1)
    open = (id, timestamp)
    openRows = []
    return id
  }

  public func store(_ write: NodeWrite) throws {
    guard let transaction = open else {
      preconditionFailure("store(\(write.id)) outside a transaction")
    }
    let previous = try node(write.id, at: nil)
    precondition(
      write.version == (previous?.version ?? 0) + 1,
      "node \(write.id) version \(write.version) does not follow \(previous?.version ?? 0)")
    var row = OplogRow(
      partID: write.parentID, nodeID: write.id, version: Int64(write.version),
      transaction: transaction.id.rawValue, timestamp: transaction.timestamp,
      entryType: write.entryType, content: nil, size: 0, sha256: "", blob: nil)
    func inline(_ bytes: [UInt8], size: Int64) {
      row.content = bytes
      row.size = size
      row.sha256 = Hex.encode(SHA256.hash(bytes))
    }
    switch write.payload {
    case .directory(let entries):
      inline(DirectoryListing.encode(entries), size: Int64(entries.count))
    case .symlink(let target):
      inline(Array(target.utf8), size: Int64(target.utf8.count))
    case .content(let bytes), .append(let bytes):
      var base: Int64 = 0
      if case .append = write.payload {
        precondition(
          previous?.entryType.isAppendOnly == true && previous?.entryType == write.entryType,
          "append to \(write.id), which is not a \(write.entryType)")
        base = Int64(previous!.size)
      }
      if let token = LargeFileToken(bytes), openTokens.contains(token.sha256) {
        row.blob = PondLayout.largeFileKey(sha256: token.sha256)
        row.sha256 = token.sha256
        row.size = base + token.size
      } else {
        precondition(
          !containsOpenToken(bytes),
          "node \(write.id): a large file's stand-in bytes were joined with other content")
        if bytes.count >= LargeFiles.threshold {
          let sha = try largeFiles.store(bytes: bytes)
          row.blob = PondLayout.largeFileKey(sha256: sha)
          row.sha256 = sha
          row.size = base + Int64(bytes.count)
        } else {
          inline(bytes, size: base + Int64(bytes.count))
        }
      }
    }
    if write.entryType.isTable, row.size > (base(of: write, previous) ?? 0) {
      if let info = openTables[write.id] {
        row.table = info
      } else if let carried = try index.row(of: write.id, at: version(nil)),
        carried.sha256 == row.sha256,
        let info = carried.table
      {
        row.table = info  // a table moved: same bytes, same description
      } else {
        preconditionFailure("table \(write.id) stored without a description (describeTable(_:as:))")
      }
    }
    openRows.append(row)
  }

  /// The size an append starts from: the previous version's, for an append-only node.
  private func base(of write: NodeWrite, _ previous: NodeRecord?) -> Int64? {
    guard case .append = write.payload else { return nil }
    return previous.map { Int64($0.size) }
  }

  /// Records what the table version of node `id` that the file system's open transaction writes holds; the
  /// row stored for it at the commit carries it (docs/format.md, the `table_*` and `time_*` columns).
  /// `rollback()` forgets it, as the commit does.
  func describeTable(_ id: NodeID, as info: TableInfo) {
    openTables[id] = info
  }

  public func commit() throws -> TransactionID {
    guard let transaction = open else { preconditionFailure("commit without a transaction") }
    defer { rollback() }
    let version = transaction.id.rawValue
    let head = index.headCommit.head(version: version - 1)
    // Rows carry the commit's time (DeltaLog's commit-time rule may raise it above the clock's), so that readers
    // filtering on the rows' `timestamp` column agree with `--at`.
    let clock = UTCMilliseconds(UTCMicroseconds(rawValue: transaction.timestamp)).rawValue
    let timestamp: Int64
    do {
      timestamp = try CommitFile.time(clock, after: head)
    } catch {
      throw PondError(error)
    }
    if timestamp != clock {
      let rowTime = UTCMicroseconds(UTCMilliseconds(rawValue: timestamp)).rawValue
      for position in openRows.indices { openRows[position].timestamp = rowTime }
    }
    let metadata = try evolvedMetadata()
    let file = try OplogWriter(dataRoot: dataRoot).writeDataFile(
      openRows, version: version, withTables: try metadata != nil || hasTableColumns())
    let commit: CommitFile
    do {
      commit = try CommitFile.next(
        after: head, adds: [file], metadata: metadata,
        operationParameters: ["command": commandLine], timestamp: timestamp)
    } catch {
      try? LocalFiles.remove(dataRoot + "/" + file.path)
      throw PondError(error)
    }
    let key = commit.key
    var result: CommitResult
    do {
      result = try log.table.write(commit)
    } catch {
      // The commit file may have been linked before the failure (a failed directory fsync): then the version
      // is committed and its data file must stay. Only when no commit file is there is the data file an
      // orphan to remove; when that cannot be told, it stays (harmless; 'pond fsck --clean' removes it).
      switch Result(catching: { () throws(FileIOError) in try log.storage.read(key) }) {
      case .success(let landed) where landed == commit.bytes:
        result = .committed(version: version, sha256: commit.sha256)
      // The storage's message names the system call, the errno and what to do (a full disk, permissions).
      case .failure(let readError) where readError.errno == .noSuchFileOrDirectory:
        try? LocalFiles.remove(dataRoot + "/" + file.path)
        throw PondError(
          .io, path: dataRoot + "/" + key, "cannot write the commit: \(error.message)",
          hint: "nothing was committed", errno: error.errno)
      default:
        throw PondError(
          .io, path: dataRoot + "/" + key, "cannot write the commit: \(error.message)",
          hint:
            "whether version \(version) was committed is unknown: see 'pond log', run 'pond fsck'",
          errno: error.errno)
      }
    }
    // "Already exists" can be our own commit, when a link() that succeeded was retried (NFS retransmits,
    // FUSE after EINTR): then it is committed, and its data file must stay.
    if result == .versionTaken(version), (try? log.storage.read(key)) == commit.bytes {
      result = .committed(version: version, sha256: commit.sha256)
    }
    guard result == .committed(version: version, sha256: commit.sha256) else {
      try? LocalFiles.remove(dataRoot + "/" + file.path)
      throw PondError(
        .locked, path: dataRoot + "/" + key,
        "another writer committed version \(version) although this process held the lock",
        hint: "make sure every writer uses the same $POND/local/lock; nothing was written")
    }
    if metadata != nil { schemaHasTables = true }
    // The version is committed: the log is authoritative and the index only derived from it. If the index
    // cannot record it (a full disk), the command still succeeded; the next open applies the version from the
    // log, and this process refuses to answer from its outdated view.
    do {
      try index.add(version: version, rows: openRows, commit: IndexedCommit(commit))
    } catch {
      indexFailure = PondError(
        .io, path: pondRoot + "/" + PondLayout.localDirectory + "/" + PondIndex.fileName,
        "version \(version) was committed, but the local index could not record it (\(error))",
        hint: "open the pond again: the index is brought up to date from the log")
    }
    return transaction.id
  }

  /// True when `bytes` hold, somewhere, the stand-in of a large file staged in the open transaction: FileSystem
  /// joined it with other bytes (two appends to one series), which would store the stand-in as content.
  private func containsOpenToken(_ bytes: [UInt8]) -> Bool {
    guard !openTokens.isEmpty, bytes.count >= LargeFileToken.magic.count else { return false }
    let magic = LargeFileToken.magic
    var start = 0
    while start + magic.count + 64 <= bytes.count {
      let hex = start + magic.count
      if bytes[start] == magic[0], bytes[start..<hex].elementsEqual(magic),
        openTokens.contains(String(decoding: bytes[hex..<(hex + 64)], as: UTF8.self))
      {
        return true
      }
      start += 1
    }
    return false
  }

  /// Discards the open transaction (also how `commit` ends, committed or not).
  public func rollback() {
    open = nil
    openRows = []
    openTokens = []
    openTables = [:]
  }

  /// The `metaData` the open transaction's commit must carry: the table's schema with the table columns,
  /// the first time a pond made before them (its version 0 lacks them) stores a table; nil otherwise.
  /// Delta readers then see the columns, null in older data files (Delta's adding of nullable columns).
  private func evolvedMetadata() throws -> TableMetadata? {
    guard openRows.contains(where: { $0.table != nil }), try !hasTableColumns(),
      var metadata = try log.commit(0).metadata
    else { return nil }
    metadata.schema = Oplog.deltaSchema()
    return metadata
  }

  /// Whether the pond's Delta schema has the table columns: from version 0 (ponds made since), or since the
  /// first commit that stored a table. Data files hold exactly the columns of the schema in force.
  private func hasTableColumns() throws -> Bool {
    if let schemaHasTables { return schemaHasTables }
    let names = Set(try log.commit(0).metadata?.schema.fields.map(\.name) ?? [])
    let found = try Oplog.tableColumnNames.isSubset(of: names) || index.hasTableRows()
    schemaHasTables = found
    return found
  }
}

/// Writes oplog data files into `$POND/data`.
struct OplogWriter {
  let dataRoot: String

  /// Writes `rows` as the data file of `version` and returns its `add` (exact size, stats, sha256).
  func writeDataFile(_ rows: [OplogRow], version: Int64, withTables: Bool = true) throws -> AddFile
  {
    let name = PondLayout.newDataFileKey(version: version)
    let path = dataRoot + "/" + name
    let summary: ParquetFileSummary
    do {
      summary = try Oplog.write(rows, to: path, withTables: withTables)
    } catch {
      try? LocalFiles.remove(path)
      throw PondError(
        .io, path: path, "cannot write the data file: \(error)",
        hint: "check free space and permissions of \(dataRoot)")
    }
    // The writer published the file with link() and fsynced the directory; only its hash is left to take.
    let digest: [UInt8]
    do {
      digest = try SHA256.hash(fileAt: path)
    } catch {
      try? LocalFiles.remove(path)
      throw PondError(
        .io, path: path, "cannot read back the data file: \(error)",
        hint: "check the disk holding \(dataRoot)")
    }
    return AddFile(
      path: name, size: summary.size, modificationTime: UTCMilliseconds.now().rawValue,
      statistics: FileStatistics(summary), sha256: Hex.encode(digest))
  }
}
