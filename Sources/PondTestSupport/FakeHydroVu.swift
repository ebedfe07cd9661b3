import Foundation
import PondCurl

#if canImport(Glibc)
  import Glibc
#endif

/// scripts/hydrovu/fake_hydrovu.py, a fake HydroVu API on 127.0.0.1, started and stopped by PID.
public final class FakeHydroVu: @unchecked Sendable {
  // Safe: every field is set in init and only read afterwards; the HTTP client is Sendable.
  private let process: Process
  /// `http://127.0.0.1:PORT`, the collector's base URL.
  public let baseURL: String
  /// The generator's settings (as given to the script).
  public let firstID: Int64
  public let devices: Int
  public let parameters: Int
  public let start: Int64
  public let end: Int64
  public let interval: Int64
  public static let clientID = "test-client"
  public static let clientSecret = "test-secret"
  private let control = HTTPClient()

  /// Starts the server: `devices` locations from id `firstID`, `parameters` parameters, a reading every
  /// `interval` seconds from `start` to `end` (Unix seconds); `options` are further command-line options
  /// of the script (`--page-size 10`, `--fault 429:3`, ...).
  public init(
    devices: Int = 2, firstID: Int64 = 100, parameters: Int = 3, start: Int64, end: Int64,
    interval: Int64 = 900, options: [String] = []
  ) throws {
    let python = TestSupport.python ?? TestSupport.which("python3")
    guard let python else {
      throw TestSupport.Unavailable(what: "python3 (for scripts/hydrovu/fake_hydrovu.py)")
    }
    let process = Process()
    process.executableURL = python
    process.arguments =
      [
        TestSupport.repositoryRoot.appendingPathComponent("scripts/hydrovu/fake_hydrovu.py").path,
        "--devices", String(devices), "--first-id", String(firstID), "--parameters",
        String(parameters), "--start", String(start), "--end", String(end), "--interval",
        String(interval), "--client-id", Self.clientID, "--client-secret", Self.clientSecret,
      ] + options
    guard let port = try TestSupport.startPrintingPort(process) else {
      throw TestSupport.Unavailable(what: "scripts/hydrovu/fake_hydrovu.py did not start")
    }
    self.process = process
    baseURL = "http://127.0.0.1:\(port)"
    self.firstID = firstID
    self.devices = devices
    self.parameters = parameters
    self.start = start
    self.end = end
    self.interval = interval
  }

  deinit { stop() }

  /// Stops the server (by its PID) and waits for it; again does nothing.
  public func stop() {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// The value the generator gives parameter `parameter` of location `location` at Unix time `time`.
  public static func value(location: Int64, parameter: Int, time: Int64) -> Double {
    Double(location * 1000 + Int64(parameter) * 100) + Double((time / 60) % 10007) / 8
  }

  /// The reading times of the generator from `from` on (inclusive), at most `count` of them.
  public func times(from: Int64, count: Int? = nil) -> [Int64] {
    var first = max(from, start)
    let offset = (first - start) % interval
    if offset != 0 { first += interval - offset }
    let all = stride(from: first, through: end, by: Int(interval)).map { $0 }
    return count.map { Array(all.prefix($0)) } ?? all
  }

  /// Arms a fault (see the script): `kind` for the next `count` requests whose path contains `match`.
  public func arm(
    _ kind: String, count: Int = 1, match: String? = nil, retryAfter: Int? = nil,
    seconds: Double? = nil
  ) async throws {
    var fault: [String: Any] = ["kind": kind, "count": count]
    if let match { fault["match"] = match }
    if let retryAfter { fault["retry_after"] = retryAfter }
    if let seconds { fault["seconds"] = seconds }
    let body = try JSONSerialization.data(withJSONObject: ["faults": [fault]])
    try await post(body)
  }

  /// Disarms every fault.
  public func clearFaults() async throws {
    try await post(Data(#"{"clear": true}"#.utf8))
  }

  private func post(_ body: Data) async throws {
    let response = try await control.send(
      HTTPRequest(method: "POST", url: baseURL + "/_control", body: .bytes(Array(body))))
    guard response.status == 200 else {
      throw TestSupport.Unavailable(
        what: "the fake HydroVu's /_control (status \(response.status))")
    }
  }

  /// What the server counted.
  public struct Stats: Decodable, Sendable {
    /// Requests per path.
    public var requests: [String: Int]
    /// Tokens issued, faults injected, stalls begun, faults still armed.
    public var tokens: Int
    public var faults: Int
    public var stalled: Int
    public var armed: Int
  }

  public func stats() async throws -> Stats {
    let response = try await control.send(HTTPRequest(method: "GET", url: baseURL + "/_stats"))
    return try JSONDecoder().decode(Stats.self, from: Data(response.body))
  }
}
