import DeltaLog
import PondCrypto

/// What replication needs of a pond: the objects each version consists of, and opening a `data/` that was
/// installed from elsewhere.
extension PondStore {
  /// The objects version `version` consists of: its commit file, the data file it adds, and the large files
  /// its rows name.
  public func objects(ofVersion version: Int64) throws -> VersionObjects {
    let rows = try persistence.rows(ofVersion: version)  // checks that the version exists
    let commit = try persistence.log.commit(version)
    var dataFile: VersionObjects.DataFile?
    if let add = commit.adds.first {
      guard let sha256 = add.sha256.flatMap({ SHA256Digest(hex: $0) }) else {
        throw PondError(
          .corrupt, path: "data/" + commit.key, "the add of \(add.path) has no valid tags.sha256",
          hint: "run 'pond fsck'")
      }
      dataFile = VersionObjects.DataFile(key: add.path, size: add.size, sha256: sha256)
    }
    return VersionObjects(
      version: version, commitKey: commit.key, dataFile: dataFile,
      largeFileKeys: Set(rows.compactMap(\.blob)).sorted())
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
}
