public import FoundationEssentials
import PondCrypto
import PondCurl
import PondFiles

/// Uploads from local files: hashed in one pass off the cooperative pool, then one PUT or a multipart
/// upload whose parts go up (and are retried) on their own.
extension S3ObjectStore {
  public func put(_ key: String, contentsOf file: URL) async throws {
    try validateKey(key, store: url, operation: "put")
    let (partSize, threshold, storeURL) = (options.partSize, options.multipartThreshold, url)
    let (size, fileHash, partHashes): (Int64, String, [String])
    do {
      (size, fileHash, partHashes) = try await BlockingPool.shared.run {
        try Self.hashFile(
          file.path, partSize: partSize, threshold: threshold, store: storeURL, key: key)
      }
    } catch let error as FileIOError {
      throw ObjectStoreError(
        .localIO, store: url, key: key, operation: "put", message: error.description,
        fileError: error)
    }
    if size <= threshold {
      _ = try await send(
        "put", key: key, method: "PUT", objectKey: key,
        headers: [HTTPHeader(Self.sha256MetadataHeader, fileHash)],
        body: .file(path: file.path, offset: 0, length: size), payloadHash: fileHash)
    } else {
      try await multipartUpload(
        key, file: file, size: size, fileHash: fileHash, partHashes: partHashes)
    }
  }

  private func multipartUpload(
    _ key: String, file: URL, size: Int64, fileHash: String, partHashes: [String]
  ) async throws {
    let created = try await send(
      "start multipart upload", key: key, method: "POST", objectKey: key, query: [("uploads", "")],
      headers: [HTTPHeader(Self.sha256MetadataHeader, fileHash)], body: .bytes([]),
      payloadHash: Hex.encode(SHA256.hash([])))
    guard let uploadID = XMLElement.parse(created.response.body)?.value("UploadId") else {
      throw ObjectStoreError(
        .serverError, store: url, key: key, operation: "start multipart upload",
        message: "the server's reply has no UploadId")
    }
    do {
      let partSize = options.partSize
      let count = partHashes.count
      var etags = [String](repeating: "", count: count)
      try await withThrowingTaskGroup(of: (Int, String).self) { group in
        var next = 0
        func addPart() {
          let index = next
          next += 1
          let offset = Int64(index) * partSize
          let length = min(partSize, size - offset)
          group.addTask {
            let part = try await self.send(
              "upload part \(index + 1)/\(count) of", key: key, method: "PUT", objectKey: key,
              query: [("partNumber", "\(index + 1)"), ("uploadId", uploadID)],
              body: .file(path: file.path, offset: offset, length: length),
              payloadHash: partHashes[index])
            guard let etag = part.response.header("ETag") else {
              throw ObjectStoreError(
                .serverError, store: self.url, key: key, operation: "upload part \(index + 1)",
                message: "the server's reply has no ETag")
            }
            return (index, etag)
          }
        }
        for _ in 0..<min(max(1, options.partConcurrency), count) { addPart() }
        while let (index, etag) = try await group.next() {
          etags[index] = etag
          if next < count { addPart() }
        }
      }
      let body =
        "<CompleteMultipartUpload>"
        + etags.enumerated().map {
          "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element.xmlEscaped)</ETag></Part>"
        }.joined() + "</CompleteMultipartUpload>"
      let bytes = Array(body.utf8)
      _ = try await send(
        "complete multipart upload", key: key, method: "POST", objectKey: key,
        query: [("uploadId", uploadID)],
        headers: [HTTPHeader("Content-Type", "application/xml")], body: .bytes(bytes),
        payloadHash: Hex.encode(SHA256.hash(bytes)),
        validate: { response in
          // S3 may answer 200 and still report an error in the body (after the 200 was sent): retry
          // the ones S3 says are worth retrying, like any 5xx.
          if let root = XMLElement.parse(response.body), root.name == "Error" {
            let code = root.value("Code")
            let retryable = code.map(RetryPolicy.retryableS3Codes.contains) ?? true
            let error = self.s3Error(
              "complete multipart upload", key: key, status: 200, code: code,
              message: root.value("Message"), retryable: retryable)
            if retryable { throw Retryable(error: error) }
            throw error
          }
        })
    } catch {
      // Abort so the parts do not linger (and cost); the original error is what the caller needs.
      _ = try? await send(
        "abort multipart upload", key: key, method: "DELETE", objectKey: key,
        query: [("uploadId", uploadID)],
        accept: [404])
      throw error
    }
  }

  /// Hex SHA-256 of `bytes`; large buffers are hashed off the cooperative pool.
  static func sha256Hex(_ bytes: [UInt8]) async throws -> String {
    if bytes.count < 1 << 20 { return Hex.encode(SHA256.hash(bytes)) }
    return try await BlockingPool.shared.run { Hex.encode(SHA256.hash(bytes)) }
  }

  /// One read pass over `path`: its size, its SHA-256 and, above `threshold`, each `partSize` part's.
  static func hashFile(
    _ path: String, partSize: Int64, threshold: Int64, store: String, key: String
  ) throws -> (size: Int64, hash: String, partHashes: [String]) {
    let file = try OpenFile(readingAt: path)
    let size = try file.status().size
    let multipart = size > threshold
    let whole = SHA256Hasher()
    var part = SHA256Hasher()
    var partHashes: [String] = []
    var inPart: Int64 = 0
    var total: Int64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let want = multipart ? min(buffer.count, Int(partSize - inPart)) : buffer.count
      let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
      if count == 0 { break }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
      whole.update(chunk)
      total += Int64(count)
      if multipart {
        part.update(chunk)
        inPart += Int64(count)
        if inPart == partSize {
          partHashes.append(Hex.encode(part.finalize()))
          part = SHA256Hasher()
          inPart = 0
        }
      }
    }
    if multipart, inPart > 0 { partHashes.append(Hex.encode(part.finalize())) }
    guard total == size else {
      throw ObjectStoreError(
        .localIO, store: store, key: key, operation: "put",
        message: "\(path) changed size while being read")
    }
    return (size, Hex.encode(whole.finalize()), partHashes)
  }
}
