import Foundation
import PondFiles

/// An object store in a local directory (`file:///path`): each key is a file under the root. Writes go
/// to a temporary file in the target's directory, are flushed, and are then renamed (put) or hard-linked
/// (put-if-absent) into place, so readers never see a partial object.
public struct FileObjectStore: ObjectStore {
  /// The root directory.
  public let root: URL
  public var url: String { "file://" + root.path }

  /// Temporary files start with this and are never listed.
  static let temporaryPrefix = ".pond-tmp-"
  private static let chunkSize = 1 << 20

  /// Opens the directory at `root`.
  ///
  /// - Parameter createIfMissing: create `root` and its missing ancestors. Off by default: a remote on a
  ///   disk that is not mounted must fail, not quietly fill the filesystem underneath the mount point.
  /// - Throws: `ObjectStoreError` (`.notFound`) when the directory does not exist and may not be created,
  ///   (`.localIO`) when it is not a directory or cannot be examined or created.
  public init(root: URL, createIfMissing: Bool = false) throws {
    self.root = root.standardizedFileURL
    let path = self.root.path
    let store = "file://" + path
    func failure(_ kind: ObjectStoreError.Kind, _ message: String) -> ObjectStoreError {
      ObjectStoreError(kind, store: store, key: nil, operation: "open", message: message)
    }
    do {
      if createIfMissing { try LocalFiles.makeDirectories(path) }
      guard try LocalFiles.existingStatus(path).isDirectory else {
        throw failure(.localIO, "\(path) is not a directory")
      }
    } catch let error as FileIOError {
      if error.errno == .noSuchFileOrDirectory {
        throw failure(
          .notFound, "directory \(path) does not exist (is the disk mounted? create it first)")
      }
      throw failure(.localIO, error.description)
    }
  }

  private func path(_ key: String, _ operation: String) throws -> String {
    try validateKey(key, store: url, operation: operation)
    let last = key.split(separator: "/").last!
    if last.hasPrefix(Self.temporaryPrefix) {
      throw ObjectStoreError(
        .invalidArgument, store: url, key: key, operation: operation,
        message:
          "keys whose last name starts with \(Self.temporaryPrefix) are reserved for temporary files"
      )
    }
    return root.path + "/" + key
  }

  /// Runs PondFiles calls, reporting their failures as `.localIO` errors of `operation` on `key`.
  private func localIO<Value>(_ operation: String, _ key: String?, _ body: () throws -> Value)
    throws
    -> Value
  {
    do {
      return try body()
    } catch let error as FileIOError {
      throw ObjectStoreError(
        .localIO, store: url, key: key, operation: operation, message: error.description)
    }
  }

  public func put(_ key: String, bytes: [UInt8]) async throws {
    let target = try path(key, "put")
    try await runBlocking {
      try localIO("put", key) {
        let temporary = try temporaryPath(for: target)
        try LocalFiles.writeNewFile(bytes, at: temporary)
        try LocalFiles.publishReplacing(temporary, as: target)
      }
    }
  }

  public func put(_ key: String, contentsOf file: URL) async throws {
    let target = try path(key, "put")
    try await runBlocking {
      let source = try localIO("put", key) { try OpenFile(readingAt: file.path) }
      let temporary = try writeTemporary(for: target, key: key, operation: "put") { output in
        try copy(from: source, offset: 0, length: nil, to: output, key: key, operation: "put")
      }
      try localIO("put", key) { try LocalFiles.publishReplacing(temporary, as: target) }
    }
  }

  public func putIfAbsent(_ key: String, bytes: [UInt8]) async throws -> PutIfAbsentResult {
    let target = try path(key, "put-if-absent")
    return try await runBlocking {
      try localIO("put-if-absent", key) {
        let temporary = try temporaryPath(for: target)
        try LocalFiles.writeNewFile(bytes, at: temporary)
        // link() fails with EEXIST instead of replacing: the atomic "create only if absent".
        switch try LocalFiles.publishIfAbsent(temporary, as: target) {
        case .published: return .created
        case .alreadyExists: return .alreadyExists
        }
      }
    }
  }

