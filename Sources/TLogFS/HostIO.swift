import Foundation
import PondFiles

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Host-file helpers on PondFiles whose errors are `PondError`s naming the path, with PondFiles' hints.
enum HostIO {
  static func failure(_ path: String, _ what: String, _ code: Int32 = errno, hint: String? = nil)
    -> PondError
  {
    PondError(
      .io, path: path, "cannot \(what): \(String(cString: strerror(code))) (errno \(code))",
      hint: hint ?? FileIOError.hint(for: .init(rawValue: code), path: path))
  }

  /// The `PondError` for a failure reported by PondFiles.
  static func failure(_ error: FileIOError) -> PondError {
    failure(error.path, error.operation.description, error.errorNumber)
  }

  /// Runs PondFiles calls, reporting their failures as `PondError`s.
  static func converting<Value>(_ body: () throws -> Value) throws -> Value {
    do {
      return try body()
    } catch let error as FileIOError {
      throw failure(error)
    }
  }

  /// The whole file at `path`.
  static func readFile(_ path: String) throws -> [UInt8] {
    try converting { try LocalFiles.readFile(path) }
  }

  /// Writes `bytes` to a new temporary file next to `path`, fsyncs it, renames it over `path` and fsyncs the
  /// directory: `path` holds the old bytes or the new ones, never a torn mix. Without `durable` the fsyncs are
  /// skipped (for caches that detect their own damage): a crash may then leave an empty or old file.
  static func writeAtomically(_ path: String, _ bytes: [UInt8], durable: Bool = true) throws {
    let temporary = path + ".tmp-\(UUID().uuidString.lowercased())"
    try converting {
      try LocalFiles.writeNewFile(bytes, at: temporary, durable: durable)
      try LocalFiles.publishReplacing(temporary, as: path, durable: durable)
    }
  }

  static func parent(of path: String) -> String {
    LocalFiles.parentDirectory(of: path)
  }

  static func syncDirectory(_ path: String) throws {
    try converting { try LocalFiles.syncDirectory(path) }
  }

  static func makeDirectory(_ path: String) throws {
    try converting { _ = try LocalFiles.makeDirectory(path) }
  }

  /// The kind and size of a host path, following symbolic links; nil when it does not exist.
  static func status(_ path: String) throws -> (isDirectory: Bool, isRegular: Bool, size: Int64)? {
    guard let status = try converting({ try LocalFiles.status(path) }) else { return nil }
    return (status.isDirectory, status.isRegularFile, status.size)
  }
}

/// A new file opened for writing (`O_EXCL`), removed again unless `syncAndClose` succeeds.
final class FileWriter {
  let path: String
  private let file: OpenFile
  private var done = false

  init(creating path: String) throws {
    self.path = path
    file = try HostIO.converting { try OpenFile(creatingAt: path) }
  }

  deinit {
    if !done { try? LocalFiles.remove(path) }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    try HostIO.converting { try file.write(bytes) }
  }

  func write(_ bytes: [UInt8]) throws {
    try HostIO.converting { try file.write(bytes) }
  }

  func syncAndClose(durable: Bool = true) throws {
    if durable { try HostIO.converting { try file.sync() } }
    done = true
    do {
      try file.close()
    } catch {
      try? LocalFiles.remove(path)
      throw HostIO.failure(error)
    }
  }
}

/// A file opened for reading in chunks.
final class FileReader {
  let path: String
  private let file: OpenFile

  init(_ path: String) throws {
    self.path = path
    file = try HostIO.converting { try OpenFile(readingAt: path) }
  }

  /// Fills `buffer` from the file; returns less than its size only at the end of the file.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    try HostIO.converting { try file.read(into: buffer) }
  }
}
