import DeltaLog
public import ObjectStore
public import PondCurl
import PondFiles
import Synchronization

/// HydroVu's public API, as the collector uses it: OAuth2 client credentials, the parameter and unit names,
/// the locations, and a location's readings, page by page. Every request goes through PondCurl's
/// `HTTPClient`, with a bearer token reused until it expires or a 401 says so (then fetched again once),
/// and retried with backoff on 429 (after `Retry-After` when given), 5xx and network failures.
public final class HydroVuClient: Sendable {
  /// Where the API is, without a trailing slash (`https://www.hydrovu.com`).
  public let baseURL: String
  public let clientID: String
  private let clientSecret: String
  private let http: HTTPClient
  private let retry: RetryPolicy
  private let maxRetryAfter: Duration
  private let token = Mutex<Token?>(nil)

  /// 60 s to connect, and a transfer that stalls for 60 s is aborted.
  public static let timeouts = HTTPTimeouts(
    connect: .seconds(60), lowSpeedLimit: 1, lowSpeedTime: .seconds(60))

  /// Tries of one request, backoff between them: 5 tries, waits from 1 s doubling up to 30 s.
  public static let defaultRetry = RetryPolicy(
    maxAttempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(30))

  /// The scopes the collector asks for.
  public static let scopes = "read:locations read:data"

  /// - Parameters:
  ///   - retry: tries of each request (the first included) and the backoff between them.
  ///   - maxRetryAfter: the longest a 429's `Retry-After` is honoured; longer asks wait this long.
  public init(
    baseURL: String, clientID: String, clientSecret: String,
    retry: RetryPolicy = HydroVuClient.defaultRetry, maxRetryAfter: Duration = .seconds(60),
    http: HTTPClient = HTTPClient(timeouts: HydroVuClient.timeouts)
  ) {
    var base = baseURL
    while base.hasSuffix("/") { base.removeLast() }
    self.baseURL = base
    self.clientID = clientID
    self.clientSecret = clientSecret
    self.retry = retry
    self.maxRetryAfter = maxRetryAfter
    self.http = http
  }

  private struct Token: Sendable {
    var value: String
    var expires: ContinuousClock.Instant
  }

  // MARK: Endpoints

  /// `GET /public-api/v1/sispec/friendlynames`: the names of parameters and units by id.
  public func friendlyNames() async throws -> HydroVuNames {
    let path = "/public-api/v1/sispec/friendlynames"
    let (json, _) = try await get(path)
    func names(_ key: String) throws -> [String: String] {
      guard let members = json[key]?.objectMembers else {
        throw malformed("GET \(path)", "it has no object \"\(key)\"")
      }
      var names: [String: String] = [:]
      for (id, name) in members {
        guard let text = name.stringValue else {
          throw malformed("GET \(path)", "\(key).\(id) is not a string")
        }
        names[id] = text
      }
      return names
    }
    return HydroVuNames(parameters: try names("parameters"), units: try names("units"))
  }

  /// `GET /public-api/v1/locations/list`, every page: the locations the client may read.
  public func locations() async throws -> [HydroVuLocation] {
    let path = "/public-api/v1/locations/list"
    var locations: [HydroVuLocation] = []
    try await pages(path) { json in
      guard let items = json.arrayValue else {
        throw malformed("GET \(path)", "it is not an array")
      }
      for item in items {
        guard let id = item["id"]?.int64Value else {
          throw malformed("GET \(path)", "a location has no integer \"id\"")
        }
        let gps = item["gps"]
        locations.append(
          HydroVuLocation(
            id: id, name: item["name"]?.stringValue ?? "",
            description: item["description"]?.stringValue,
            latitude: gps?["latitude"]?.doubleValue, longitude: gps?["longitude"]?.doubleValue))
      }
      return true
    }
    return locations
  }

  /// `GET /public-api/v1/locations/{id}/data?startTime=S[&endTime=E]`, page by page: `body` gets each page
  /// and returns false to stop asking for more.
  /// - Parameters:
  ///   - startTime: the first time wanted, Unix seconds (inclusive).
  ///   - endTime: the last time wanted, Unix seconds; nil for up to now.
  public func readings(
    location: Int64, startTime: Int64, endTime: Int64? = nil,
    _ body: (HydroVuDataPage) throws -> Bool
  ) async throws {
    let path = "/public-api/v1/locations/\(location)/data"
    var query = "startTime=\(startTime)"
    if let endTime { query += "&endTime=\(endTime)" }
    try await pages(path, query: query) { json in
      try body(try HydroVuDataPage(json, path: path))
    }
  }

  // MARK: Requests

  /// GETs every page of `path` (each page's `x-isi-next-page` sent back as `x-isi-start-page`) until none
  /// comes or `body` returns false.
  private func pages(
    _ path: String, query: String? = nil, _ body: (JSONValue) throws -> Bool
  ) async throws {
    var startPage: String?
    var seen = Set<String>()
    while true {
      let (json, next) = try await get(path, query: query, startPage: startPage)
      guard try body(json), let next else { return }
      guard seen.insert(next).inserted else {
        throw HydroVuError(
          .malformed,
          "GET \(path) sent the page token \(next) a second time: the paging would never end; "
            + "report it to HydroVu")
      }
      startPage = next
    }
  }

