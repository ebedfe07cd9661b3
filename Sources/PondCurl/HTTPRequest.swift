/// One HTTP header line.
public struct HTTPHeader: Sendable, Hashable {
  public var name: String
  public var value: String

  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}

/// An HTTP request for `HTTPClient`: method, URL, headers and a body from memory or a file.
public struct HTTPRequest: Sendable {
  /// Where the request body comes from.
  public enum Body: Sendable {
    /// No body (GET, HEAD, DELETE; an empty body for PUT and POST).
    case none
    /// A body held in memory.
    case bytes([UInt8])
    /// `length` bytes of the file at `path`, starting at `offset`; read in chunks while sending.
    case file(path: String, offset: Int64, length: Int64)

    /// The number of bytes the body holds.
    public var count: Int64 {
      switch self {
      case .none: return 0
      case .bytes(let bytes): return Int64(bytes.count)
      case .file(_, _, let length): return length
      }
    }
  }

  public var method: String
  public var url: String
  public var headers: [HTTPHeader]
  public var body: Body

  public init(method: String, url: String, headers: [HTTPHeader] = [], body: Body = .none) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
  }

  /// The method and the URL without its query string: safe to show in a message.
  public var summary: String {
    let base = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    return "\(method) \(base)"
  }
}

/// Receives a successful response body chunk by chunk, on the transfer's own thread.
///
/// A consumer is used by one transfer at a time; it is handed from the caller to the transfer thread and
/// back, so it must be `Sendable` (or documented as safe to hand over).
public protocol HTTPBodyConsumer: AnyObject, Sendable {
  /// Takes the next chunk of the body; throwing stops the transfer and the request fails with that error.
  func consume(_ chunk: UnsafeRawBufferPointer) throws
}

/// Where the body of a successful (2xx) response goes. Other responses always keep their body in memory
/// (up to 1 MiB) so the caller can read the server's error.
public enum HTTPResponseDestination: Sendable {
  /// Keep the body in `HTTPResponse.body`.
  case memory
  /// Write the body to the file at `path`: written under a temporary name and published (replacing, file
  /// and directory flushed) once the whole 2xx body arrived. The file is left alone when the response is
  /// not 2xx or the transfer fails.
  case file(path: String)
  /// Hand the body to a consumer as it arrives.
  case consumer(any HTTPBodyConsumer)
}

/// Time limits for one request.
public struct HTTPTimeouts: Sendable, Hashable {
  /// The longest a connection may take to establish.
  public var connect: Duration
  /// A transfer slower than `lowSpeedLimit` bytes per second for `lowSpeedTime` is aborted.
  public var lowSpeedLimit: Int
  public var lowSpeedTime: Duration
  /// An optional limit on the whole request.
  public var total: Duration?

  public init(
    connect: Duration = .seconds(10), lowSpeedLimit: Int = 1, lowSpeedTime: Duration = .seconds(30),
    total: Duration? = nil
  ) {
    self.connect = connect
    self.lowSpeedLimit = lowSpeedLimit
    self.lowSpeedTime = lowSpeedTime
    self.total = total
  }
}

/// A received HTTP response.
public struct HTTPResponse: Sendable {
  /// The final status code.
  public var status: Int
  /// The headers of the final response, in the order received.
  public var headers: [HTTPHeader]
  /// The body when the destination is `.memory`, or the error body of a non-2xx response.
  public var body: [UInt8]
  /// How many body bytes arrived (whatever the destination).
  public var bodyLength: Int64
  /// How many new connections this request had to open (0 when an earlier connection was reused).
  public var newConnections: Int

  public init(
    status: Int, headers: [HTTPHeader], body: [UInt8], bodyLength: Int64, newConnections: Int
  ) {
    self.status = status
    self.headers = headers
    self.body = body
    self.bodyLength = bodyLength
    self.newConnections = newConnections
  }

  /// The value of the first header named `name` (case-insensitive).
  public func header(_ name: String) -> String? {
    let lowered = name.lowercased()
    return headers.first { $0.name.lowercased() == lowered }?.value
  }

  /// True for 2xx.
  public var isSuccess: Bool { (200..<300).contains(status) }
}
