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

  /// Up to `length` bytes of an object from byte `offset` (fewer at its end; none past it).
  func read(_ key: String, offset: Int64, length: Int) throws(FileIOError) -> [UInt8]

  /// The size and modification time of an object, or nil when there is none.
  func status(_ key: String) throws(FileIOError) -> DirectoryObject?

  /// Atomically creates `key` with `bytes` unless it exists (another writer's object is never replaced, no
  /// reader sees a partial one), with the modification time `modificationTime` (ms) when given.
  func putIfAbsent(_ key: String, bytes: [UInt8], modificationTime: Int64?)
    throws(FileIOError) -> PutIfAbsentResult

  /// Durably writes `key` with `bytes`, replacing an existing object atomically.
  func put(_ key: String, bytes: [UInt8]) throws(FileIOError)

  /// Durably writes `key` with the content of the local file `localPath`, copied in bounded chunks that
  /// `observe` sees in order; returns the number of bytes stored.
  func put(
    _ key: String, contentsOf localPath: String, observe: (UnsafeRawBufferPointer) -> Void
  ) throws(FileIOError) -> Int64
}

extension DirectoryStore: Storage {}
