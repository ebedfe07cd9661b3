internal import CCurl
import FoundationEssentials
import PondFiles

/// The owner of one libcurl easy handle: performs requests one after another, blocking, and keeps the
/// handle's connection cache so later requests to the same host reuse the connection.
///
/// Not `Sendable`: a handle serves one transfer at a time. `HTTPClient` pools handles and runs them off the
/// cooperative thread pool; use that from async code.
public final class CurlEasy {
  private let curl: CurlLibrary
  private let handle: UnsafeMutableRawPointer
  private let errorBuffer: UnsafeMutablePointer<CChar>

  /// Creates a handle, loading libcurl on the first call. Traps only if libcurl cannot allocate one (out
  /// of memory).
  /// - Throws: `CurlError` when libcurl cannot be loaded.
  public init() throws {
    curl = try CurlLibrary.shared.get()
    guard let handle = curl.easyInit() else { preconditionFailure("curl_easy_init returned NULL") }
    self.handle = handle
    errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
  }

  deinit {
    curl.easyCleanup(handle)
    errorBuffer.deallocate()
  }

  /// Sends `request` and waits for the whole response. Blocks the calling thread.
  ///
  /// - Parameter isCancelled: polled during the transfer; returning true aborts it (`CurlError.isCancelled`).
  /// - Throws: `CurlError` for network failures and timeouts, or the error a body consumer threw.
  ///   An HTTP error status is not thrown: it is in the response.
  public func perform(
    _ request: HTTPRequest, to destination: HTTPResponseDestination = .memory,
    timeouts: HTTPTimeouts = HTTPTimeouts(), isCancelled: (@Sendable () -> Bool)? = nil
  ) throws -> HTTPResponse {
    // Reset options but keep live connections and the DNS cache.
    curl.easyReset(handle)
    errorBuffer[0] = 0
    let transfer = try Transfer(
      request: request, destination: destination, isCancelled: isCancelled)

    var headerList: UnsafeMutablePointer<curl_slist>? = nil
    defer { curl.slistFreeAll(headerList) }
    for header in request.headers {
      precondition(
        !header.name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" })
          && !header.value.contains(where: { $0 == "\r" || $0 == "\n" }),
        "invalid HTTP header \(header.name)")
      // "Name;" is curl's way to send a header with an empty value.
      let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
      headerList = curl.slistAppend(headerList, line)
    }
    // No "Expect: 100-continue" round trip before bodies; S3-compatible stores do not need it.
    headerList = curl.slistAppend(headerList, "Expect:")

    let context = Unmanaged.passUnretained(transfer).toOpaque()
    try set(CURLOPT_URL, request.url)
    try set(CURLOPT_NOSIGNAL, 1)
    try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    try set(CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect.milliseconds))
    try set(CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedLimit)
    try set(CURLOPT_LOW_SPEED_TIME, max(1, Int(timeouts.lowSpeedTime.milliseconds / 1000)))
    if let total = timeouts.total { try set(CURLOPT_TIMEOUT_MS, Int(total.milliseconds)) }
    try check(pond_easy_setopt_slist(curl.setopt, handle, CURLOPT_HTTPHEADER, headerList))
    try check(
      pond_easy_setopt_write_function(curl.setopt, handle, CURLOPT_WRITEFUNCTION, curlWriteBody))
    try set(CURLOPT_WRITEDATA, pointer: context)
    try check(
      pond_easy_setopt_write_function(curl.setopt, handle, CURLOPT_HEADERFUNCTION, curlWriteHeader))
    try set(CURLOPT_HEADERDATA, pointer: context)
    try check(pond_easy_setopt_xferinfo_function(curl.setopt, handle, curlProgress))
    try set(CURLOPT_XFERINFODATA, pointer: context)
    try set(CURLOPT_NOPROGRESS, 0)

    switch request.method {
    case "GET":
      try set(CURLOPT_HTTPGET, 1)
    case "HEAD":
      try set(CURLOPT_NOBODY, 1)
    case "PUT", "POST":
      try set(CURLOPT_UPLOAD, 1)
      try check(
        pond_easy_setopt_off(
          curl.setopt, handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)))
      try check(pond_easy_setopt_read_function(curl.setopt, handle, curlReadBody))
      try set(CURLOPT_READDATA, pointer: context)
      try check(pond_easy_setopt_seek_function(curl.setopt, handle, curlSeekBody))
      try set(CURLOPT_SEEKDATA, pointer: context)
      if request.method != "PUT" { try set(CURLOPT_CUSTOMREQUEST, request.method) }
    default:
      precondition(request.body.count == 0, "\(request.method) requests carry no body here")
      try set(CURLOPT_CUSTOMREQUEST, request.method)
    }

    let code = withExtendedLifetime(transfer) { curl.easyPerform(handle) }
    if let failure = transfer.failure { throw failure }
    try check(code, request: request)

    var status = 0
    try check(pond_easy_getinfo_long(curl.getinfo, handle, CURLINFO_RESPONSE_CODE, &status))
    var connects = 0
    try check(pond_easy_getinfo_long(curl.getinfo, handle, CURLINFO_NUM_CONNECTS, &connects))
    try transfer.finish(status: status)
    return HTTPResponse(
      status: status, headers: transfer.headers, body: transfer.memory,
      bodyLength: transfer.received,
      newConnections: connects)
  }

  private func set(_ option: CURLoption, _ value: Int) throws {
    try check(pond_easy_setopt_long(curl.setopt, handle, option, value))
  }

  private func set(_ option: CURLoption, _ value: String) throws {
    try check(pond_easy_setopt_string(curl.setopt, handle, option, value))
  }

  private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws {
    try check(pond_easy_setopt_pointer(curl.setopt, handle, option, pointer))
  }

  private func check(_ code: CURLcode, request: HTTPRequest? = nil) throws {
    guard code != CURLE_OK else { return }
    var message = String(cString: curl.easyStrerror(code)!)
    let detail = String(cString: errorBuffer)
    if !detail.isEmpty, detail != message { message += ": \(detail)" }
    throw CurlError(
      code: Int(code.rawValue), message: message, request: request?.summary ?? "curl_easy_setopt")
  }
}

