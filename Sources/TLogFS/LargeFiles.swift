import PondCrypto
import PondFiles
import PondZstd

/// The content-addressed bodies of large files: `data/_large_files/sha256=<hex>.zst`, one zstd frame of the
/// raw bytes named by the raw bytes' SHA-256. Each body is written once (temporary file, fsync, link,
/// directory fsync); memory stays bounded whatever the size.
struct LargeFiles {
  /// Files of this many bytes or more are stored here instead of inline.
  static let threshold = 64 << 10
  static let level: Int32 = 3

  /// The table root (`$POND/data`).
  let dataRoot: String

  func path(sha256: String) -> String { dataRoot + "/" + PondLayout.largeFileKey(sha256: sha256) }

  private var directoryPath: String { dataRoot + "/" + PondLayout.largeFilesDirectory }

  /// Streams the host file at `source` into the store; returns its SHA-256 and size.
  func store(hostFile source: String) throws -> (sha256: String, size: Int64) {
    try store(named: source) { temporary, hasher in
      try ZstdFile.compress(fileAt: source, to: temporary, level: Self.level) { hasher.update($0) }
    }
  }

  /// Streams `prefix` and then what remains of `input` (to its end) into the store; returns their
  /// SHA-256 and size. For a source whose size is not known before it is read (standard input, a pipe).
  func store(prefix: [UInt8], thenRestOf input: OpenFile) throws -> (sha256: String, size: Int64) {
    var served = 0
    return try store(named: input.path) { temporary, hasher in
      try ZstdFile.compress(to: temporary, level: Self.level) { buffer in
        let count: Int
        if served < prefix.count {
          count = min(buffer.count, prefix.count - served)
          prefix.withUnsafeBytes { bytes in
            buffer.copyMemory(
              from: UnsafeRawBufferPointer(rebasing: bytes[served..<(served + count)]))
          }
          served += count
        } else {
          count = try input.read(into: buffer)
        }
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return count
      }
    }
  }

  /// Runs `compress` into a temporary file of the store, then publishes it under the SHA-256 that
  /// `compress` fed to the hasher; `source` names what was read in errors.
  private func store(
    named source: String, _ compress: (String, SHA256Hasher) throws -> ZstdStreamSummary
  ) throws -> (sha256: String, size: Int64) {
    try HostIO.makeDirectory(directoryPath)
    let temporary = TemporaryName.make(in: directoryPath)
    let hasher = SHA256Hasher()
    let summary: ZstdStreamSummary
    do {
      summary = try compress(temporary, hasher)
    } catch let error as ZstdFileError {
      try? LocalFiles.remove(temporary)
      throw HostIO.failure(error)
    } catch {
      try? LocalFiles.remove(temporary)
      throw PondError(.io, path: source, "cannot compress: \(error)")
    }
    let sha = Hex.encode(hasher.finalize())
    // An identical body already stored stays; the new one is dropped.
    try HostIO.converting { try LocalFiles.publishIfAbsent(temporary, as: path(sha256: sha)) }
    return (sha, Int64(summary.rawBytes))
  }

  /// Stores `bytes`; returns their SHA-256.
  func store(bytes: [UInt8]) throws -> String {
    let sha = Hex.encode(SHA256.hash(bytes))
    let final = path(sha256: sha)
    if try HostIO.status(final) != nil { return sha }
    try HostIO.makeDirectory(directoryPath)
    let compressed: [UInt8]
    do {
      compressed = try Zstd.compress(bytes, level: Self.level)
    } catch {
      throw PondError(.io, path: final, "cannot compress: \(error)")
    }
    try HostIO.converting { try LocalFiles.putIfAbsent(compressed, at: final) }
    return sha
  }

  /// Streams the raw bytes of the body `sha256` to `sink`, checking their size and hash; throws naming the
  /// body when it is missing, corrupt or does not match.
  func stream(
    sha256: String, expectedSize: Int64, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    try Self.stream(
      file: path(sha256: sha256), key: PondLayout.largeFileKey(sha256: sha256), sha256: sha256,
      expectedSize: expectedSize, to: sink)
  }

  /// `stream(sha256:expectedSize:to:)` of the body at `file` (in this store or fetched from a remote), named
  /// `key` in errors.
  static func stream(
    file: String, key: String, sha256: String, expectedSize: Int64, exactSize: Bool = true,
    to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    guard try HostIO.status(file) != nil else {
      throw PondError(
        .corrupt, path: key, "the large file is missing",
        hint: "run 'pond fsck'; restore it from a replica")
    }
    let reader = try HostIO.converting { try OpenFile(readingAt: file) }
    let hasher = SHA256Hasher()
    var total: Int64 = 0
    // The sink's own failures (a full output disk, a closed pipe) are the caller's, not damage to the body.
    var sinkError: (any Error)?
    do {
      let decompressor = try ZstdDecompressor(maxOutputSize: Int(max(expectedSize, 0)))
      _ = try decompressor.decompressStream(
        read: { buffer in try HostIO.converting { try reader.read(into: buffer) } },
        write: { chunk in
          hasher.update(chunk)
          total += Int64(chunk.count)
          do {
            try sink(chunk)
          } catch {
            sinkError = error
            throw error
          }
        })
    } catch let error as PondError {
      throw sinkError ?? error
    } catch {
      if let sinkError { throw sinkError }
      throw PondError(
        .corrupt, path: key, "the large file cannot be decompressed: \(error)",
        hint: "run 'pond fsck'; restore it from a replica")
    }
    let actual = Hex.encode(hasher.finalize())
    guard exactSize ? total == expectedSize : total <= expectedSize, actual == sha256 else {
      throw PondError(
        .corrupt, path: key,
        "the large file holds \(total) bytes hashing to \(actual), expected \(exactSize ? "" : "at most ")"
          + "\(expectedSize) bytes",
        hint: "run 'pond fsck'; restore it from a replica")
    }
  }
}

/// Stands for content already stored in `LargeFiles` when handed to `FileSystem` as file bytes.
///
/// `FileSystem` carries content as byte arrays; a large file goes through it as this short token instead,
/// and `OplogPersistence.store` turns a token it issued in the open transaction into a row pointing at the
/// body. A user file that happens to hold the same bytes is stored as ordinary content, because its
/// SHA-256 was not registered with the persistence.
struct LargeFileToken: Hashable, Sendable {
  static let magic: [UInt8] = Array("\u{0}pond-large-file\u{0}".utf8)
  var sha256: String
  var size: Int64

  var bytes: [UInt8] { Self.magic + Array("\(sha256):\(size)".utf8) }
}

extension LargeFileToken {
  init?(_ bytes: [UInt8]) {
    guard bytes.count < 128, bytes.starts(with: Self.magic) else { return nil }
    let text = String(decoding: bytes[Self.magic.count...], as: UTF8.self)
    let parts = text.split(separator: ":")
    guard parts.count == 2, parts[0].utf8.count == 64, let size = Int64(parts[1]) else {
      return nil
    }
    self.sha256 = String(parts[0])
    self.size = size
  }
}
