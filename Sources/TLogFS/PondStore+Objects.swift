public import DeltaLog
import PondCrypto
import PondFiles

/// What replication needs of a pond: the objects each version consists of, how a fetched object is checked,
/// opening a `data/` that was installed from elsewhere, and the replica's origin.
extension PondStore {
  /// The objects version `version` consists of: its commit file, the data file it adds, and the large files
  /// its rows name.
  ///
  /// Reads the data file straight from the log, checked against its add's SHA-256 and not kept in the
  /// persistence's cache: a push walks every version once, and memory must not grow with the history.
  public func objects(ofVersion version: Int64) throws -> VersionObjects {
    guard version >= 0, version <= head else {
      throw PondError(
        .noSuchVersion, path: root, "the pond has no version \(version) (its head is \(head))")
    }
    let log = persistence.log
    let commit = try log.commit(version)
    let rows = try commit.adds.first.map {
      try PondLog.checkedRows(
        try log.rows(of: $0, version: version), key: "data/" + $0.path, version: version)
    }
    return try VersionObjects(commit: commit, rows: rows ?? [])
  }

  /// Commit `version` of this pond, parsed (its `bytes` are the file's exact bytes).
  public func commit(_ version: Int64) throws -> CommitFile {
    try persistence.log.commit(version)
  }

  /// Opens the pond at `root` whose `data/` was installed from elsewhere, byte for byte (a restore writes a
  /// remote's objects there), adopting its version 0 as the pond's identity.
  ///
  /// Checks that version 0 is a pond of this format, creates `local/`, builds the index from the whole log
  /// (which checks every commit onto its predecessor and every data file against its add's SHA-256), and makes
  /// the new directory durable. Nothing in `data/` is written.
  public static func adopt(root: String) throws -> PondStore {
    let root = normalized(root)
    let log = PondLog(dataRoot: root + "/" + PondLayout.dataDirectory)
    guard try HostIO.status(root + "/" + PondLayout.dataDirectory)?.isDirectory == true,
      try log.commitExists(0)
    else {
      throw PondError(
        .notAPond, path: root, "no version 0 in data/_delta_log to adopt",
        hint: "install the objects of versions 0...N into data/ first")
    }
    try PondLog.checkFormat(of: try log.commit(0))
    try HostIO.makeDirectory(root + "/" + PondLayout.localDirectory)
    let store = try PondStore(root: root, mode: .read)
    try HostIO.syncDirectory(root)
    return store
  }

  /// Checks what a pond's commit is beyond DeltaLog's rules (which `CommitFile` checks): version 0 is a pond of
  /// this format, and a commit adds at most one data file. For commits read from the local log and fetched
  /// from a remote alike; the chain is `CommitFile.checkChain`'s.
  ///
  /// - Throws: `PondError` `.notAPond` (another format) or `.corrupt`, naming the commit's key.
  public static func checkShape(of commit: CommitFile) throws {
    if commit.version == 0 { try PondLog.checkFormat(of: commit) }
    let adds = commit.adds.count
    guard adds <= 1 else {
      throw PondError(
        .corrupt, path: "data/" + commit.key, "the commit adds \(adds) data files; pond writes one")
    }
  }

  /// The URL a read-only replica was restored from, or nil when the pond at `root` is writable.
  public static func origin(ofPond root: String) throws -> String? {
    let path = normalized(root) + "/" + PondLayout.originFile
    guard try HostIO.status(path) != nil else { return nil }
    let text = String(
      decoding: try HostIO.converting { try LocalFiles.readFile(path) }, as: UTF8.self)
    return text.split(separator: "\n").first.map(String.init) ?? ""
  }

  /// Marks the pond at `root` a read-only replica of `url` (durably), or makes it writable again (nil).
  public static func setOrigin(_ url: String?, ofPond root: String) throws {
    let path = normalized(root) + "/" + PondLayout.originFile
    try HostIO.converting {
      if let url {
        try LocalFiles.putReplacing(Array((url + "\n").utf8), at: path)
      } else if try LocalFiles.status(path) != nil {
        try LocalFiles.remove(path)
        try LocalFiles.syncDirectory(LocalFiles.parentDirectory(of: path))
      }
    }
  }
}

extension VersionObjects {
  /// The objects of `commit`, whose data file holds `rows` (from `Oplog.rows(ofDataFile:key:)` for a commit
  /// fetched from elsewhere).
  public init(commit: CommitFile, rows: [OplogRow]) throws {
    try PondStore.checkShape(of: commit)
    var dataFile: DataFile?
    if let add = commit.adds.first {
      guard let sha256 = add.sha256.flatMap({ SHA256Digest(hex: $0) }) else {
        throw PondError(
          .corrupt, path: "data/" + commit.key, "the add of \(add.path) has no valid tags.sha256",
          hint: "run 'pond fsck'")
      }
      dataFile = DataFile(key: add.path, size: add.size, sha256: sha256)
    }
    var largeFiles: [String: LargeFile] = [:]
    for row in rows {
      guard let key = row.blob else { continue }
      guard PondLayout.sha256(ofLargeFileKey: key) == row.sha256 else {
        throw PondError(
          .corrupt, path: "data/" + (dataFile?.key ?? commit.key),
          "a row names the large file \(key), which is not the body of its sha256 \(row.sha256)")
      }
      // An append-only row's size is its node's whole size; its body holds only what it appended.
      let exact = !row.entryType.isAppendOnly
      let known = largeFiles[key]
      // A body named by several rows (the same content in a file and an append) is checked by its tightest
      // description.
      if known == nil || (exact && known?.isExactSize == false) {
        largeFiles[key] = LargeFile(
          key: key, sha256: row.sha256, size: row.size, isExactSize: exact)
      }
    }
    self.init(
      version: commit.version, commitKey: commit.key, dataFile: dataFile,
      largeFiles: largeFiles.values.sorted { $0.key < $1.key })
  }
}

extension VersionObjects.DataFile {
  /// Checks that the file at `path` (fetched from elsewhere) is this data file of `version`: its size, its
  /// SHA-256, and a valid oplog file whose rows all belong to `version`; returns the rows.
  ///
  /// - Throws: `PondError` `.corrupt` naming `key` and what does not match.
  public func check(fileAt path: String, version: Int64) throws -> [OplogRow] {
    let found = try HostIO.converting { try LocalFiles.existingStatus(path).size }
    guard found == size else {
      throw PondError(
        .corrupt, path: key,
        "the data file holds \(found) bytes; its commit (version \(version)) records \(size)")
    }
    let bytes = try HostIO.converting { try LocalFiles.readFile(path) }
    guard Int64(bytes.count) == size, SHA256Digest(hashing: bytes) == sha256 else {
      throw PondError(
        .corrupt, path: key,
        "the data file holds \(bytes.count) bytes hashing to \(SHA256Digest(hashing: bytes).hex); "
          + "its commit (version \(version)) records \(size) bytes hashing to \(sha256.hex)")
    }
    return try PondLog.checkedRows(
      try Oplog.rows(ofDataFile: bytes, key: key), key: key, version: version)
  }
}

extension VersionObjects.LargeFile {
  /// Checks that the file at `path` (fetched from elsewhere) is this large file's body: one zstd frame of
  /// `size` raw bytes (at most `size` for a series append's) hashing to `sha256`. Streams; memory stays bounded whatever the size.
  ///
  /// - Throws: `PondError` `.corrupt` naming `key` and what does not match.
  public func check(fileAt path: String) throws {
    try LargeFiles.stream(
      file: path, key: key, sha256: sha256, expectedSize: size, exactSize: isExactSize
    ) { _ in }
  }
}
