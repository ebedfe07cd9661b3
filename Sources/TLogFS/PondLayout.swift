import DeltaLog
import FoundationEssentials
public import PondCrypto

/// Where things are in a pond: the directories under `$POND`, and the keys of the objects in `data/`, which are
/// the same in every replica and remote (a remote holds a byte-identical copy of `data/`).
public enum PondLayout {
  /// `$POND/data`: the Delta table, authoritative and replicated byte for byte.
  public static let dataDirectory = "data"
  /// `$POND/local`: this replica's own state (lock, index, settings), never replicated.
  public static let localDirectory = "local"
  /// The writer lock, relative to `$POND`.
  public static let lockFile = "local/lock"
  /// Present on a read-only replica: the URL of the remote it was restored from (one line). Write commands
  /// refuse while it exists; `pond promote` removes it.
  public static let originFile = "local/origin"
  /// The directory of large files' bodies, relative to `data/`.
  public static let largeFilesDirectory = "_large_files"

  /// The key of commit `version`: `_delta_log/<20 digits>.json` (DeltaLog's).
  public static func commitKey(version: Int64) -> String { DeltaTable.commitKey(version: version) }

  /// A new, unique key for the data file of `version`: `part-<20 digits>-<uuid>.zstd.parquet`.
  public static func newDataFileKey(version: Int64) -> String {
    let digits = String(version)
    return "part-\(String(repeating: "0", count: max(0, 20 - digits.count)) + digits)-"
      + "\(UUID().uuidString.lowercased()).zstd.parquet"
  }

  /// The key of the large file whose raw bytes hash to `sha256`: `_large_files/sha256=<hex>.zst`.
  public static func largeFileKey(sha256: String) -> String {
    "\(largeFilesDirectory)/sha256=\(sha256).zst"
  }

  /// The SHA-256 (hex) a large-file key names, or nil when `key` is not a large-file key.
  public static func sha256(ofLargeFileKey key: String) -> String? {
    let prefix = "\(largeFilesDirectory)/sha256="
    guard key.hasPrefix(prefix), key.hasSuffix(".zst") else { return nil }
    return SHA256Digest(hex: key.dropFirst(prefix.count).dropLast(4))?.hex
  }
}

/// The objects one version of a pond consists of, by key relative to `data/`: what must be stored before its
/// commit file is (replication ships them in this order), and what a restore fetches and checks.
public struct VersionObjects: Sendable, Equatable {
  /// A data file as its commit's `add` describes it.
  public struct DataFile: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// SHA-256 of the file's bytes (`tags.sha256`).
    public var sha256: SHA256Digest
  }

  /// A large file's body as its rows name it: `_large_files/sha256=<hex>.zst`, holding `size` raw bytes.
  public struct LargeFile: Sendable, Hashable {
    public var key: String
    /// SHA-256 (hex) of the raw bytes, which the key names.
    public var sha256: String
    /// The raw (uncompressed) size; for the body of a series append, the series' size after it, which bounds
    /// the append (the row records the series' size, the body holds what the append added).
    public var size: Int64
    /// True when `size` is exact (a file's body), false when it is a bound (a series append's).
    public var isExactSize: Bool
  }

  public var version: Int64
  /// The commit file's key; it is written last.
  public var commitKey: String
  /// The data file the commit adds (pond commits add one; nil for a commit that adds none).
  public var dataFile: DataFile?
  /// The large files its rows name, each key once, sorted by key.
  public var largeFiles: [LargeFile]
}
