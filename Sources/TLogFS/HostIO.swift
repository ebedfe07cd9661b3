import FoundationEssentials
import PondFiles

/// Host-file helpers on PondFiles whose errors are `PondError`s naming the path, with PondFiles' hints.
enum HostIO {
  /// The `PondError` for a failure reported by PondFiles, with PondFiles' hint unless `hint` replaces it.
  static func failure(_ error: FileIOError, hint: String? = nil) -> PondError {
    PondError(
      .io, path: error.path,
      "cannot \(error.operation): \(error.errno) (errno \(error.errorNumber))",
      hint: hint ?? error.hint, errno: error.errno)
  }

  /// Runs PondFiles calls, reporting their failures as `PondError`s.
  static func converting<Value>(_ body: () throws -> Value) throws -> Value {
    do {
      return try body()
    } catch let error as FileIOError {
      throw failure(error)
    }
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
