/// Objects addressed by key in a local directory: each key names a file under `root`.
///
/// Keys are `/`-separated, relative, without empty, `.` or `..` names, and no name starts with
/// `TemporaryName.prefix` (reserved for the files writes go through). Writes are atomic and durable: the
/// file is written and flushed under a temporary name, then linked (`putIfAbsent`: never replacing) or
/// renamed (`put`) into place and the directory flushed; new directories are flushed into their parents.
/// Readers never see a partial object. All calls block; invalid keys throw `EINVAL`, a missing object
/// throws `ENOENT` (or `ENOTDIR`).
public struct DirectoryStore: Sendable {
  /// The directory holding the objects, without a trailing `/`.
  public let root: String

  /// A store over `root`; nothing is created or checked until it is used.
  public init(root: String) {
    self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
  }

  /// True when `key` is a key of this store (see the type's description).
  public static func isValidKey(_ key: String) -> Bool {
    !key.isEmpty && !key.utf8.contains(0)
      && key.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
        !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(TemporaryName.prefix)
      }
  }

  /// The path of the file holding `key`.
  public func path(of key: String, for operation: FileIOError.Operation = .status)
    throws(FileIOError) -> String
  {
    guard Self.isValidKey(key) else {
      throw FileIOError(operation, path: root + "/" + key, errno: .invalidArgument)
    }
    return root + "/" + key
  }

  // MARK: Reading

  /// Opens the object `key` for reading; anything but a regular file is missing (`ENOENT`).
  public func open(_ key: String) throws(FileIOError) -> OpenFile {
    let path = try path(of: key, for: .openForReading)
    let file: OpenFile
    do {
      file = try OpenFile(readingAt: path)
    } catch  where error.errno == .isDirectory {
      throw FileIOError(.openForReading, path: path, errno: .noSuchFileOrDirectory)
    }
    guard try file.status().isRegularFile else {
      throw FileIOError(.openForReading, path: path, errno: .noSuchFileOrDirectory)
    }
    return file
  }

  /// The whole object `key`.
  public func read(_ key: String) throws(FileIOError) -> [UInt8] {
    try open(key).readToEnd()
  }

  /// The size and modification time of the object `key`, or nil when there is none (symbolic links are
  /// followed).
  public func status(_ key: String) throws(FileIOError) -> DirectoryObject? {
    guard let status = try LocalFiles.status(path(of: key)), status.isRegularFile else {
      return nil
    }
    return DirectoryObject(key: key, size: status.size, modificationTime: status.modificationTime)
  }

  /// One page of the objects whose key starts with `prefix` and sorts after `startAfter`, in key (UTF-8
  /// byte) order: at most `limit` of them, and whether more follow (ask again after the last key).
  ///
  /// Directories are walked in order, only where keys of the page can be; each directory on the way is read
  /// whole (to sort it), but only the files taken into the page are examined. Temporary files and
  /// symbolic links are not objects. A prefix whose directory does not exist holds nothing; a directory
  /// that cannot be read fails the listing (a listing is never silently short).
  ///
  /// - Parameter recursive: false lists only the prefix's own directory (like S3 with the delimiter `/`).
  public func list(
    prefix: String, startAfter: String? = nil, limit: Int = 1000, recursive: Bool = true
  ) throws(FileIOError) -> DirectoryPage {
    precondition(limit > 0, "a page holds at least one object")
    let base = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
    // No key lies below a directory part that is not a key itself.
    guard base.isEmpty || Self.isValidKey(base) else {
      return DirectoryPage(entries: [], isTruncated: false)
    }
    var walk = Walk(
      prefix: Array(prefix.utf8), after: startAfter.map { Array($0.utf8) }, limit: limit + 1,
      recursive: recursive)
    try walk.visit(base, in: self)
    let truncated = walk.found.count > limit
    return DirectoryPage(entries: Array(walk.found.prefix(limit)), isTruncated: truncated)
  }

  private struct Walk {
    let prefix: [UInt8]
    let after: [UInt8]?
    let limit: Int
    let recursive: Bool
    var found: [DirectoryObject] = []

    private func startsWith(_ bytes: [UInt8], _ start: [UInt8]) -> Bool {
      bytes.count >= start.count && bytes[..<start.count].elementsEqual(start)
    }

    mutating func visit(_ relative: String, in store: DirectoryStore) throws(FileIOError) {
      let directory = relative.isEmpty ? store.root : store.root + "/" + relative
      guard let names = try LocalFiles.entries(inDirectory: directory) else { return }
      // Sorted as keys: a directory `d` as `d/`, so that walking in this order yields keys in order.
      var candidates: [(order: [UInt8], key: String, isDirectory: Bool)] = []
      for entry in names where !TemporaryName.isTemporary(entry.name) {
        let key = relative.isEmpty ? entry.name : relative + "/" + entry.name
        var isDirectory: Bool
        switch entry.kind {
        case .directory: isDirectory = true
        case .regular: isDirectory = false
        case .other: continue
        case .unknown:
          guard
            let status = try LocalFiles.status(directory + "/" + entry.name, followsLinks: false)
          else { continue }
          guard status.isDirectory || status.isRegularFile else { continue }
          isDirectory = status.isDirectory
        }
        if isDirectory {
          guard recursive else { continue }
          let order = Array((key + "/").utf8)
          guard startsWith(order, prefix) || startsWith(prefix, order) else { continue }
          // Every key below sorts after `order`; all are at or before `after` only when `after` is past
          // `order` without starting with it.
          if let after, order.lexicographicallyPrecedes(after), !startsWith(after, order) {
            continue
          }
          candidates.append((order, key, true))
        } else {
          let order = Array(key.utf8)
          guard startsWith(order, prefix) else { continue }
          if let after, !after.lexicographicallyPrecedes(order) { continue }
          candidates.append((order, key, false))
        }
      }
      candidates.sort { $0.order.lexicographicallyPrecedes($1.order) }
      for candidate in candidates {
        if found.count >= limit { return }
        if candidate.isDirectory {
          try visit(candidate.key, in: store)
        } else if let status = try LocalFiles.status(
          store.root + "/" + candidate.key, followsLinks: false), status.isRegularFile
        {
          // Removed (or replaced by something else) between readdir and lstat: no longer an object.
          found.append(
            DirectoryObject(
              key: candidate.key, size: status.size, modificationTime: status.modificationTime))
        }
      }
    }
  }

  // MARK: Writing

  /// Creates `key` with `bytes` unless it exists; an existing object is never replaced.
  ///
  /// - Parameter modificationTime: milliseconds since 1970 to stamp on the new file (a commit's time).
  public func putIfAbsent(_ key: String, bytes: [UInt8], modificationTime: Int64? = nil)
    throws(FileIOError) -> PutIfAbsentResult
  {
    let path = try path(of: key, for: .create)
    try LocalFiles.makeDirectories(LocalFiles.parentDirectory(of: path))
    return try LocalFiles.putIfAbsent(bytes, at: path, modificationTime: modificationTime)
  }

  /// Writes `key` with `bytes`, replacing an existing object atomically.
  public func put(_ key: String, bytes: [UInt8]) throws(FileIOError) {
    let path = try path(of: key, for: .create)
    try LocalFiles.makeDirectories(LocalFiles.parentDirectory(of: path))
    try LocalFiles.putReplacing(bytes, at: path)
  }

  /// Writes `key` with the content of the local file `localPath`, replacing an existing object
  /// atomically, copied in chunks of `OpenFile.copyChunkSize`; `observe` sees every chunk in order.
  ///
  /// - Returns: the number of bytes stored.
  @discardableResult
  public func put(
    _ key: String, contentsOf localPath: String,
    observe: (UnsafeRawBufferPointer) -> Void = { _ in }
  ) throws(FileIOError) -> Int64 {
    let path = try path(of: key, for: .create)
    let source = try OpenFile(readingAt: localPath)
    try LocalFiles.makeDirectories(LocalFiles.parentDirectory(of: path))
    let pending = try PendingFile(publishingAs: path)
    let count = try source.copy(to: pending.file, observe: observe)
    try pending.publishReplacing()
    return count
  }

  /// Removes the object `key` (a missing one is fine) and the directories it leaves empty: objects have no
  /// directories of their own.
  public func delete(_ key: String) throws(FileIOError) {
    let path = try path(of: key, for: .remove)
    try LocalFiles.remove(path)
    var parent = LocalFiles.parentDirectory(of: path)
    while parent.count > root.count, (try? LocalFiles.removeDirectory(parent)) != nil {
      parent = LocalFiles.parentDirectory(of: parent)
    }
  }
}

/// An object of a `DirectoryStore`.
public struct DirectoryObject: Sendable, Hashable {
  public var key: String
  /// The size in bytes.
  public var size: Int64
  /// Milliseconds since 1970-01-01 UTC.
  public var modificationTime: Int64

  public init(key: String, size: Int64, modificationTime: Int64) {
    self.key = key
    self.size = size
    self.modificationTime = modificationTime
  }
}

/// One page of a `DirectoryStore` listing.
public struct DirectoryPage: Sendable, Hashable {
  /// The objects, in key (UTF-8 byte) order.
  public var entries: [DirectoryObject]
  /// True when more objects follow the last one.
  public var isTruncated: Bool

  public init(entries: [DirectoryObject], isTruncated: Bool) {
    self.entries = entries
    self.isTruncated = isTruncated
  }
}
