#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file operation of a `ZstdFile` pass failed (`open`, `read`, `write`, `fsync`, `close`).
public struct ZstdFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file concerned.
  public let path: String
  /// What was being done, e.g. "open for reading".
  public let operation: String
  /// The `errno` value reported by the system.
  public let errorNumber: Int32

  public init(path: String, operation: String, errorNumber: Int32) {
    self.path = path
    self.operation = operation
    self.errorNumber = errorNumber
  }

  public var description: String {
    "cannot \(operation) \(path): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
  }
}

/// Streams a file through zstd in bounded chunks (memory independent of the file size).
///
/// Both directions let the caller observe the raw (uncompressed) bytes in order as they pass, so a
/// content hash costs no second read. To store a large file under the SHA-256 of its raw bytes:
///
/// ```swift
/// let hasher = SHA256Hasher()
/// try ZstdFile.compress(fileAt: source, to: temporary) { hasher.update($0) }
/// let name = "sha256=\(Hex.encode(hasher.finalize())).zst"  // then rename temporary to name
/// ```
///
/// Destinations are created exclusively (never overwritten) and `fsync`ed; renaming them into place
/// and syncing the directory is the caller's step. For sources and sinks other than files, use
/// `ZstdCompressor.compressStream` and `ZstdDecompressor.decompressStream`.
///
/// These calls block on file I/O and compression: from async code, run them on a dedicated thread,
/// not on Swift's cooperative pool.
public enum ZstdFile {
  /// Compresses the file at `source` into one zstd frame (with content checksum) written to a new
  /// file at `destination`, which is flushed to disk (`fsync`) before returning.
  ///
  /// - Parameters:
  ///   - compressor: a compressor to reuse (its level applies); a new one at `level` otherwise.
  ///   - observeRawBytes: sees every byte of `source` once, in order.
  /// - Throws: `ZstdFileError` when `source` cannot be read or `destination` already exists or
  ///   cannot be written (a partial `destination` is removed); `ZstdError` from zstd.
  @discardableResult
  public static func compress(
    fileAt source: String, to destination: String, level: Int32 = Zstd.defaultLevel,
    compressor: ZstdCompressor? = nil,
    observeRawBytes: (UnsafeRawBufferPointer) throws -> Void = { _ in }
  ) throws -> ZstdStreamSummary {
    let compressor = try compressor ?? ZstdCompressor(level: level)
    let input = try OwnedDescriptor(opening: source, forWriting: false)
    var output = try OwnedDescriptor(opening: destination, forWriting: true)
    do {
      let summary = try compressor.compressStream(
        read: { buffer in
          let count = try input.read(into: buffer)
          try observeRawBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
          return count
        },
        write: { try output.write($0) })
      try output.syncAndClose()
      return summary
    } catch {
      output.removeFile()
      throw error
    }
  }

  /// Decompresses the zstd stream in the file at `source` (one or more frames) into a new file at
  /// `destination`, flushed to disk (`fsync`) before returning.
  ///
  /// - Parameters:
  ///   - maxOutputSize: the most raw bytes to accept; beyond it the pass fails (no zip bombs).
  ///   - decompressor: a decompressor to reuse (its bound is replaced by `maxOutputSize`).
  ///   - observeRawBytes: sees every decoded byte once, in order.
  /// - Throws: `ZstdError` (message prefixed with `source`) for corrupt, truncated or oversized
  ///   data; `ZstdFileError` for file errors. On any error a partial `destination` is removed.
  @discardableResult
  public static func decompress(
    fileAt source: String, to destination: String, maxOutputSize: Int,
    decompressor: ZstdDecompressor? = nil,
    observeRawBytes: (UnsafeRawBufferPointer) throws -> Void = { _ in }
  ) throws -> ZstdStreamSummary {
    let decompressor = try decompressor ?? ZstdDecompressor(maxOutputSize: maxOutputSize)
    decompressor.reset(maxOutputSize: maxOutputSize)
    let input = try OwnedDescriptor(opening: source, forWriting: false)
    var output = try OwnedDescriptor(opening: destination, forWriting: true)
    do {
      let summary = try decompressor.decompressStream(
        read: { try input.read(into: $0) },
        write: { chunk in
          try observeRawBytes(chunk)
          try output.write(chunk)
        })
      try output.syncAndClose()
      return summary
    } catch let error as ZstdError {
      output.removeFile()
      throw error.prefixed(source)
    } catch {
      output.removeFile()
      throw error
    }
  }
}

#if canImport(Glibc)
  private let systemRead = Glibc.read
  private let systemWrite = Glibc.write
#elseif canImport(Darwin)
  private let systemRead = Darwin.read
  private let systemWrite = Darwin.write
#endif

/// One open file descriptor, closed exactly once (explicitly or in `deinit`).
struct OwnedDescriptor: ~Copyable {
  let path: String
  private var descriptor: Int32

  init(opening path: String, forWriting: Bool) throws {
    let flags = forWriting ? O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC : O_RDONLY | O_CLOEXEC
    var fd: Int32
    repeat {
      fd = open(path, flags, 0o644)
    } while fd < 0 && errno == EINTR
    guard fd >= 0 else {
      throw ZstdFileError(
        path: path, operation: forWriting ? "create (must not exist)" : "open for reading",
        errorNumber: errno)
    }
    self.path = path
    self.descriptor = fd
  }

  deinit {
    if descriptor >= 0 { _ = close(descriptor) }
  }

  /// Fills `buffer` as far as the file allows; returns less than its size only at end of file.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var filled = 0
    while filled < buffer.count {
      let n = systemRead(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
      if n < 0 {
        if errno == EINTR { continue }
        throw ZstdFileError(path: path, operation: "read", errorNumber: errno)
      }
      if n == 0 { break }
      filled += n
    }
    return filled
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    var written = 0
    while written < bytes.count {
      let n = systemWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
      if n < 0 {
        if errno == EINTR { continue }
        throw ZstdFileError(path: path, operation: "write", errorNumber: errno)
      }
      written += n
    }
  }

  mutating func syncAndClose() throws {
    if fsync(descriptor) != 0 {
      throw ZstdFileError(path: path, operation: "fsync", errorNumber: errno)
    }
    let fd = descriptor
    descriptor = -1
    // Linux closes the descriptor even when close reports an error; never retry.
    if close(fd) != 0 {
      throw ZstdFileError(path: path, operation: "close", errorNumber: errno)
    }
  }

  /// Removes the (partial) file this descriptor created.
  func removeFile() {
    _ = unlink(path)
  }
}
