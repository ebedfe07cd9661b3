import DeltaLog
import PondCrypto
import TinyFS

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where one oplog row is and what it says, without its content.
struct IndexedRow: Sendable {
  var record: NodeRecord
  /// SHA-256 (hex) of the row's bytes (inline content or blob).
  var sha256: String
  /// True when the bytes are in `_large_files`, false when inline in the data file.
  var isBlob: Bool
  /// The row's position in its transaction's data file.
  var rowIndex: Int
}

/// One Delta version as the index remembers it.
struct IndexedCommit: Sendable {
  /// `commitInfo.timestamp`, ms since the epoch.
  var timestamp: Int64
  /// SHA-256 (hex) of the commit file's bytes.
  var sha256: String
  /// The data file it added (relative to `data/`), if any.
  var dataFile: String?
  /// The command line that made it (`operationParameters.command`), or the Delta operation.
  var command: String
}

/// A derived index of the log: every node's row history (metadata only) and every commit, saved as
/// `$POND/local/index` so that opening a pond reads one file instead of replaying the log and its data files.
///
/// The saved file names the head version and head commit SHA-256 it was built from and ends with the SHA-256 of
/// its own bytes. It is used only when the log's commit at that version still hashes the same; newer commits are
/// then applied on top. Anything else (missing, corrupt, another history) rebuilds it from the log.
struct PondIndex {
  static let magic: [UInt8] = Array("PONDIDX2".utf8)

  var nodes: [NodeID: [IndexedRow]] = [:]
  var commits: [IndexedCommit] = []
  /// The encoded listing of every directory's latest row, so that reading the latest tree (list, glob, path
  /// resolution) opens no data file. Its size is that of the current tree, not of the history.
  var latestListings: [NodeID: [UInt8]] = [:]

  var headVersion: Int64 { Int64(commits.count - 1) }

  /// How many versions the saved index may lag behind the log before it is written again.
  static let saveInterval: Int64 = 16