  public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
    let source = try path(key, "get")
    return try await runBlocking {
      let file = try openExisting(source, key: key, operation: "get")
      let (offset, length) = try resolve(range, file: file, key: key)
      var bytes = [UInt8](repeating: 0, count: Int(length))
      let count = try localIO("get", key) {
        try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
      }
      guard count == bytes.count else {
        throw ObjectStoreError(
          .integrity, store: url, key: key, operation: "get",
          message: "the object shrank while being read")
      }
      return bytes
    }
  }

  @discardableResult
  public func get(_ key: String, to file: URL, range: ByteRange?) async throws -> ObjectInfo {
    let source = try path(key, "get")
    return try await runBlocking {
      let input = try openExisting(source, key: key, operation: "get")
      let (offset, length) = try resolve(range, file: input, key: key)
      let temporary = try writeTemporary(for: file.path, key: key, operation: "get") { output in
        try copy(
          from: input, offset: offset, length: length, to: output, key: key, operation: "get")
      }
      try localIO("get", key) { try LocalFiles.publishReplacing(temporary, as: file.path) }
      let modified = try? input.status().modificationTime
      return ObjectInfo(key: key, size: length, etag: nil, lastModified: modified.map(Self.date))
    }
  }

  public func head(_ key: String) async throws -> ObjectInfo? {
    let target = try path(key, "head")
    return try await runBlocking {
      guard let status = try localIO("head", key, { try LocalFiles.status(target) }),
        status.isRegularFile
      else { return nil }
      return ObjectInfo(
        key: key, size: status.size, lastModified: Self.date(status.modificationTime))
    }
  }

  public func list(prefix: String, startAfter: String?) async throws -> [ObjectInfo] {
    let rootPath = root.path
    return try await runBlocking {
      var found: [ObjectInfo] = []
      // Only walk the directory the prefix points into.
      let directoryPart = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        .joined(separator: "/")
      try walk(
        rootPath, relative: directoryPart, into: &found, prefix: prefix, startAfter: startAfter)
      return found.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }
    }
  }

  private func walk(
    _ rootPath: String, relative: String, into found: inout [ObjectInfo], prefix: String,
    startAfter: String?
  ) throws {
    let directory = relative.isEmpty ? rootPath : rootPath + "/" + relative
    // A directory that does not exist holds nothing (nothing was ever stored under it). Any other failure
    // (permissions, I/O) is an error: a listing is never silently shortened.
    let names = try localIO("list", relative.isEmpty ? nil : relative) {
      try LocalFiles.names(inDirectory: directory)
    }
    for name in names ?? [] where !name.hasPrefix(Self.temporaryPrefix) {
      let key = relative.isEmpty ? name : relative + "/" + name
      // Removed between readdir and lstat: no longer an object.
      guard
        let status = try localIO(
          "list", key, { try LocalFiles.status(directory + "/" + name, followsLinks: false) })
      else { continue }
      if status.isDirectory {
        if key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") {
          try walk(rootPath, relative: key, into: &found, prefix: prefix, startAfter: startAfter)
        }
      } else if status.isRegularFile, key.hasPrefix(prefix) {
        if let startAfter, !Array(startAfter.utf8).lexicographicallyPrecedes(key.utf8) { continue }
        found.append(
          ObjectInfo(
            key: key, size: status.size, lastModified: Self.date(status.modificationTime)))
      }
    }
  }

  public func delete(_ key: String) async throws {
    let target = try path(key, "delete")
    let rootPath = root.path
    try await runBlocking {
      try localIO("delete", key) { try LocalFiles.remove(target) }
      // Object stores have no directories: drop parents the delete left empty.
      var parent = LocalFiles.parentDirectory(of: target)
      while parent.count > rootPath.count, (try? LocalFiles.removeDirectory(parent)) != nil {
        parent = LocalFiles.parentDirectory(of: parent)
      }
    }
  }

  // MARK: - Blocking helpers (run inside runBlocking)

  /// Whole seconds, as the listing of an S3 store gives them.
  private static func date(_ milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: (TimeInterval(milliseconds) / 1000).rounded(.down))
  }

  private func openExisting(_ path: String, key: String, operation: String) throws -> OpenFile {
    let notFound = ObjectStoreError(
      .notFound, store: url, key: key, operation: operation, message: "no such object")
    let file: OpenFile
    do {
      file = try OpenFile(readingAt: path)
    } catch {
      if [.noSuchFileOrDirectory, .notDirectory, .isDirectory].contains(error.errno) {
        throw notFound
      }
      throw ObjectStoreError(
        .localIO, store: url, key: key, operation: operation, message: error.description)
    }
    guard try localIO(operation, key, { try file.status() }).isRegularFile else { throw notFound }
    return file
  }

  private func resolve(_ range: ByteRange?, file: OpenFile, key: String) throws -> (Int64, Int64) {
    let size = try localIO("get", key) { try file.status().size }
    guard let range else { return (0, size) }
    guard range.offset < size else {
      throw ObjectStoreError(
        .invalidRange, store: url, key: key, operation: "get",
        message: "range \(range) starts beyond the object's \(size) bytes")
    }
    let end = min(size, range.length.map { range.offset + $0 } ?? size)
    return (range.offset, end - range.offset)
  }

  /// A new temporary name next to `target`, whose directory (and its parents) is created.
  private func temporaryPath(for target: String) throws(FileIOError) -> String {
    let directory = LocalFiles.parentDirectory(of: target)
    try LocalFiles.makeDirectories(directory)
    return directory + "/" + Self.temporaryPrefix + UUID().uuidString
  }

  /// Creates a temporary file next to `target` (making parent directories), fills it, flushes it, and
  /// returns its path. The file is removed if filling fails.
  private func writeTemporary(
    for target: String, key: String, operation: String, fill: (OpenFile) throws -> Void
  ) throws -> String {
    let (temporary, output) = try localIO(operation, key) {
      let temporary = try temporaryPath(for: target)
      return (temporary, try OpenFile(creatingAt: temporary))
    }
    do {
      try fill(output)
      try localIO(operation, key) {
        try output.sync()
        try output.close()
      }
    } catch {
      try? LocalFiles.remove(temporary)
      throw error
    }
    return temporary
  }

  /// Copies `length` bytes (or all, when nil) of `source` from `offset` to `target`, in bounded chunks.
  private func copy(
    from source: OpenFile, offset: Int64, length: Int64?, to target: OpenFile, key: String,
    operation: String
  ) throws {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    var position = offset
    var remaining = length ?? Int64.max
    while remaining > 0 {
      let want = Int(min(Int64(buffer.count), remaining))
      let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])
      let count = try localIO(operation, key) { try source.read(into: chunk, at: position) }
      try localIO(operation, key) {
        try target.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
      }
      position += Int64(count)
      remaining -= Int64(count)
      if count < want {
        if length == nil { break }
        throw ObjectStoreError(
          .integrity, store: url, key: key, operation: operation,
          message: "\(source.path) shrank while being copied")
      }
    }
  }
}
