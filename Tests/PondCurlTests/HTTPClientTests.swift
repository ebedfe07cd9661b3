import Foundation
import PondCurl
import PondFiles
import PondTestSupport
import Testing

@Suite("HTTP over libcurl against a local server")
struct HTTPClientTests {
  let server: LocalHTTPServer
  let client = HTTPClient(timeouts: HTTPTimeouts(connect: .seconds(5), lowSpeedTime: .seconds(2)))

  init() throws {
    server = try LocalHTTPServer()
  }

  @Test func getReturnsStatusHeadersAndBody() async throws {
    let response = try await client.send(HTTPRequest(method: "GET", url: server.baseURL + "/hello"))
    #expect(response.status == 200)
    #expect(String(decoding: response.body, as: UTF8.self) == "hello, pond")
    #expect(response.header("x-test") == "yes")
    #expect(response.header("Content-Length") == "11")
    #expect(response.bodyLength == 11)
  }

  @Test func notFoundIsAResponseWithItsBody() async throws {
    let response = try await client.send(
      HTTPRequest(method: "GET", url: server.baseURL + "/missing"))
    #expect(response.status == 404)
    #expect(!response.isSuccess)
    #expect(String(decoding: response.body, as: UTF8.self).contains("NoSuchKey"))
  }

  @Test func errorBodyNeverGoesToTheFile() async throws {
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("out").path
    let response = try await client.send(
      HTTPRequest(method: "GET", url: server.baseURL + "/missing"), to: .file(path: path))
    #expect(response.status == 404)
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(String(decoding: response.body, as: UTF8.self).contains("NoSuchKey"))
  }

  @Test func headHasNoBody() async throws {
    let response = try await client.send(
      HTTPRequest(method: "HEAD", url: server.baseURL + "/hello"))
    #expect(response.status == 200)
    #expect(response.header("content-length") == "11")
    #expect(response.body.isEmpty)
  }

