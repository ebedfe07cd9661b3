import DeltaLog
import Foundation
import Parquet
import PondCrypto
import TinyFS

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
  let indexPath: String
  let log: LogReader
  let largeFiles: LargeFiles
  var index: PondIndex
  /// True when the index was rebuilt from the log at open (missing, stale or corrupt).
  public let indexWasRebuilt: Bool
  /// The head version of the index saved in `local/`.
  private var savedVersion: Int64
  let isWritable: Bool

  /// Recorded in each commit's `commitInfo.operationParameters.command`.
  public var commandLine = ""

  private var open: (id: TransactionID, timestamp: Int64)?
  private var openRows: [OplogRow] = []
  private var openTokens: Set<String> = []
  /// Decoded data files, by transaction, most recent last (a few are kept).
  private var fileCache: [(Int64, [OplogRow])] = []

  init(pondRoot: String, writable: Bool) throws {
    dataRoot = pondRoot + "/data"
    indexPath = pondRoot + "/local/index"
    log = LogReader(dataRoot: dataRoot)
    largeFiles = LargeFiles(dataRoot: dataRoot)
    isWritable = writable
    (index, indexWasRebuilt, savedVersion) = try log.load(indexPath: indexPath)
  }

  // MARK: Persistence reads

  public var head: TransactionID? { TransactionID(rawValue: index.headVersion) }

  public func node(_ id: NodeID, at transaction: TransactionID?) throws -> NodeRecord? {
    guard let position = index.latestPosition(of: id, at: transaction) else { return nil }
    return index.nodes[id]![position].record
  }

  public func directoryEntries(_ id: NodeID, at transaction: TransactionID?) throws
    -> [DirectoryEntry]
  {
    guard let position = index.latestPosition(of: id, at: transaction) else {
      throw PersistenceError("directory \(id) does not exist at transaction \(name(transaction))")
    }
    let row = index.nodes[id]![position]
    guard row.record.entryType == .directory else {
      throw PersistenceError(
        "node \(id) is a \(row.record.entryType), not a directory, at transaction \(name(transaction))"
      )
    }
    let isLatest = position == index.nodes[id]!.count - 1
    let bytes = try (isLatest ? index.latestListings[id] : nil) ?? inlineContent(row)
    return try DirectoryListing.decode(bytes, node: "directory \(id)")
  }

  public func content(_ id: NodeID, at transaction: TransactionID?) throws -> [UInt8] {
    // While a transaction is being committed, FileSystem reads content only to carry an unchanged node
    // forward (a move); hand large bodies over as tokens so they are neither loaded nor copied.
    if open != nil, let position = index.latestPosition(of: id, at: nil),
      index.nodes[id]![position].isBlob, index.nodes[id]![position].record.entryType == .file
    {
      let row = index.nodes[id]![position]
      openTokens.insert(row.sha256)
      return LargeFileToken(sha256: row.sha256, size: Int64(row.record.size)).bytes
    }
    var result: [UInt8] = []
    try streamContent(id, at: transaction) { result += $0 }
    return result
  }

  /// Streams the content of a file, series or symlink at `transaction` to `sink` in bounded chunks (a series
  /// is the concatenation of its versions); memory does not grow with the size.
  public func streamContent(
    _ id: NodeID, at transaction: TransactionID?, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    guard let last = index.latestPosition(of: id, at: transaction) else {
      throw PersistenceError("node \(id) does not exist at transaction \(name(transaction))")
    }
    let history = index.nodes[id]!
    guard history[last].record.entryType != .directory else {
      throw PersistenceError("node \(id) is a directory; it has a listing, not content")
    }
    let first =
      history[last].record.entryType == .series ? firstSeriesPosition(history, last) : last
    for position in first...last {
      let row = history[position]
      if row.isBlob {
        try largeFiles.stream(
          sha256: row.sha256, expectedSize: chunkSize(history, position), to: sink)
      } else {
        try inlineContent(row).withUnsafeBytes { try sink($0) }
      }
    }
  }

  /// The rows of version `version`'s data file, in file order.
  public func rows(ofVersion version: Int64) throws -> [OplogRow] {
    guard version >= 0, version <= index.headVersion else {
      throw PondError(
        .noSuchVersion, path: dataRoot, "version \(version) does not exist",
        hint: "the pond's versions are 0...\(index.headVersion)")
    }
    return try dataFileRows(version)
  }

  /// The oldest row of the run of series rows ending at `last` (a series that was a file before, or
  /// recreated under the same id, cannot occur: ids are never reused, and a series stays a series).
  private func firstSeriesPosition(_ history: [IndexedRow], _ last: Int) -> Int {
    var first = last
    while first > 0, history[first - 1].record.entryType == .series { first -= 1 }
    return first
  }

  /// The bytes row `position` holds: its size for a file, the growth over the previous row for a series.
  func chunkSize(_ history: [IndexedRow], _ position: Int) -> Int64 {
    let row = history[position].record
    guard row.entryType == .series, position > 0, history[position - 1].record.entryType == .series
    else { return Int64(row.size) }
    return Int64(row.size) - Int64(history[position - 1].record.size)
  }

  private func inlineContent(_ row: IndexedRow) throws -> [UInt8] {
    let rows = try dataFileRows(row.record.transaction.rawValue)
    guard row.rowIndex < rows.count, rows[row.rowIndex].nodeID == row.record.id,
      let content = rows[row.rowIndex].content
    else {
      throw PondError(
        .corrupt,
        path: "data/" + (index.commits[Int(row.record.transaction.rawValue)].dataFile ?? "?"),
        "row \(row.rowIndex) is not the inline row of node \(row.record.id) the index expects",
        hint: "delete $POND/local/index to rebuild it, then run 'pond fsck'")
    }
    return content
  }

  private func dataFileRows(_ version: Int64) throws -> [OplogRow] {
    if let cached = fileCache.last(where: { $0.0 == version }) { return cached.1 }
    guard let file = index.commits[Int(version)].dataFile else { return [] }
    let rows = try Oplog.read(path: dataRoot + "/" + file, key: "data/" + file)
    fileCache.append((version, rows))
    if fileCache.count > 8 { fileCache.removeFirst() }
    return rows
  }

  private func name(_ transaction: TransactionID?) -> String {
    transaction.map { "\($0)" } ?? "head"
  }

  // MARK: Large files

  /// Streams a host file into `_large_files` and returns the bytes to hand to `FileSystem` as its content
  /// (a token this persistence turns into a row pointing at the body). Call inside a file-system transaction.
  func stageLargeFile(hostPath: String) throws -> [UInt8] {
    precondition(isWritable, "stageLargeFile on a read-only pond")
    let (sha, size) = try largeFiles.store(hostFile: hostPath)
    openTokens.insert(sha)
    return LargeFileToken(sha256: sha, size: size).bytes
  }

  // MARK: Persistence writes

  public func beginTransaction(timestamp: Int64) throws -> TransactionID {
    precondition(open == nil, "beginTransaction while transaction \(open!.id) is open")
    guard isWritable else {
      throw PondError(
        .invalidArgument, path: dataRoot, "this pond was opened for reading only")
    }
    let id = TransactionID(rawValue: index.headVersion + 1)
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
        precondition(previous?.entryType == .series, "append to \(write.id), which is not a series")
        base = Int64(previous!.size)
      }
      if let token = LargeFileToken(bytes), openTokens.contains(token.sha256) {
        row.blob = LargeFiles.key(sha256: token.sha256)
        row.sha256 = token.sha256
        row.size = base + token.size
      } else if bytes.count >= LargeFiles.threshold {
        let sha = try largeFiles.store(bytes: bytes)
        row.blob = LargeFiles.key(sha256: sha)
        row.sha256 = sha
        row.size = base + Int64(bytes.count)
      } else {
        inline(bytes, size: base + Int64(bytes.count))
      }
    }
    openRows.append(row)
  }

  public func commit() throws -> TransactionID {
    guard let transaction = open else { preconditionFailure("commit without a transaction") }
    defer {
      open = nil
      openRows = []
      openTokens = []
    }
    let version = transaction.id.rawValue
    let previous = index.commits[index.commits.count - 1]
    let timestamp = max(transaction.timestamp / 1000, previous.timestamp + 1)
    let file = try OplogWriter(dataRoot: dataRoot).writeDataFile(openRows, version: version)
    let info = CommitInfo(
      timestamp: timestamp, operation: "WRITE", operationParameters: ["command": commandLine],
      engineInfo: DeltaTable.engineInfo, readVersion: version - 1,
      previousCommitSHA256: previous.sha256)
    let bytes = DeltaAction.encodeCommit([.commitInfo(info), .add(file)])
    let key = DeltaTable.commitKey(version: version)
    let result: WriteIfAbsentResult
    do {
      result = try log.storage.writeIfAbsent(key, bytes, modificationTime: timestamp)
    } catch {
      unlink(dataRoot + "/" + file.path)
      throw HostIO.failure(
        dataRoot + "/" + key, "write the commit (\(error.message))",
        error.message.contains("No space") ? ENOSPC : EIO)
    }
    guard result == .written else {
      unlink(dataRoot + "/" + file.path)
      throw PondError(
        .locked, path: dataRoot + "/" + key,
        "another writer committed version \(version) although this process held the lock",
        hint: "make sure every writer uses the same $POND/local/lock; nothing was written")
    }
    index.add(openRows)
    index.commits.append(
      IndexedCommit(
        timestamp: timestamp, sha256: Hex.encode(SHA256.hash(bytes)), dataFile: file.path,
        command: commandLine))
    if version - savedVersion >= PondIndex.saveInterval {
      log.save(index, to: indexPath)
      savedVersion = version
    }
    return transaction.id
  }

  public func rollback() {
    open = nil
    openRows = []
    openTokens = []
  }
}

/// Writes oplog data files into `$POND/data`.
struct OplogWriter {
  let dataRoot: String

  /// Writes `rows` as the data file of `version` and returns its `add` (exact size, stats, sha256).
  func writeDataFile(_ rows: [OplogRow], version: Int64) throws -> AddFile {
    let digits = String(version)
    let name =
      "part-\(String(repeating: "0", count: max(0, 20 - digits.count)) + digits)-"
      + "\(UUID().uuidString.lowercased()).zstd.parquet"
    let path = dataRoot + "/" + name
    let summary: ParquetFileSummary
    do {
      summary = try Oplog.write(rows, to: path)
    } catch {
      unlink(path)
      throw PondError(
        .io, path: path, "cannot write the data file: \(error)",
        hint: "check free space and permissions of \(dataRoot)")
    }
    let hasher = SHA256Hasher()
    let reader = try FileReader(path)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
      if count == 0 { break }
      buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
    do {
      try HostIO.syncDirectory(dataRoot)
    } catch {
      unlink(path)
      throw error
    }
    return AddFile(
      path: name, size: summary.size, modificationTime: DeltaTable.now(),
      stats: summary.deltaStatsJSON, sha256: Hex.encode(hasher.finalize()))
  }
}
