import Foundation
import ObjectStore
import PondCurl

#if canImport(Glibc)
  import Glibc
#endif

/// scripts/s3/fault_proxy.py between the client and the local S3 server, started and stopped by PID.
public final class FaultProxy: @unchecked Sendable {
  // Safe: fields are set in init and only read afterwards; the HTTP client is Sendable.
  let process: Process
  public let endpoint: String
  private let control = HTTPClient()

  /// Starts the proxy in front of `upstream`, on `port` (a free one when nil: a test that stops the proxy to
  /// play an outage starts the next one on the same port).
  public init(upstream: String, port: Int? = nil) throws {
    guard let python = TestSupport.python else {
      throw LocalS3Server.MissingServer(description: ".venv/bin/python is missing (run make deps)")
    }
    let process = Process()
    process.executableURL = python
    process.arguments =
      [
        TestSupport.repositoryRoot.appendingPathComponent("scripts/s3/fault_proxy.py").path,
        "--upstream", upstream,
      ] + (port.map { ["--port", String($0)] } ?? [])
    guard let port = try TestSupport.startPrintingPort(process) else {
      throw LocalS3Server.MissingServer(description: "the fault proxy did not start")
    }
    self.process = process
    endpoint = "http://127.0.0.1:\(port)"
  }

  deinit {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  public struct Stats: Decodable {
    public var injected: Int
    public var seen: [String]
    public var armed: Int
  }

  /// Arms `mode` for the next `count` requests (optionally only `method`, or paths containing `match`).
  @discardableResult
  public func arm(
    _ mode: String, count: Int, method: String? = nil, match: String? = nil, status: Int? = nil,
    body: String? = nil
  ) async throws
    -> Stats
  {
    var query = "mode=\(mode)&count=\(count)"
    if let method { query += "&method=\(method)" }
    if let match { query += "&match=\(AWSURIEncoding.encode(match))" }
    if let status { query += "&status=\(status)" }
    if let body { query += "&body=\(AWSURIEncoding.encode(body))" }
    return try await call("/__fault__/set?\(query)")
  }

  public func stats() async throws -> Stats { try await call("/__fault__/stats") }

  private func call(_ path: String) async throws -> Stats {
    let response = try await control.send(HTTPRequest(method: "GET", url: endpoint + path))
    return try JSONDecoder().decode(Stats.self, from: Data(response.body))
  }
}
