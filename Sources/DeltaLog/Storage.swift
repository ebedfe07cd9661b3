import Foundation

/// The byte store a Delta table lives in: a local directory now, an S3-compatible bucket later.
///
/// Keys are table-relative, `/`-separated (`_delta_log/00000000000000000000.json`, `part-1.parquet`), never
/// starting with `/`. All methods block until done: call them off Swift's cooperative pool when in async code.
public protocol Storage: Sendable {
  /// The objects whose key starts with `prefix` and has no `/` after it (like S3 ListObjectsV2 with the
  /// delimiter `/`), in no particular order. A prefix naming a missing directory yields an empty list.
  func list(prefix: String) throws(StorageError) -> [StorageEntry]

  /// The whole content of a (small) object. Throws `.notFound` when there is none.
  func read(_ key: String) throws(StorageError) -> [UInt8]

  /// Up to `length` bytes of an object from byte `offset` (fewer at its end; none past it), so that large
  /// objects can be streamed in bounded chunks. Throws `.notFound` when there is none.
  func read(_ key: String, offset: Int64, length: Int) throws(StorageError) -> [UInt8]

  /// The size and modification time of an object, or nil when there is none.
  func stat(_ key: String) throws(StorageError) -> StorageEntry?

  /// Atomically creates `key` with `bytes` unless it exists; another writer's object is never overwritten
  /// and no reader ever sees a partial object.
  ///
  /// - Parameter modificationTime: ms since the epoch to record as the object's modification time where the
  ///   store allows it (locally; S3 stamps its own LastModified).
  func writeIfAbsent(_ key: String, _ bytes: [UInt8], modificationTime: Int64?)
    throws(StorageError) -> WriteIfAbsentResult

  /// Durably writes `key` with `bytes`, replacing an existing object atomically (data files).
  func put(_ key: String, _ bytes: [UInt8]) throws(StorageError)

  /// Durably writes `key` with the content of the local file `localPath`, replacing an existing object
  /// atomically, copied in bounded chunks so memory does not grow with the file's size. `observe` sees
  /// every chunk in order (to hash the file in the same pass).
  ///
  /// - Returns: the number of bytes stored.
  func put(
    _ key: String, contentsOf localPath: String, observe: (UnsafeRawBufferPointer) -> Void
  ) throws(StorageError) -> Int64
}

extension Storage {
  /// A fallback for stores without a streaming upload: reads the whole file, then `put`s it. Memory grows
  /// with the file's size; `LocalStorage` overrides this with a chunked copy.
  public func put(
    _ key: String, contentsOf localPath: String, observe: (UnsafeRawBufferPointer) -> Void
  ) throws(StorageError) -> Int64 {
    let bytes: [UInt8]
    do {
      bytes = Array(try Data(contentsOf: URL(fileURLWithPath: localPath)))
    } catch {
      throw StorageError(.io, key: key, "read source \(localPath): \(error.localizedDescription)")
    }
    bytes.withUnsafeBytes { observe($0) }
    try put(key, bytes)
    return Int64(bytes.count)
  }
}

/// The outcome of `Storage.writeIfAbsent`: losing a race is an expected result, not an error.
public enum WriteIfAbsentResult: Sendable, Equatable {
  case written
  case alreadyExists
}

/// One stored object.
public struct StorageEntry: Sendable, Equatable {
  /// The table-relative key.
  public var key: String
  /// The size in bytes.
  public var size: Int64
  /// The modification time in ms since the epoch.
  public var modificationTime: Int64

  public init(key: String, size: Int64, modificationTime: Int64) {
    self.key = key
    self.size = size
    self.modificationTime = modificationTime
  }
}

/// A failure of the storage itself (I/O, permissions, a missing object).
public struct StorageError: Error, Sendable, CustomStringConvertible, Equatable {
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    public static let notFound = Code("not found")
    public static let invalidKey = Code("invalid key")
    public static let io = Code("I/O error")
  }

  public var code: Code
  /// The key concerned.
  public var key: String
  /// The failed operation and the system's reason.
  public var message: String

  public init(_ code: Code, key: String, _ message: String) {
    self.code = code
    self.key = key
    self.message = message
  }

  public var description: String { "storage: \(code) on \(key): \(message)" }
}
