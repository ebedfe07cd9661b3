public import FoundationEssentials
public import PondFiles

/// An object store in a local directory (`file:///path`): each key is a file under the root. A thin async
/// layer over PondFiles' `DirectoryStore` (atomic, durable writes; sorted paged listing), whose blocking
/// calls run on `BlockingPool.shared`.
public struct FileObjectStore: ObjectStore {
  /// The root directory.
  public let root: URL
  public var url: String { "file://" + root.path }
  /// Keys per listing page.
  public var listPageSize = 1000
  private let directory: DirectoryStore

  /// Opens the directory at `root`.
  ///
  /// - Parameter createIfMissing: create `root` and its missing ancestors. Off by default: a remote on a
  ///   disk that is not mounted must fail, not quietly fill the filesystem underneath the mount point.
  /// - Throws: `ObjectStoreError` (`.notFound`) when the directory does not exist and may not be created,
  ///   (`.localIO`) when it is not a directory or cannot be examined or created.
  public init(root: URL, createIfMissing: Bool = false) throws {
    self.root = root.standardizedFileURL
    let path = self.root.path
    directory = DirectoryStore(root: path)
    let store = "file://" + path
    func failure(_ kind: ObjectStoreError.Kind, _ message: String, _ cause: FileIOError? = nil)
      -> ObjectStoreError
    {
      ObjectStoreError(
        kind, store: store, key: nil, operation: "open", message: message, fileError: cause)
    }
    do {
      if createIfMissing { try LocalFiles.makeDirectories(path) }
      guard try LocalFiles.existingStatus(path).isDirectory else {
        throw failure(.localIO, "\(path) is not a directory")
      }
    } catch let error as FileIOError {
      if error.errno == .noSuchFileOrDirectory {
        throw failure(
          .notFound, "directory \(path) does not exist (is the disk mounted? create it first)",
          error)
      }
      throw failure(.localIO, error.description, error)
    }
  }

  /// Checks `key` (unless it is a listing's prefix) and runs `body` on the blocking pool, reporting file
  /// failures as `.localIO` errors of `operation`.
  private func run<Value: Sendable>(
    _ operation: String, _ key: String?, isPrefix: Bool = false,
    _ body: @escaping @Sendable (DirectoryStore) throws -> Value
  ) async throws -> Value {
    if let key, !isPrefix {
      try validateKey(key, store: url, operation: operation)
      guard DirectoryStore.isValidKey(key) else {
        throw ObjectStoreError(
          .invalidArgument, store: url, key: key, operation: operation,
          message: "names starting with \(TemporaryName.prefix) are reserved for temporary files")
      }
    }
    let (directory, url) = (self.directory, self.url)
    return try await BlockingPool.shared.run {
      do {
        return try body(directory)
      } catch let error as FileIOError {
        throw ObjectStoreError(
          .localIO, store: url, key: key, operation: operation, message: error.description,
          fileError: error)
      }
    }
  }

  public func put(_ key: String, bytes: [UInt8]) async throws {
    try await run("put", key) { try $0.put(key, bytes: bytes) }
  }

  public func put(_ key: String, contentsOf file: URL) async throws {
    _ = try await run("put", key) { try $0.put(key, contentsOf: file.path) }
  }

  public func putIfAbsent(_ key: String, bytes: [UInt8], modificationTime: Int64?) async throws
    -> PutIfAbsentResult
  {
    try await run("put-if-absent", key) {
      try $0.putIfAbsent(key, bytes: bytes, modificationTime: modificationTime)
    }
  }

  public func get(_ key: String) async throws -> [UInt8] {
    let url = self.url
    return try await run("get", key) { directory in
      let file = try Self.open(key, in: directory, url: url)
      var bytes = [UInt8](repeating: 0, count: Int(try file.status().size))
      let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
      guard count == bytes.count else {
        throw ObjectStoreError(
          .integrity, store: url, key: key, operation: "get",
          message: "the object shrank while being read")
      }
      return bytes
    }
  }

  @discardableResult
  public func get(_ key: String, to file: URL) async throws -> ObjectInfo {
    let url = self.url
    return try await run("get", key) { directory in
      let input = try Self.open(key, in: directory, url: url)
      let status = try input.status()
      let length = status.size
      let output = try PendingFile(publishingAs: file.path)
      guard try input.copy(to: output.file, length: length) == length else {
        throw ObjectStoreError(
          .integrity, store: url, key: key, operation: "get",
          message: "the object shrank while being copied")
      }
      try output.publishReplacing()
      return ObjectInfo(key: key, size: length, lastModified: Self.date(status.modificationTime))
    }
  }

  public func head(_ key: String) async throws -> ObjectInfo? {
    try await run("head", key) { directory in
      try directory.status(key).map(Self.info)
    }
  }

  public func listPage(prefix: String, startAfter: String?, continuation: String?) async throws
    -> ObjectPage
  {
    let limit = listPageSize
    return try await run("list", prefix.isEmpty ? nil : prefix, isPrefix: true) { directory in
      // The continuation is the last key of the previous page.
      let page = try directory.list(
        prefix: prefix, startAfter: continuation ?? startAfter, limit: limit)
      return ObjectPage(
        objects: page.entries.map(Self.info),
        continuation: page.isTruncated ? page.entries.last?.key : nil)
    }
  }

  public func delete(_ key: String) async throws {
    try await run("delete", key) { try $0.delete(key) }
  }

  private static func open(_ key: String, in directory: DirectoryStore, url: String) throws
    -> OpenFile
  {
    do {
      return try directory.open(key)
    } catch  where [.noSuchFileOrDirectory, .notDirectory].contains(error.errno) {
      throw ObjectStoreError(
        .notFound, store: url, key: key, operation: "get", message: "no such object")
    }
  }

  private static func info(_ entry: DirectoryObject) -> ObjectInfo {
    ObjectInfo(key: entry.key, size: entry.size, lastModified: date(entry.modificationTime))
  }

  /// Whole seconds, as the listing of an S3 store gives them.
  private static func date(_ milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: (TimeInterval(milliseconds) / 1000).rounded(.down))
  }
}