  /// The index of the latest row of `id` at or before `transaction` (nil: the latest).
  func latestPosition(of id: NodeID, at transaction: TransactionID?) -> Int? {
    guard let history = nodes[id], !history.isEmpty else { return nil }
    guard let transaction else { return history.count - 1 }
    var low = 0
    var high = history.count
    while low < high {
      let middle = (low + high) / 2
      if history[middle].record.transaction <= transaction {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low == 0 ? nil : low - 1
  }

  /// Adds the rows of one data file written by version `version`.
  mutating func add(_ rows: [OplogRow]) {
    for (position, row) in rows.enumerated() {
      let record = NodeRecord(
        id: row.nodeID, parentID: row.partID, version: UInt64(row.version),
        entryType: row.entryType, transaction: TransactionID(rawValue: row.transaction),
        timestamp: row.timestamp, size: UInt64(max(row.size, 0)))
      nodes[row.nodeID, default: []].append(
        IndexedRow(record: record, sha256: row.sha256, isBlob: row.blob != nil, rowIndex: position))
      if row.entryType == .directory, let content = row.content {
        latestListings[row.nodeID] = content
      }
    }
  }

  // MARK: Saving and loading

  func serialized() -> [UInt8] {
    var output = ByteWriter()
    output.bytes += Self.magic
    output.writeVarint(UInt64(commits.count))
    for commit in commits {
      output.writeInt64(commit.timestamp)
      output.writeString(commit.sha256)
      output.writeString(commit.dataFile ?? "")
      output.writeString(commit.command)
    }
    output.writeVarint(UInt64(nodes.count))
    for (id, history) in nodes {
      output.bytes += id.bytes
      output.writeVarint(UInt64(history.count))
      for row in history {
        output.bytes += row.record.parentID.bytes
        output.writeVarint(row.record.version)
        output.writeVarint(UInt64(row.record.transaction.rawValue))
        output.writeInt64(row.record.timestamp)
        output.bytes.append(DirectoryListing.code(row.record.entryType))
        output.writeVarint(row.record.size)
        output.writeString(row.sha256)
        output.bytes.append(row.isBlob ? 1 : 0)
        output.writeVarint(UInt64(row.rowIndex))
      }
    }
    output.writeVarint(UInt64(latestListings.count))
    for (id, listing) in latestListings {
      output.bytes += id.bytes
      output.writeVarint(UInt64(listing.count))
      output.bytes += listing
    }
    output.bytes += SHA256.hash(output.bytes)
    return output.bytes
  }

  /// Parses a saved index; nil when it is truncated, corrupt or of another format.
  static func parse(_ bytes: [UInt8]) -> PondIndex? {
    guard bytes.count > 32 else { return nil }
    let body = Array(bytes[0..<(bytes.count - 32)])
    guard SHA256.hash(body) == Array(bytes[(bytes.count - 32)...]) else { return nil }
    var input = ByteReader(body)
    guard input.read(magic.count) == magic, let commitCount = input.readVarint(),
      commitCount > 0, commitCount < UInt64(body.count)
    else { return nil }
    var index = PondIndex()
    for _ in 0..<commitCount {
      guard let timestamp = input.readInt64(), let sha = input.readString(),
        let file = input.readString(), let command = input.readString()
      else { return nil }
      index.commits.append(
        IndexedCommit(
          timestamp: timestamp, sha256: sha, dataFile: file.isEmpty ? nil : file, command: command))
    }
    guard let nodeCount = input.readVarint(), nodeCount < UInt64(body.count) else { return nil }
    for _ in 0..<nodeCount {
      guard let idBytes = input.read(16), let id = NodeID(bytes: idBytes),
        let rowCount = input.readVarint(), rowCount < UInt64(body.count)
      else { return nil }
      var history: [IndexedRow] = []
      for _ in 0..<rowCount {
        guard let parentBytes = input.read(16), let parent = NodeID(bytes: parentBytes),
          let version = input.readVarint(), let txn = input.readVarint(),
          let timestamp = input.readInt64(), let typeByte = input.read(1),
          let type = DirectoryListing.type(typeByte[0]), let size = input.readVarint(),
          let sha = input.readString(), let blobByte = input.read(1),
          let position = input.readVarint()
        else { return nil }
        let record = NodeRecord(
          id: id, parentID: parent, version: version, entryType: type,
          transaction: TransactionID(rawValue: Int64(txn)), timestamp: timestamp, size: size)
        history.append(
          IndexedRow(
            record: record, sha256: sha, isBlob: blobByte[0] == 1, rowIndex: Int(position)))
      }
      index.nodes[id] = history
    }
    guard let listingCount = input.readVarint(), listingCount < UInt64(body.count) else {
      return nil
    }
    for _ in 0..<listingCount {
      guard let idBytes = input.read(16), let id = NodeID(bytes: idBytes),
        let length = input.readVarint(), length < UInt64(body.count),
        let listing = input.read(Int(length))
      else { return nil }
      index.latestListings[id] = listing
    }
    guard input.isAtEnd else { return nil }
    return index
  }
}

/// Reads the log into a `PondIndex`, from scratch or on top of a saved one.
struct LogReader {
  let dataRoot: String
  let storage: LocalStorage

  init(dataRoot: String) {
    self.dataRoot = dataRoot
    self.storage = LocalStorage(root: dataRoot)
  }

  /// The latest version in the log.
  func latestVersion() throws -> Int64 {
    do {
      return try DeltaTable(storage: storage).latestVersion()
    } catch {
      if error.kind == .tableNotFound {
        throw PondError(
          .notAPond, path: dataRoot, "no pond here (no commits in data/_delta_log)",
          hint: "create one with 'pond init', or pass the right --pond / POND")
      }
      throw PondError(
        .corrupt, path: dataRoot, "the log cannot be listed: \(error)",
        hint: "run 'pond fsck'")
    }
  }

  /// The bytes of commit `version`.
  func commitBytes(_ version: Int64) throws -> [UInt8] {
    let key = DeltaTable.commitKey(version: version)
    do {
      return try storage.read(key)
    } catch {
      throw PondError(
        .corrupt, path: "data/" + key, "cannot read the commit: \(error)",
        hint: "run 'pond fsck'")
    }
  }

  /// Applies commit `version` to `index`, checking that it chains onto the previous one.
  func apply(_ version: Int64, to index: inout PondIndex) throws {
    let key = DeltaTable.commitKey(version: version)
    let bytes = try commitBytes(version)
    let sha = Hex.encode(SHA256.hash(bytes))
    let actions: [DeltaAction]
    do {
      actions = try DeltaAction.decodeCommit(bytes, version: version, path: key)
    } catch {
      throw PondError(
        .corrupt, path: "data/" + key, "the commit is not valid: \(error)",
        hint: "run 'pond fsck'; restore the log from a replica")
    }
    var info: CommitInfo?
    var adds: [AddFile] = []
    for action in actions {
      switch action {
      case .commitInfo(let value): if info == nil { info = value }
      case .add(let add): adds.append(add)
      case .protocol, .metaData, .remove: break
      }
    }
    if version > 0 {
      let previous = index.commits[Int(version) - 1].sha256
      guard info?.previousCommitSHA256 == previous else {
        throw PondError(
          .corrupt, path: "data/" + key,
          "the commit does not chain onto version \(version - 1) (hash chain broken)",
          hint: "run 'pond fsck'; the log was altered or diverged")
      }
    }
    guard adds.count <= 1 else {
      throw PondError(
        .corrupt, path: "data/" + key, "the commit adds \(adds.count) data files; pond writes one")
    }
    if let add = adds.first {
      let rows = try Oplog.read(path: dataRoot + "/" + add.path, key: "data/" + add.path)
      guard rows.allSatisfy({ $0.transaction == version }) else {
        throw PondError(
          .corrupt, path: "data/" + add.path,
          "rows of the data file name another txn than \(version)")
      }
      index.add(rows)
    }
    index.commits.append(
      IndexedCommit(
        timestamp: info?.timestamp ?? 0, sha256: sha, dataFile: adds.first?.path,
        command: info?.operationParameters["command"] ?? info?.operation ?? ""))
  }

  /// The index of the log's current head: the saved one at `indexPath` when it is still valid (with newer
  /// commits applied), otherwise rebuilt; saved back when it changed. Returns whether it was rebuilt.
  ///
  /// A few newer commits are cheaper to apply at open than rewriting the whole index after each commit, so
  /// the index is saved again only once it lags `PondIndex.saveInterval` versions behind (or was rebuilt).
  func load(indexPath: String) throws -> (PondIndex, rebuilt: Bool, savedVersion: Int64) {
    let latest = try latestVersion()
    if let bytes = try? HostIO.readFile(indexPath), var index = PondIndex.parse(bytes),
      index.headVersion <= latest, index.headVersion >= 0
    {
      let known = index.headVersion
      if Hex.encode(SHA256.hash(try commitBytes(known))) == index.commits[Int(known)].sha256 {
        guard known < latest else { return (index, false, known) }
        for version in (known + 1)...latest { try apply(version, to: &index) }
        if latest - known >= PondIndex.saveInterval {
          save(index, to: indexPath)
          return (index, false, latest)
        }
        return (index, false, known)
      }
    }
    var index = PondIndex()
    for version in 0...latest { try apply(version, to: &index) }
    save(index, to: indexPath)
    return (index, true, latest)
  }

  /// Saves the index; a failure only costs a rebuild next time, so it is not an error (the pond may be on a
  /// read-only medium). Not fsynced: a crash can only leave an old, empty or torn index, which the version,
  /// commit hash and trailing SHA-256 checks turn into a rebuild.
  func save(_ index: PondIndex, to path: String) {
    try? HostIO.writeAtomically(path, index.serialized(), durable: false)
  }
}