  /// GETs `path` with the bearer token and returns its JSON and its next page token.
  private func get(_ path: String, query: String? = nil, startPage: String? = nil) async throws
    -> (JSONValue, String?)
  {
    let url = baseURL + path + (query.map { "?" + $0 } ?? "")
    var freshToken = false
    var attempt = 1
    while true {
      let bearer = try await currentToken()
      var headers = [
        HTTPHeader("Authorization", "Bearer \(bearer)"), HTTPHeader("Accept", "application/json"),
      ]
      if let startPage { headers.append(HTTPHeader("x-isi-start-page", startPage)) }
      let request = HTTPRequest(method: "GET", url: url, headers: headers)
      guard let response = try await send(request, path: path, attempt: attempt) else {
        attempt += 1
        continue
      }
      switch response.status {
      case 200..<300:
        let next = response.header("x-isi-next-page").flatMap { $0.isEmpty ? nil : $0 }
        return (try await parse(response.body, request: "GET \(path)"), next)
      case 401, 403:
        // A 401 says the token expired: fetch a new one, once; the same answer to a fresh token is a refusal.
        forget(bearer)
        if freshToken {
          throw HydroVuError(
            .credentials,
            "HydroVu refused the credentials of client id \(clientID): GET \(path) answered "
              + "\(response.status) even with a fresh token; check that the client may read this "
              + "location (scopes \(Self.scopes)) and that its id and secret are the right ones")
        }
        freshToken = true
      default:
        try await retryOrThrow(response, path: "GET \(path)", attempt: &attempt)
      }
    }
  }

  /// Sends `request`; nil after waiting when a transient network failure may be retried.
  private func send(_ request: HTTPRequest, path: String, attempt: Int) async throws
    -> HTTPResponse?
  {
    do {
      return try await http.send(request)
    } catch let error as CurlError where error.isTransient {
      guard attempt < retry.maxAttempts else {
        throw HydroVuError(
          .network,
          "\(request.method) \(path) failed \(attempt) times, the last with \(error); check that "
            + "\(baseURL) is reachable and run again")
      }
      try await Task.sleep(for: retry.delay(forAttempt: attempt + 1))
      return nil
    }
  }

  /// Waits before the next try of a 429 or 5xx answer (a 429's `Retry-After` in seconds, capped at
  /// `maxRetryAfter`, when it gives one; the backoff otherwise); throws for any other status, or when the
  /// tries are spent.
  private func retryOrThrow(_ response: HTTPResponse, path: String, attempt: inout Int)
    async throws
  {
    let status = response.status
    let retryable = RetryPolicy.isRetryable(httpStatus: status, s3Code: nil)
    guard retryable, attempt < retry.maxAttempts else {
      throw HydroVuError(
        .http,
        "\(path) answered \(status)\(retryable ? " \(attempt) times" : "")"
          + "\(Self.excerpt(response.body)); "
          + (retryable
            ? "HydroVu is busy or failing: run again later"
            : "check the base URL \(baseURL) and the device ids"))
    }
    attempt += 1
    var delay = retry.delay(forAttempt: attempt)
    if status == 429, let text = response.header("Retry-After"),
      let seconds = Int(text.filter { $0 != " " && $0 != "\t" }), seconds >= 0
    {
      delay = min(.seconds(seconds), maxRetryAfter)
    }
    try await Task.sleep(for: delay)
  }

  /// The token to send: the one held while it is valid, else a new one.
  private func currentToken() async throws -> String {
    let now = ContinuousClock.now
    if let held = token.withLock({ $0 }), held.expires > now { return held.value }
    let fetched = try await fetchToken()
    token.withLock { $0 = fetched }
    return fetched.value
  }

  /// Drops the token `value` (a 401 said it expired), unless another one replaced it meanwhile.
  private func forget(_ value: String) {
    token.withLock { if $0?.value == value { $0 = nil } }
  }

