import FoundationEssentials
import PondFiles
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Host-file helpers on PondFiles whose errors are `PondError`s naming the path, with PondFiles' hints.
enum HostIO {
  static func failure(_ path: String, _ what: String, _ code: Int32, hint: String? = nil)
    -> PondError
  {
    PondError(
      .io, path: path, "cannot \(what): \(String(cString: strerror(code))) (errno \(code))",
      hint: hint ?? FileIOError.hint(for: .init(rawValue: code), path: path),
      errno: Errno(rawValue: code))
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