extension Duration {
  fileprivate var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}

/// The state of one transfer, shared with curl's C callbacks through an opaque pointer.
private final class Transfer {
  let request: HTTPRequest
  let destination: HTTPResponseDestination
  let isCancelled: (@Sendable () -> Bool)?
  var failure: (any Error)?

  // Upload.
  private let upload: OpenFile?
  private var uploadPosition: Int64 = 0

  // Response.
  var status = 0
  var headers: [HTTPHeader] = []
  var memory: [UInt8] = []
  var received: Int64 = 0
  private var output: PendingFile?

  /// Bodies of non-2xx responses are kept up to this size for the error message.
  static let errorBodyLimit = 1 << 20

  init(
    request: HTTPRequest, destination: HTTPResponseDestination, isCancelled: (@Sendable () -> Bool)?
  )
    throws
  {
    self.request = request
    self.destination = destination
    self.isCancelled = isCancelled
    if case .file(let path, _, _) = request.body {
      upload = try OpenFile(readingAt: path)
    } else {
      upload = nil
    }
  }

  /// Fills `buffer` with the next body bytes; returns the count (0 at the end).
  func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
    let remaining = request.body.count - uploadPosition
    let count = Int(min(Int64(buffer.count), remaining))
    guard count > 0 else { return 0 }
    switch request.body {
    case .none:
      return 0
    case .bytes(let bytes):
      bytes.withUnsafeBytes { source in
        let start = Int(uploadPosition)
        buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: count)
      }
    case .file(let path, let offset, _):
      do {
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        guard try upload!.read(into: chunk, at: offset + uploadPosition) == count else {
          failure = CurlError(
            code: Int(CURLE_READ_ERROR.rawValue), message: "\(path) shrank during the upload",
            request: request.summary)
          return nil
        }
      } catch {
        failure = error
        return nil
      }
    }
    uploadPosition += Int64(count)
    return count
  }

  func seek(to offset: Int64) -> Bool {
    guard offset >= 0, offset <= request.body.count else { return false }
    uploadPosition = offset
    return true
  }

  func header(_ line: String) {
    if line.hasPrefix("HTTP/") {
      // A new response block (after 100 Continue or a redirect): start over.
      headers = []
      let parts = line.split(separator: " ", maxSplits: 2)
      status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
      return
    }
    guard let colon = line.firstIndex(of: ":") else { return }
    func trimmed(_ text: Substring) -> String {
      String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
    headers.append(HTTPHeader(trimmed(line[..<colon]), trimmed(line[line.index(after: colon)...])))
  }

  func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
    received += Int64(chunk.count)
    guard (200..<300).contains(status) else {
      if memory.count < Self.errorBodyLimit {
        memory.append(contentsOf: chunk.prefix(Self.errorBodyLimit - memory.count))
      }
      return true
    }
    do {
      switch destination {
      case .memory:
        memory.append(contentsOf: chunk)
      case .consumer(let consumer):
        try consumer.consume(chunk)
      case .file(let path):
        try openOutput(path).write(chunk)
      }
      return true
    } catch {
      failure = error
      return false
    }
  }

  /// Called after a successful perform: publishes a 2xx body's file (an empty one too).
  func finish(status: Int) throws {
    if (200..<300).contains(status), case .file(let path) = destination {
      try openOutput(path).publishReplacing()
    }
  }

  /// The file a 2xx body is written to, created when its first byte arrives; dropped unpublished, it is
  /// removed.
  private func openOutput(_ path: String) throws(FileIOError) -> PendingFile {
    if let output { return output }
    let created = try PendingFile(publishingAs: path)
    output = created
    return created
  }
}

private func transfer(_ pointer: UnsafeMutableRawPointer?) -> Transfer {
  Unmanaged<Transfer>.fromOpaque(pointer!).takeUnretainedValue()
}

private let curlWriteBody: curl_write_callback = { data, size, count, context in
  let length = size * count
  let chunk = UnsafeRawBufferPointer(start: data, count: length)
  return transfer(context).write(chunk) ? length : pond_curl_writefunc_error()
}

private let curlWriteHeader: curl_write_callback = { data, size, count, context in
  let length = size * count
  let bytes = UnsafeRawBufferPointer(start: data, count: length)
  transfer(context).header(String(decoding: bytes, as: UTF8.self))
  return length
}

private let curlReadBody: curl_read_callback = { data, size, count, context in
  let buffer = UnsafeMutableRawBufferPointer(start: data, count: size * count)
  return transfer(context).read(into: buffer) ?? pond_curl_readfunc_abort()
}

private let curlSeekBody: curl_seek_callback = { context, offset, origin in
  // CURL_SEEKFUNC_OK = 0, CURL_SEEKFUNC_FAIL = 1; curl only seeks from the start (SEEK_SET).
  origin == SEEK_SET && transfer(context).seek(to: Int64(offset)) ? 0 : 1
}

private let curlProgress: curl_xferinfo_callback = { context, _, _, _, _ in
  // Non-zero aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
  transfer(context).isCancelled?() == true ? 1 : 0
}
