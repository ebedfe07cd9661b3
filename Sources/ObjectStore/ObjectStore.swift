public import FoundationEssentials
public import PondFiles

/// A flat namespace of objects addressed by key, relative to the store's URL: `file:///path` or
/// `s3://bucket/prefix`. Both hold exactly the same layout, so a tree can move from one to the other.
///
/// Keys are `/`-separated, non-empty, without empty, `.` or `..` segments. A `file://` store also refuses a
/// segment starting with `.pond-tmp-` (its temporary files); pond never names an object so.
public protocol ObjectStore: Sendable {
  /// The store's URL, for messages (never carries a secret).
  var url: String { get }

  /// Writes `bytes` as the object `key`, replacing any existing object atomically.
  func put(_ key: String, bytes: [UInt8]) async throws

  /// Writes the file's contents as the object `key`, streamed, replacing any existing object atomically.
  /// Large files go up in parts where the store supports it.
  func put(_ key: String, contentsOf file: URL) async throws

  /// Writes `bytes` as `key` only if no object `key` exists; an existing object (even one a lost reply of
  /// an earlier attempt created) is reported plainly as `.alreadyExists`.
  ///
  /// - Parameter modificationTime: milliseconds since 1970 to record as the object's modification time where
  ///   the store can (`file://`); S3 stamps its own and ignores it.
  func putIfAbsent(_ key: String, bytes: [UInt8], modificationTime: Int64?) async throws
    -> PutIfAbsentResult

  /// Reads the whole object.
  /// - Throws: `ObjectStoreError` with kind `.notFound` when there is no such object.
  func get(_ key: String) async throws -> [UInt8]

  /// Streams the whole object into `file`, which is replaced only once the whole body arrived and was
  /// verified.
  @discardableResult
  func get(_ key: String, to file: URL) async throws -> ObjectInfo

  /// The object's metadata, or nil when it does not exist.
  func head(_ key: String) async throws -> ObjectInfo?

  /// One page of the objects whose key starts with `prefix`, in key (UTF-8 byte) order: the first page of
  /// those after `startAfter` when `continuation` is nil, else the page `continuation` (from the previous
  /// page) points to. `objects(prefix:startAfter:)` walks all pages.
  func listPage(prefix: String, startAfter: String?, continuation: String?) async throws
    -> ObjectPage

  /// Removes the object; removing a missing object succeeds.
  func delete(_ key: String) async throws
}

extension ObjectStore {
  public func putIfAbsent(_ key: String, bytes: [UInt8]) async throws -> PutIfAbsentResult {
    try await putIfAbsent(key, bytes: bytes, modificationTime: nil)
  }

  /// Every object whose key starts with `prefix` and sorts after `startAfter`, fetched a page at a time as
  /// the sequence is iterated.
  public func objects(prefix: String = "", startAfter: String? = nil) -> ObjectListing {
    ObjectListing(store: self, prefix: prefix, startAfter: startAfter)
  }

  /// Every object whose key starts with `prefix` and sorts after `startAfter`, collected in one array:
  /// for small listings; iterate `objects(prefix:startAfter:)` otherwise.
  public func list(prefix: String = "", startAfter: String? = nil) async throws -> [ObjectInfo] {
    var found: [ObjectInfo] = []
    for try await object in objects(prefix: prefix, startAfter: startAfter) { found.append(object) }
    return found
  }
}

/// One page of a listing.
public struct ObjectPage: Sendable, Hashable {
  /// The objects, in key (UTF-8 byte) order.
  public var objects: [ObjectInfo]
  /// What to pass to `listPage` for the next page (a key, or S3's continuation token); nil on the last.
  public var continuation: String?

  public init(objects: [ObjectInfo], continuation: String?) {
    self.objects = objects
    self.continuation = continuation
  }
}

/// The objects under a prefix, in key order, fetched one page at a time: a listing of any length is never
/// held whole in memory.
public struct ObjectListing: AsyncSequence, Sendable {
  public typealias Element = ObjectInfo
  let store: any ObjectStore
  let prefix: String
  let startAfter: String?

  public func makeAsyncIterator() -> Iterator { Iterator(listing: self) }

  public struct Iterator: AsyncIteratorProtocol {
    let listing: ObjectListing
    private var page: [ObjectInfo] = []
    private var index = 0
    private var continuation: String?
    private var isFinished = false
    /// Every continuation seen: a store that repeats one would otherwise be followed forever.
    private var seen: Set<String> = []

