import PondFiles

extension ParquetError {
  /// A file-system failure of PondFiles, as an I/O error of the Parquet file at its path.
  init(_ error: FileIOError) {
    self.init(path: error.path, kind: .io, reason: error.description)
  }
}

/// Runs PondFiles calls, reporting their failure as a `ParquetError`.
///
/// The body is untyped because closures do not infer typed throws; PondFiles throws only `FileIOError`.
func parquetIO<Value>(_ body: () throws -> Value) throws(ParquetError) -> Value {
  do {
    return try body()
  } catch let error as FileIOError {
    throw ParquetError(error)
  } catch let error as ParquetError {
    throw error
  } catch {
    preconditionFailure("PondFiles threw \(error)")
  }
}

extension OpenFile {
  /// Writes all of `bytes` at the current offset.
  func writeAll(_ bytes: [UInt8]) throws(ParquetError) {
    try parquetIO { try write(bytes) }
  }

  /// Reads exactly `buffer.count` bytes at `offset`; a file that ends earlier is corrupt.
  func readExactly(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64)
    throws(ParquetError)
  {
    let count = try parquetIO { try read(into: buffer, at: offset) }
    guard count == buffer.count else {
      throw ParquetError(
        path: path, kind: .corrupt,
        reason:
          "file ended at byte \(offset + Int64(count)) while reading \(buffer.count) bytes at \(offset)"
      )
    }
  }

  /// Exactly `count` bytes at `offset`; a file that ends earlier is corrupt.
  func read(count: Int, at offset: Int64) throws(ParquetError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    try bytes.withUnsafeMutableBytes { buffer in
      Result { () throws(ParquetError) in try readExactly(into: buffer, at: offset) }
    }.get()
    return bytes
  }
}