  /// `POST /public-api/oauth/token` with the client credentials.
  private func fetchToken() async throws -> Token {
    let path = "/public-api/oauth/token"
    let form =
      "grant_type=client_credentials&client_id=\(AWSURIEncoding.encode(clientID))"
      + "&client_secret=\(AWSURIEncoding.encode(clientSecret))"
      + "&scope=\(AWSURIEncoding.encode(Self.scopes))"
    let request = HTTPRequest(
      method: "POST", url: baseURL + path,
      headers: [
        HTTPHeader("Content-Type", "application/x-www-form-urlencoded"),
        HTTPHeader("Accept", "application/json"),
      ], body: .bytes(Array(form.utf8)))
    var attempt = 1
    while true {
      let started = ContinuousClock.now
      guard let response = try await send(request, path: path, attempt: attempt) else {
        attempt += 1
        continue
      }
      switch response.status {
      case 200..<300:
        let json = try await parse(response.body, request: "POST \(path)")
        guard let value = json["access_token"]?.stringValue, !value.isEmpty else {
          throw malformed("POST \(path)", "it has no \"access_token\"")
        }
        guard let life = json["expires_in"]?.doubleValue, life >= 1, life < 1e9 else {
          throw malformed("POST \(path)", "it has no \"expires_in\" of at least one second")
        }
        let seconds = Int64(life)
        // Renewed a little early (a tenth of its life, at most a minute), so that it does not expire
        // between being checked and being received.
        let margin = min(seconds * 100, 60_000)
        return Token(value: value, expires: started + .milliseconds(seconds * 1000 - margin))
      case 400, 401, 403:
        throw HydroVuError(
          .credentials,
          "HydroVu refused the credentials of client id \(clientID) (POST \(path) answered "
            + "\(response.status)\(Self.excerpt(response.body))): check the client id and secret, "
            + "and that the client has the scopes \(Self.scopes)")
      default:
        try await retryOrThrow(response, path: "POST \(path)", attempt: &attempt)
      }
    }
  }

  /// Parses a body on `BlockingPool.shared` (a page of readings is megabytes: not on Swift's pool).
  private func parse(_ body: [UInt8], request: String) async throws -> JSONValue {
    do {
      return try await BlockingPool.shared.run { try JSONValue.parse(body) }
    } catch let error as JSONParseError {
      throw HydroVuError(
        .malformed,
        "the answer to \(request) is not valid JSON: \(error.reason) at byte \(error.offset) of "
          + "\(body.count); nothing was stored: run again, and report it to HydroVu if it persists")
    }
  }

  /// The start of an error body, for a message.
  private static func excerpt(_ body: [UInt8]) -> String {
    guard !body.isEmpty else { return "" }
    let text = String(decoding: body.prefix(200), as: UTF8.self)
    return ": " + text + (body.count > 200 ? "..." : "")
  }
}

/// An answer to `request` (`GET /path`) of another shape than HydroVu's.
func malformed(_ request: String, _ what: String) -> HydroVuError {
  HydroVuError(
    .malformed, "the answer to \(request) is not what HydroVu sends: \(what); nothing was stored")
}

/// The names of HydroVu's parameters and units by id (`sispec/friendlynames`).
public struct HydroVuNames: Sendable, Equatable {
  public var parameters: [String: String]
  public var units: [String: String]

  public init(parameters: [String: String], units: [String: String]) {
    self.parameters = parameters
    self.units = units
  }
}

/// One location of `locations/list`.
public struct HydroVuLocation: Sendable, Equatable {
  public var id: Int64
  public var name: String
  public var description: String?
  public var latitude: Double?
  public var longitude: Double?

  public init(
    id: Int64, name: String, description: String?, latitude: Double?, longitude: Double?
  ) {
    self.id = id
    self.name = name
    self.description = description
    self.latitude = latitude
    self.longitude = longitude
  }
}

/// One page of a location's readings.
public struct HydroVuDataPage: Sendable, Equatable {
  /// The readings of one parameter, in one unit.
  public struct Parameter: Sendable, Equatable {
    public var parameterID: String
    public var unitID: String
    public var isCustom: Bool
    /// Unix seconds, one per value (readings whose value is null are left out).
    public var timestamps: [Int64]
    public var values: [Double]
  }

  public var parameters: [Parameter]

  /// Decodes the page `json` answered to `path`.
  init(_ json: JSONValue, path: String) throws {
    guard let items = json["parameters"]?.arrayValue else {
      throw malformed("GET \(path)", "it has no array \"parameters\"")
    }
    parameters = []
    for item in items {
      guard let parameter = Self.id(item["parameterId"]), let unit = Self.id(item["unitId"]) else {
        throw malformed("GET \(path)", "a parameter has no \"parameterId\" or \"unitId\"")
      }
      guard let readings = item["readings"]?.arrayValue else {
        throw malformed("GET \(path)", "parameter \(parameter) has no array \"readings\"")
      }
      var timestamps: [Int64] = []
      var values: [Double] = []
      timestamps.reserveCapacity(readings.count)
      values.reserveCapacity(readings.count)
      for reading in readings {
        guard let time = reading["timestamp"]?.int64Value else {
          throw malformed(
            "GET \(path)", "a reading of parameter \(parameter) has no integer \"timestamp\"")
        }
        guard let value = reading["value"], !value.isNull else { continue }
        guard let number = value.doubleValue else {
          throw malformed(
            "GET \(path)", "the value of parameter \(parameter) at \(time) is not a number")
        }
        timestamps.append(time)
        values.append(number)
      }
      parameters.append(
        Parameter(
          parameterID: parameter, unitID: unit,
          isCustom: item["customParameter"]?.boolValue ?? false,
          timestamps: timestamps, values: values))
    }
  }

  /// An id given as a string or a number.
  private static func id(_ value: JSONValue?) -> String? {
    if let text = value?.stringValue { return text }
    if let number = value?.int64Value { return String(number) }
    return nil
  }
}
