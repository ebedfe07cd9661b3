import FoundationEssentials
import PondCurl
import PondTime

/// Listing: one ListObjectsV2 page per call.
extension S3ObjectStore {
  public func listPage(prefix listPrefix: String, startAfter: String?, continuation: String?)
    async throws -> ObjectPage
  {
    func malformed(_ message: String) -> ObjectStoreError {
      ObjectStoreError(
        .serverError, store: url, key: listPrefix, operation: "list",
        message: message + " (listing prefix '\(prefix + listPrefix)')")
    }
    var query = [
      ("list-type", "2"), ("max-keys", "\(options.listPageSize)"), ("prefix", prefix + listPrefix),
    ]
    if let continuation {
      query.append(("continuation-token", continuation))
    } else if let startAfter {
      query.append(("start-after", prefix + startAfter))
    }
    let outcome = try await send(
      "list", key: listPrefix, method: "GET", objectKey: nil, query: query)
    guard let root = XMLElement.parse(outcome.response.body), root.name == "ListBucketResult" else {
      throw ObjectStoreError(
        .serverError, store: url, key: listPrefix, operation: "list",
        message: "the server's listing is not a ListBucketResult document")
    }
    var objects: [ObjectInfo] = []
    for item in root.all("Contents") {
      guard let fullKey = item.value("Key"), fullKey.hasPrefix(prefix) else { continue }
      guard let sizeText = item.value("Size"), let size = Int64(sizeText), size >= 0 else {
        throw malformed(
          "the server's listing gives object '\(fullKey)' "
            + (item.value("Size").map { "an invalid <Size> '\($0)'" } ?? "no <Size>"))
      }
      objects.append(
        ObjectInfo(
          key: String(fullKey.dropFirst(prefix.count)), size: size, etag: item.value("ETag"),
          lastModified: item.value("LastModified").flatMap(Self.parseISODate)))
    }
    guard root.value("IsTruncated") == "true" else {
      return ObjectPage(objects: objects, continuation: nil)
    }
    guard let next = root.value("NextContinuationToken"), !next.isEmpty else {
      throw malformed(
        "the server says the listing is truncated (IsTruncated=true) but gives no "
          + "NextContinuationToken, so the rest cannot be fetched")
    }
    return ObjectPage(objects: objects, continuation: next)
  }

  static func parseISODate(_ text: String) -> Date? {
    UTCMilliseconds(iso8601: text).map { Date(timeIntervalSince1970: Double($0.rawValue) / 1000) }
  }
}
