public import FoundationEssentials
import PondCrypto
import PondCurl
import PondFiles

/// Downloads: hashed while they arrive, checked against length and SHA-256, and (into a file) published
/// through PondFiles (file and directory flushed) only when whole and verified.
extension S3ObjectStore {
  @discardableResult
  public func get(_ key: String, to file: URL) async throws -> ObjectInfo {
    try validateKey(key, store: url, operation: "get")
    let (storeURL, destination) = (url, file.path)
    let outcome = try await send(
      "get", key: key, method: "GET", objectKey: key,
      sink: { try DownloadSink(destination: destination, store: storeURL, key: key) },
      validate: { response, sink in try self.verifyDownload(response, key: key, sink: sink) },
      finish: { sink in try await BlockingPool.shared.run { try sink.publish() } })
    return objectInfo(key, outcome.response, size: outcome.response.bodyLength)
  }

  /// Checks a downloaded body against Content-Length and the SHA-256 recorded at upload. A short body
  /// is retried; a wrong hash is an integrity error.
  func verifyDownload(_ response: HTTPResponse, key: String, sink: DownloadSink?) throws {
    let count = sink?.count ?? 0
    if let expected = response.header("Content-Length").flatMap({ Int64($0) }), expected != count {
      throw Retryable(
        error: ObjectStoreError(
          .integrity, store: url, key: key, operation: "get",
          message: "received \(count) bytes but Content-Length said \(expected)"))
    }
    if let expected = response.header(Self.sha256MetadataHeader) {
      let actual = sink?.digest ?? Hex.encode(SHA256.hash([]))
      if actual != expected {
        // Retried: a body damaged in transit may arrive whole next time; if not, this is the final error.
        throw Retryable(
          error: ObjectStoreError(
            .integrity, store: url, key: key, operation: "get",
            message:
              "the body's SHA-256 \(actual) differs from the \(expected) recorded when it was written"
          ))
      }
    }
  }
}

/// Receives a download while hashing it, on the transfer thread: into a `PendingFile` beside the
/// destination, or into memory. One per attempt; an attempt's file that is never published is removed.
final class DownloadSink: HTTPBodyConsumer, @unchecked Sendable {
  // Safe: created by `send`, used only by the one transfer thread while the request runs, then by `send`
  // (and the blocking `publish` it awaits) after the transfer finished; the continuations order the accesses.
  private let file: PendingFile?
  private let store: String
  private let key: String
  private let hasher = SHA256Hasher()
  private var bytes: [UInt8] = []
  private(set) var count: Int64 = 0
  private var finalDigest: String?

  /// A download into a temporary file, to become `destination` when published.
  init(destination: String, store: String, key: String) throws {
    self.store = store
    self.key = key
    do {
      file = try PendingFile(publishingAs: destination)
    } catch {
      throw Self.failure("cannot create the temporary file for \(destination)", error, store, key)
    }
  }

  /// A download kept in memory.
  init(memoryFor store: String, key: String) {
    self.file = nil
    self.store = store
    self.key = key
  }

  /// Where a file download is written until published.
  var temporaryPath: String? { file?.temporaryPath }

  private static func failure(_ what: String, _ error: FileIOError, _ store: String, _ key: String)
    -> ObjectStoreError
  {
    ObjectStoreError(
      .localIO, store: store, key: key, operation: "get", message: "\(what): \(error)",
      fileError: error)
  }

  func consume(_ chunk: UnsafeRawBufferPointer) throws {
    hasher.update(chunk)
    count += Int64(chunk.count)
    guard let file else {
      bytes.append(contentsOf: chunk)
      return
    }
    do {
      try file.write(chunk)
    } catch {
      throw Self.failure("cannot write the download for \(file.destination)", error, store, key)
    }
  }

  /// Removes an unpublished file download's temporary file.
  func discard() { file?.discard() }

  /// Gives a file download its final name, durably (blocking: run it off the cooperative pool).
  func publish() throws {
    guard let file else { return }
    do {
      try file.publishReplacing()
    } catch {
      throw Self.failure("cannot publish the download as \(file.destination)", error, store, key)
    }
  }

  /// The hex SHA-256 of everything received (fixed on first use).
  var digest: String {
    if let finalDigest { return finalDigest }
    let value = Hex.encode(hasher.finalize())
    finalDigest = value
    return value
  }

  /// Hands over the in-memory body.
  func takeBytes() -> [UInt8] {
    defer { bytes = [] }
    return bytes
  }
}
