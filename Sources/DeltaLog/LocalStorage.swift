import Foundation
import PondFiles

/// `Storage` over a local directory, on PondFiles.
///
/// `writeIfAbsent` writes `<dir>/_commit_<uuid>.json.tmp`, stamps its mtime, fsyncs it, `link()`s it to the
/// final name (EEXIST means another writer won), unlinks the temporary name and fsyncs the directory. The final
/// name therefore appears complete, durable and with its final mtime, or not at all: never empty or torn, which
/// `O_CREAT|O_EXCL` followed by a write could leave behind (delta-parquet.md §2.9).
public struct LocalStorage: Storage {
  /// The directory holding the table (the table root).
  public let root: String

  public init(root: String) {
    self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
  }

  public func list(prefix: String) throws(StorageError) -> [StorageEntry] {
    let directory: String
    let namePrefix: String
    if let slash = prefix.lastIndex(of: "/") {
      directory = String(prefix[...slash])
      namePrefix = String(prefix[prefix.index(after: slash)...])
    } else {
      directory = ""
      namePrefix = prefix
    }
    if !directory.isEmpty { try Self.validate(String(directory.dropLast())) }
    let directoryPath = directory.isEmpty ? root : root + "/" + directory
    guard let names = try Self.io(key: prefix, { try LocalFiles.names(inDirectory: directoryPath) })
    else { return [] }
    var entries: [StorageEntry] = []
    for name in names where name.hasPrefix(namePrefix) {
      // Between readdir and stat the object may vanish (a racing writer's temporary file): skip it then.
      if let found = try stat(directory + name) { entries.append(found) }
    }
    return entries
  }

  public func read(_ key: String) throws(StorageError) -> [UInt8] {
    let file = try open(key)
    return try Self.io(key: key) { try file.readToEnd() }
  }

  public func read(_ key: String, offset: Int64, length: Int) throws(StorageError) -> [UInt8] {
    precondition(offset >= 0 && length >= 0, "negative range \(offset), \(length)")
    let file = try open(key)
    var bytes = [UInt8](repeating: 0, count: length)
    let filled = try Self.io(key: key) {
      try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
    }
    bytes.removeSubrange(filled...)
    return bytes
  }

  public func stat(_ key: String) throws(StorageError) -> StorageEntry? {
    try Self.validate(key)
    guard let status = try Self.io(key: key, { try LocalFiles.status(fullPath(key)) }),
      status.isRegularFile
    else { return nil }
    return StorageEntry(key: key, size: status.size, modificationTime: status.modificationTime)
  }

  public func writeIfAbsent(_ key: String, _ bytes: [UInt8], modificationTime: Int64?)
    throws(StorageError) -> WriteIfAbsentResult
  {
    try Self.validate(key)
    let directory = try makeDirectories(for: key)
    let temporary = directory + "/_commit_\(UUID().uuidString.lowercased()).json.tmp"
    let result = try Self.io(key: key) {
      try LocalFiles.writeNewFile(bytes, at: temporary, modificationTime: modificationTime)
      return try LocalFiles.publishIfAbsent(temporary, as: fullPath(key))
    }
    return result == .published ? .written : .alreadyExists
  }

  public func put(_ key: String, _ bytes: [UInt8]) throws(StorageError) {
    try Self.validate(key)
    let directory = try makeDirectories(for: key)
    let temporary = directory + "/_put_\(UUID().uuidString.lowercased()).tmp"
    try Self.io(key: key) {
      try LocalFiles.writeNewFile(bytes, at: temporary)
      try LocalFiles.publishReplacing(temporary, as: fullPath(key))
    }
  }

  /// How much of a source file `put(_:contentsOf:observe:)` copies at a time.
  public static let copyChunkSize = 1 << 20

  public func put(
    _ key: String, contentsOf localPath: String, observe: (UnsafeRawBufferPointer) -> Void
  ) throws(StorageError) -> Int64 {
    try Self.validate(key)
    let source = try Self.io(key: key, about: "source file") { try OpenFile(readingAt: localPath) }
    let directory = try makeDirectories(for: key)
    let temporary = directory + "/_put_\(UUID().uuidString.lowercased()).tmp"
    return try Self.io(key: key) {
      let target = try OpenFile(creatingAt: temporary)
      let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: Self.copyChunkSize, alignment: 16)
      defer { buffer.deallocate() }
      var total: Int64 = 0
      do {
        while true {
          let count = try Self.io(key: key, about: "source file") { try source.read(into: buffer) }
          let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
          observe(chunk)
          try target.write(chunk)
          total += Int64(count)
          if count < buffer.count { break }
        }
        try target.sync()
        try target.close()
      } catch {
        try? LocalFiles.remove(temporary)
        throw error
      }
      try LocalFiles.publishReplacing(temporary, as: fullPath(key))
      return total
    }
  }

  // MARK: - Helpers

  private func fullPath(_ key: String) -> String { root + "/" + key }

  /// Opens the object `key` for reading; a missing one is `.notFound`.
  private func open(_ key: String) throws(StorageError) -> OpenFile {
    try Self.validate(key)
    do {
      return try OpenFile(readingAt: fullPath(key))
    } catch {
      if error.errno == .noSuchFileOrDirectory {
        throw StorageError(.notFound, key: key, "no such object")
      }
      throw Self.failure(error, key: key)
    }
  }

  private static func validate(_ key: String) throws(StorageError) {
    let components = key.split(separator: "/", omittingEmptySubsequences: false)
    guard !key.isEmpty, !key.contains("\0"),
      components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
    else {
      throw StorageError(
        .invalidKey, key: key,
        "keys are relative, '/'-separated, without empty, '.' or '..' components")
    }
  }

  /// Creates the root and the directories of `key` as needed and returns the directory's path; a new
  /// directory's entry is made durable by fsyncing its parent, so a committed file can never vanish with its
  /// directory after a power cut.
  private func makeDirectories(for key: String) throws(StorageError) -> String {
    let directory = LocalFiles.parentDirectory(of: fullPath(key))
    try Self.io(key: key) { try LocalFiles.makeDirectories(directory) }
    return directory
  }

  /// Runs PondFiles calls, reporting their failures as `.io` errors on `key`.
  ///
  /// - Parameter subject: named before the error when the path is not the object's (a source file).
  private static func io<Value>(
    key: String, about subject: String? = nil, _ body: () throws -> Value
  )
    throws(StorageError) -> Value
  {
    do {
      return try body()
    } catch let error as FileIOError {
      throw failure(error, key: key, about: subject)
    } catch let error as StorageError {
      throw error
    } catch {
      preconditionFailure("PondFiles threw \(error)")
    }
  }

  private static func failure(_ error: FileIOError, key: String, about subject: String? = nil)
    -> StorageError
  {
    StorageError(.io, key: key, subject.map { "\($0): \(error)" } ?? error.description)
  }
}
