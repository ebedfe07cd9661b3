public import PondFiles

/// A file operation of a `ZstdFile` pass failed; the package-wide file error (path, operation, errno, hint).
public typealias ZstdFileError = FileIOError

/// Compresses a file through zstd in bounded chunks (memory independent of the file size).
///
/// The caller observes the raw (uncompressed) bytes in order as they pass, so a content hash costs no
/// second read. To store a large file under the SHA-256 of its raw bytes:
///
/// ```swift
/// let hasher = SHA256Hasher()
/// try ZstdFile.compress(fileAt: source, to: temporary) { hasher.update($0) }
/// let name = "sha256=\(Hex.encode(hasher.finalize())).zst"  // then rename temporary to name
/// ```
///
/// Destinations are created exclusively (never overwritten) and `fsync`ed; renaming them into place
/// and syncing the directory is the caller's step. For sources and sinks other than files, and to
/// decompress, use `ZstdCompressor.compressStreamPipelined` and `ZstdDecompressor.decompressStream`.
///
/// This call blocks on file I/O and compression: from async code, run it on a dedicated thread, not
/// on Swift's cooperative pool. It starts one thread of its own for the compression, joined before
/// it returns or throws.
public enum ZstdFile {
  /// The chunks in flight of a pipelined pass: enough to absorb jitter between the two threads.
  public static let defaultPipelineBuffers = 4

  /// Compresses the file at `source` into one zstd frame (with content checksum) written to a new
  /// file at `destination`, which is flushed to disk (`fsync`) before returning.
  ///
  /// A second thread compresses and writes while the calling thread reads and observes the next
  /// chunks (`ZstdCompressor.compressStreamPipelined`, `defaultPipelineBuffers` chunks in flight).
  ///
  /// - Parameters:
  ///   - chunkSize: the size of each read from `source`.
  ///   - observeRawBytes: sees every byte of `source` once, in order, on the calling thread.
  /// - Throws: `ZstdFileError` when `source` cannot be read or `destination` already exists or
  ///   cannot be written (a partial `destination` is removed); `ZstdError` from zstd. Whichever
  ///   step fails first stops the whole pass.
  @discardableResult
  public static func compress(
    fileAt source: String, to destination: String, level: Int32 = Zstd.defaultLevel,
    chunkSize: Int = Zstd.defaultChunkSize,
    observeRawBytes: (UnsafeRawBufferPointer) throws -> Void = { _ in }
  ) throws -> ZstdStreamSummary {
    let input = try OpenFile(readingAt: source)
    return try compress(
      to: destination, level: level, chunkSize: chunkSize,
      read: { buffer in
        let count = try input.read(into: buffer)
        try observeRawBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return count
      })
  }

  /// Compresses what `read` yields into one zstd frame (with content checksum) written to a new file at
  /// `destination`, flushed to disk (`fsync`) before returning: `compress(fileAt:to:)` for a source that is
  /// not a file at a path (standard input, a pipe already open).
  ///
  /// - Parameter read: fills the start of the buffer (at most `chunkSize` bytes) and returns how many bytes
  ///   it wrote there; 0 at the end of the input.
  /// - Throws: what `read` throws; `ZstdFileError` when `destination` already exists or cannot be written
  ///   (a partial `destination` is removed); `ZstdError` from zstd.
  @discardableResult
  public static func compress(
    to destination: String, level: Int32 = Zstd.defaultLevel,
    chunkSize: Int = Zstd.defaultChunkSize,
    read: (UnsafeMutableRawBufferPointer) throws -> Int
  ) throws -> ZstdStreamSummary {
    let compressor = try ZstdCompressor(level: level)
    let output = try OpenFile(creatingAt: destination)
    do {
      let summary = try compressor.compressStreamPipelined(
        chunkSize: chunkSize, read: read, write: { try output.write($0) })
      try output.sync()
      try output.close()
      return summary
    } catch {
      try? LocalFiles.remove(destination)
      throw error
    }
  }
}
