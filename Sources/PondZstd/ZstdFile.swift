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
/// decompress, use `ZstdCompressor.compressStream` and `ZstdDecompressor.decompressStream`.
///
/// These calls block on file I/O and compression: from async code, run them on a dedicated thread,
/// not on Swift's cooperative pool. `compress` by default starts one thread of its own for the
/// compression, joined before it returns or throws.
public enum ZstdFile {
  /// How a compression pass divides its work between threads.
  public enum Threading: Sendable, Hashable {
    /// Read, observe, compress and write on the calling thread, one after the other.
    case serial
    /// The calling thread reads and observes; a second thread compresses and writes, with at most
    /// `buffers` chunks in flight (memory: `buffers` times the chunk size).
    case pipelined(buffers: Int)
  }

  /// The chunks in flight of a pipelined pass: enough to absorb jitter between the two threads.
  public static let defaultPipelineBuffers = 4

  /// Compresses the file at `source` into one zstd frame (with content checksum) written to a new
  /// file at `destination`, which is flushed to disk (`fsync`) before returning.
  ///
  /// The stored bytes do not depend on `threading`: both schedules make the same zstd calls on the
  /// same chunks.
  ///
  /// - Parameters:
  ///   - compressor: a compressor to reuse (its level applies); a new one at `level` otherwise.
  ///   - chunkSize: the size of each read from `source`.
  ///   - threading: `.pipelined` (the default) compresses and writes on a second thread while the
  ///     calling thread reads and observes the next chunks; `.serial` does everything in turn.
  ///   - observeRawBytes: sees every byte of `source` once, in order, on the calling thread.
  /// - Throws: `ZstdFileError` when `source` cannot be read or `destination` already exists or
  ///   cannot be written (a partial `destination` is removed); `ZstdError` from zstd. Whichever
  ///   step fails first stops the whole pass.
  @discardableResult
  public static func compress(
    fileAt source: String, to destination: String, level: Int32 = Zstd.defaultLevel,
    compressor: ZstdCompressor? = nil, chunkSize: Int = Zstd.defaultChunkSize,
    threading: Threading = .pipelined(buffers: defaultPipelineBuffers),
    observeRawBytes: (UnsafeRawBufferPointer) throws -> Void = { _ in }
  ) throws -> ZstdStreamSummary {
    let compressor = try compressor ?? ZstdCompressor(level: level)
    let input = try OpenFile(readingAt: source)
    let output = try OpenFile(creatingAt: destination)
    do {
      let read = { (buffer: UnsafeMutableRawBufferPointer) throws -> Int in
        let count = try input.read(into: buffer)
        try observeRawBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return count
      }
      let summary: ZstdStreamSummary
      switch threading {
      case .serial:
        summary = try compressor.compressStream(
          chunkSize: chunkSize, read: read, write: { try output.write($0) })
      case .pipelined(let buffers):
        summary = try compressor.compressStreamPipelined(
          chunkSize: chunkSize, buffers: buffers, read: read, write: { try output.write($0) })
      }
      try output.sync()
      try output.close()
      return summary
    } catch {
      try? LocalFiles.remove(destination)
      throw error
    }
  }
}