  @Test func connectionRefusedIsACurlError() async throws {
    let url = "http://127.0.0.1:\(LocalHTTPServer.closedPort())/x?secret=hidden"
    let error = try await #require(throws: CurlError.self) {
      try await client.send(HTTPRequest(method: "GET", url: url))
    }
    #expect(error.code == 7, "CURLE_COULDNT_CONNECT")
    #expect(error.isTransient)
    #expect(error.code == 7)
    #expect(error.description.contains("GET http://127.0.0.1"))
    #expect(!error.description.contains("secret=hidden"))
  }

  @Test func stalledResponseTimesOut() async throws {
    let started = ContinuousClock.now
    let error = try await #require(throws: CurlError.self) {
      try await client.send(
        HTTPRequest(method: "GET", url: server.baseURL + "/stall"),
        timeouts: HTTPTimeouts(connect: .seconds(2), lowSpeedLimit: 100, lowSpeedTime: .seconds(1)))
    }
    #expect(error.code == 28, "CURLE_OPERATION_TIMEDOUT")
    // The low-speed limit fired (a total-time limit would say "timed out after"), not the server giving up.
    #expect(error.message.contains("too slow"), "\(error)")
    // curl averages the speed over a few seconds, so the stall is noticed after about 2-6 s here; the server
    // itself would only move on after 20 s (and then a truncated body, not a timeout, would be the error).
    #expect(ContinuousClock.now - started < .seconds(19))
  }

  @Test func truncatedBodyIsAnError() async throws {
    let error = try await #require(throws: CurlError.self) {
      try await client.send(HTTPRequest(method: "GET", url: server.baseURL + "/truncated"))
    }
    #expect(error.code == 18)
    #expect(error.isTransient)
  }

  @Test func bodyFromMemoryIsSentWithHeaders() async throws {
    let body = Array("the body".utf8)
    let response = try await client.send(
      HTTPRequest(method: "PUT", url: server.baseURL + "/up", body: .bytes(body)))
    #expect(response.status == 201)
    let expected = "8 " + sha256Hex(body)
    #expect(String(decoding: response.body, as: UTF8.self) == expected)

    let headers = try await client.send(
      HTTPRequest(
        method: "GET", url: server.baseURL + "/headers",
        headers: [HTTPHeader("X-Amz-Date", "20260101T000000Z"), HTTPHeader("X-Empty", "")]))
    let text = String(decoding: headers.body, as: UTF8.self)
    #expect(text.contains("x-amz-date: 20260101T000000Z"))
    #expect(text.contains("x-empty: \n"))
    #expect(!text.contains("expect:"))
  }

  @Test func emptyPutAndPostAndDelete() async throws {
    let put = try await client.send(HTTPRequest(method: "PUT", url: server.baseURL + "/empty"))
    #expect(String(decoding: put.body, as: UTF8.self).hasPrefix("0 e3b0c442"))
    let post = try await client.send(
      HTTPRequest(method: "POST", url: server.baseURL + "/p", body: .bytes([1, 2, 3])))
    #expect(post.status == 201)
    #expect(String(decoding: post.body, as: UTF8.self).hasPrefix("3 "))
    let delete = try await client.send(HTTPRequest(method: "DELETE", url: server.baseURL + "/x"))
    #expect(delete.status == 204)
  }

  @Test func bodyStreamsFromAFileRangeAndToAFile() async throws {
    let dir = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = dir.appendingPathComponent("source")
    let content = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    try Data(content).write(to: source)

    let whole = try await client.send(
      HTTPRequest(
        method: "PUT", url: server.baseURL + "/up",
        body: .file(path: source.path, offset: 0, length: Int64(content.count))))
    #expect(String(decoding: whole.body, as: UTF8.self) == "\(content.count) \(sha256Hex(content))")

    let slice = Array(content[1000..<(1000 + 65_537)])
    let part = try await client.send(
      HTTPRequest(
        method: "PUT", url: server.baseURL + "/up",
        body: .file(path: source.path, offset: 1000, length: 65_537)))
    #expect(String(decoding: part.body, as: UTF8.self) == "65537 \(sha256Hex(slice))")

    let target = dir.appendingPathComponent("download")
    let n = 5_000_000
    let download = try await client.send(
      HTTPRequest(method: "GET", url: server.baseURL + "/bytes/\(n)"), to: .file(path: target.path))
    #expect(download.status == 200)
    #expect(download.body.isEmpty)
    let written = try Data(contentsOf: target)
    #expect(written.count == n)
    #expect(written.elementsEqual((0..<n).lazy.map { UInt8($0 % 251) }))

    let empty = dir.appendingPathComponent("empty")
    let zero = try await client.send(
      HTTPRequest(method: "GET", url: server.baseURL + "/bytes/0"), to: .file(path: empty.path))
    #expect(zero.status == 200)
    #expect(try Data(contentsOf: empty).isEmpty)
  }

  @Test func missingUploadFileIsAClearError() async throws {
    await #expect(throws: FileIOError.self) {
      try await client.send(
        HTTPRequest(
          method: "PUT", url: server.baseURL + "/up",
          body: .file(path: "/nonexistent/file", offset: 0, length: 1)))
    }
  }

  @Test func consumerReceivesBodyAndCanAbort() async throws {
    let counter = CountingConsumer(limit: nil)
    let ok = try await client.send(
      HTTPRequest(method: "GET", url: server.baseURL + "/bytes/100000"), to: .consumer(counter))
    #expect(ok.status == 200)
    #expect(counter.total == 100_000)

    let refusing = CountingConsumer(limit: 10)
    await #expect(throws: ConsumerStop.self) {
      try await client.send(
        HTTPRequest(method: "GET", url: server.baseURL + "/bytes/100000"), to: .consumer(refusing))
    }
  }

  @Test func connectionsAreReused() async throws {
    let reusing = HTTPClient(maxIdleHandles: 1)
    let first = try await reusing.send(HTTPRequest(method: "GET", url: server.baseURL + "/hello"))
    let second = try await reusing.send(HTTPRequest(method: "GET", url: server.baseURL + "/hello"))
    let third = try await reusing.send(
      HTTPRequest(method: "PUT", url: server.baseURL + "/up", body: .bytes([1])))
    #expect(first.newConnections == 1)
    #expect(second.newConnections == 0)
    #expect(third.newConnections == 0)
  }

  @Test func cancellationAbortsATransfer() async throws {
    let task = Task {
      try await client.send(
        HTTPRequest(method: "GET", url: server.baseURL + "/stall"),
        timeouts: HTTPTimeouts(lowSpeedTime: .seconds(30)))
    }
    try await Task.sleep(for: .milliseconds(300))
    task.cancel()
    let error = await #expect(throws: CurlError.self) { try await task.value }
    #expect(error?.isCancelled == true)
  }
}

struct ConsumerStop: Error {}

final class CountingConsumer: HTTPBodyConsumer, @unchecked Sendable {
  // Safe: used by one transfer thread at a time, read after the transfer finished.
  var total = 0
  let limit: Int?
  init(limit: Int?) { self.limit = limit }
  func consume(_ chunk: UnsafeRawBufferPointer) throws {
    total += chunk.count
    if let limit, total > limit { throw ConsumerStop() }
  }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
  let result = try? TestSupport.run(
    URL(fileURLWithPath: "/usr/bin/sha256sum"), [], stdin: Data(bytes))
  return String(result?.stdoutText.prefix(64) ?? "")
}
