import Foundation
import PondCrypto
import PondCurl
import Testing

@testable import ObjectStore

/// Requests built by hand, to show the verifying layer refuses what S3 refuses.
@Suite(
  "The test server's signature checks",
  .enabled(if: S3TestServer.shouldRun, S3TestServer.skipReason))
struct VerifyingProxyTests {
  let server: S3TestServer
  let client = HTTPClient()

  init() throws {
    server = try S3TestServer.require()
  }

  func signed(_ method: String, key: String, extra: [HTTPHeader] = []) -> HTTPRequest {
    let host = String(server.endpoint.dropFirst("http://".count))
    let path = "/\(server.bucket)/" + AWSURIEncoding.encode(key, keepingSlashes: true)
    let signer = SigV4Signer(credentials: server.credentials, region: server.region)
    let result = signer.sign(
      method: method, path: path, query: "", headers: [HTTPHeader("Host", host)], payload: .empty,
      date: Date())
    return HTTPRequest(method: method, url: server.endpoint + path, headers: result.headers + extra)
  }

  @Test func aCorrectlySignedRequestIsAccepted() async throws {
    let response = try await client.send(signed("GET", key: "no such key \(UUID())"))
    // Past the signature check, the S3 server itself answers.
    #expect(response.status == 404)
    #expect(String(decoding: response.body, as: UTF8.self).contains("NoSuchKey"))
  }

  @Test func anUnsignedAmzHeaderIsRefused() async throws {
    let response = try await client.send(
      signed("GET", key: "x", extra: [HTTPHeader("x-amz-meta-added-later", "1")]))
    #expect(response.status == 403)
    let body = String(decoding: response.body, as: UTF8.self)
    #expect(body.contains("<Code>AccessDenied</Code>"))
    #expect(body.contains("x-amz-meta-added-later"))
  }

  @Test func anAnonymousRequestIsRefused() async throws {
    let response = try await client.send(
      HTTPRequest(method: "GET", url: "\(server.endpoint)/\(server.bucket)/x"))
    #expect(response.status == 403)
    #expect(String(decoding: response.body, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
  }

  @Test func aSignatureOverAnotherPathIsRefused() async throws {
    var request = signed("GET", key: "one")
    request.url = request.url.replacingOccurrences(of: "/one", with: "/two")
    let response = try await client.send(request)
    #expect(response.status == 403)
    #expect(
      String(decoding: response.body, as: UTF8.self).contains("<Code>SignatureDoesNotMatch</Code>"))
  }
}
