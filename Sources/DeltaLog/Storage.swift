public import PondFiles

/// The byte store a Delta table lives in, read and written synchronously: a local directory, for which
/// `DirectoryStore` (PondFiles) conforms as it is. Replication reads and writes the same commits through an
/// `ObjectStore`, asynchronously, with the same `CommitFile` values.
///
/// Keys are table-relative and `/`-separated (`_delta_log/00000000000000000000.json`, `part-1.parquet`). All
/// methods block: call them off Swift's cooperative pool from async code. Failures are `FileIOError`s naming
/// the path and errno; a missing object is `ENOENT`, an invalid key `EINVAL`.
public protocol Storage: Sendable {
  /// One page of the objects whose key starts with `prefix` and sorts after `startAfter`, in key order;
  /// only the prefix's own directory unless `recursive`.
  func list(prefix: String, startAfter: String?, limit: Int, recursive: Bool)
    throws(FileIOError) -> DirectoryPage

  /// The whole content of a (small) object.
  func read(_ key: String) throws(FileIOError) -> [UInt8]

  /// Atomically creates `key` with `bytes` unless it exists (another writer's object is never replaced, no
  /// reader sees a partial one), with the modification time `modificationTime` (ms) when given.
  func putIfAbsent(_ key: String, bytes: [UInt8], modificationTime: Int64?)
    throws(FileIOError) -> PutIfAbsentResult
}

extension DirectoryStore: Storage {}