    init(listing: ObjectListing) { self.listing = listing }

    public mutating func next() async throws -> ObjectInfo? {
      while index == page.count {
        if isFinished { return nil }
        let next = try await listing.store.listPage(
          prefix: listing.prefix, startAfter: listing.startAfter, continuation: continuation)
        page = next.objects
        index = 0
        guard let token = next.continuation else {
          isFinished = true
          continue
        }
        guard seen.insert(token).inserted else {
          throw ObjectStoreError(
            .serverError, store: listing.store.url, key: listing.prefix, operation: "list",
            message:
              "the store returned continuation token '\(token)' a second time; following it would loop "
              + "forever (page \(seen.count + 1) of listing prefix '\(listing.prefix)')")
        }
        continuation = token
      }
      defer { index += 1 }
      return page[index]
    }
  }
}

/// An object's metadata.
public struct ObjectInfo: Sendable, Hashable {
  public var key: String
  public var size: Int64
  /// The server's entity tag, when the store has one.
  public var etag: String?
  public var lastModified: Date?

  public init(key: String, size: Int64, etag: String? = nil, lastModified: Date? = nil) {
    self.key = key
    self.size = size
    self.etag = etag
    self.lastModified = lastModified
  }
}

/// An object store operation failed: what, on which store and object, and (for S3) the server's error.
public struct ObjectStoreError: Error, Sendable, CustomStringConvertible {
  /// The kind of failure, to decide what to do; new kinds may be added.
  public struct Kind: Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// The object (or bucket) does not exist.
    public static let notFound = Kind("not found")
    /// The URL or a key is not valid.
    public static let invalidArgument = Kind("invalid argument")
    /// The server refused the request: a 4xx with its S3 error code (signature, credentials, access).
    public static let rejected = Kind("rejected")
    /// The server failed (5xx, throttling) and retries did not help.
    public static let serverError = Kind("server error")
    /// The network failed (refused, reset, timeout) and retries did not help.
    public static let network = Kind("network")
    /// A body was truncated or did not match its length or SHA-256.
    public static let integrity = Kind("integrity")
    /// A local file could not be read or written.
    public static let localIO = Kind("local I/O")
    /// A condition of the request did not hold (HTTP 412). Put-if-absent reports a taken key as the result
    /// `.alreadyExists`, never as this error.
    public static let preconditionFailed = Kind("precondition failed")
  }

  public let kind: Kind
  /// The store URL and, when it applies, the object key.
  public let store: String
  public let key: String?
  /// What was being done ("put", "get", ...).
  public let operation: String
  /// The explanation, with a hint where one helps.
  public let message: String
  /// The S3 error code (`SignatureDoesNotMatch`, `NoSuchKey`, ...) and HTTP status, when the server sent one.
  public let s3Code: String?
  public let httpStatus: Int?
  /// How many times the request was sent before this error was final.
  public internal(set) var attempts: Int
  /// The local file failure behind a `.localIO` error, with its `errno` (`.noSpace` for a full disk).
  public let fileError: FileIOError?

  public init(
    _ kind: Kind, store: String, key: String?, operation: String, message: String,
    s3Code: String? = nil, httpStatus: Int? = nil, attempts: Int = 1, fileError: FileIOError? = nil
  ) {
    self.attempts = attempts
    self.fileError = fileError
    self.kind = kind
    self.store = store
    self.key = key
    self.operation = operation
    self.message = message
    self.s3Code = s3Code
    self.httpStatus = httpStatus
  }

  public var description: String {
    var target = store
    if let key { target += target.hasSuffix("/") ? key : "/" + key }
    var text = "\(operation) \(target) failed: "
    if let s3Code { text += "\(s3Code)" + (httpStatus.map { " (HTTP \($0))" } ?? "") + ": " }
    return text + message
  }
}

/// Checks that `key` is a valid object key for both stores.
func validateKey(_ key: String, store: String, operation: String) throws {
  let segments = key.split(separator: "/", omittingEmptySubsequences: false)
  let bad =
    key.isEmpty || segments.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    || key.utf8.contains(0) || key.utf8.count > 1024
  if bad {
    throw ObjectStoreError(
      .invalidArgument, store: store, key: key, operation: operation,
      message:
        "invalid object key: keys are 1-1024 bytes of '/'-separated names, none empty, '.' or '..'")
  }
}
