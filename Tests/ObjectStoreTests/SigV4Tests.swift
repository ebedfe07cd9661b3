import Foundation
import PondCrypto
import PondCurl
import PondTestSupport
import Testing

@testable import ObjectStore

/// One request of a test suite file: request line, headers (folded lines joined by a space) and body.
struct RawRequest {
  var method: String
  var path: String
  var query: String
  var headers: [HTTPHeader]
  var body: [UInt8]

  /// - Parameter foldAsValues: the classic suite reads each folded continuation line as another value of
  ///   the header (joined by commas); the newer suite joins them with a space (obs-fold).
  init(parsing text: String, foldAsValues: Bool = false) {
    let (head, body) =
      text.range(of: "\n\n").map {
        (String(text[..<$0.lowerBound]), String(text[$0.upperBound...]))
      } ?? (text, "")
    var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let requestLine = lines.removeFirst()
    let first = requestLine.firstIndex(of: " ")!
    let last = requestLine.range(of: " HTTP/", options: .backwards)!.lowerBound
    method = String(requestLine[..<first])
    let target = String(requestLine[requestLine.index(after: first)..<last])
    if let mark = target.firstIndex(of: "?") {
      path = String(target[..<mark])
      query = String(target[target.index(after: mark)...])
    } else {
      path = target
      query = ""
    }
    headers = []
    for line in lines where !line.isEmpty {
      if line.first == " " || line.first == "\t", !headers.isEmpty {
        if foldAsValues {
          headers.append(HTTPHeader(headers[headers.count - 1].name, line))
        } else {
          headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
        }
      } else if let colon = line.firstIndex(of: ":") {
        headers.append(
          HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...])))
      }
    }
    self.body = Array(body.utf8)
  }
}

func parseTimestamp(_ text: String) -> Date {
  // 20150830T123600Z
  let digits = text.filter(\.isNumber).map { Int(String($0))! }
  func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + digits[$1] } }
  var components = DateComponents()
  components.year = number(0..<4)
  components.month = number(4..<6)
  components.day = number(6..<8)
  components.hour = number(8..<10)
  components.minute = number(10..<12)
  components.second = number(12..<14)
  var calendar = Calendar(identifier: .gregorian)
  calendar.timeZone = TimeZone(identifier: "UTC")!
  return calendar.date(from: components)!
}

let sigv4Root = URL(fileURLWithPath: "/work/shared/testdata/sigv4")
  .resolvingSymlinksInPath()

func vectorText(_ url: URL) throws -> String {
  try String(contentsOf: url, encoding: .utf8)
}

/// Vectors of the newer suite (aws-c-auth) that do not apply, with the reason.
let skippedSigningSuiteVectors: [String: String] = [
  // Its canonical request carries X-Amz-Date 20210511T154045Z while request.txt says 20150830T123600Z, and
  // it ships no string-to-sign or signature: there is nothing consistent to compare against.
  "double-encode-path": "faulty vector: the .req and canonical request disagree on X-Amz-Date"
]

/// Vectors of the classic 2015 suite that do not apply, with the reason (checked against botocore too).
let skippedClassicVectors: [String: String] = [
  "double-encode-path": "faulty vector: its .creq carries a different X-Amz-Date than its .req",
  "post-x-www-form-urlencoded":
    "faulty vector: its .creq lists content-type in the header block but not in SignedHeaders",
  "post-x-www-form-urlencoded-parameters":
    "does not apply: the 2015 suite moves form fields into the query string, which no AWS SDK (nor pond) does",
]

/// Why the `query-*` files of the newer suite (canonical request, string to sign, signature and signed
/// request of query-string signing) are not used.
let querySigningReason =
  "does not apply: pond signs every request in the Authorization header and never creates presigned "
  + "(query-string-signed) URLs, so the query-* files of the aws-signing-test-suite vectors test nothing pond does"

/// Every vector directory of the newer suite, skipped ones included.
let allSigningSuiteNames: [String] = {
  let dir = sigv4Root.appendingPathComponent("aws-signing-test-suite/v4")
  return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
}()

/// The vectors of the newer suite that are run.
let signingSuiteNames = allSigningSuiteNames.filter { skippedSigningSuiteVectors[$0] == nil }

func classicName(_ path: String) -> String {
  URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
}

/// Every `.req` of the classic suite, skipped ones included.
let allClassicSuiteRequests: [String] = {
  let dir = sigv4Root.appendingPathComponent("aws-sig-v4-test-suite")
  let all = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []
  return all.filter { $0.hasSuffix(".req") }.sorted()
}()

/// The classic vectors that are run.
let classicSuiteRequests = allClassicSuiteRequests.filter {
  skippedClassicVectors[classicName($0)] == nil
}

@Suite("SigV4 signing")
struct SigV4Tests {
  @Test func vectorsArePresent() {
    #expect(allSigningSuiteNames.count >= 40)
    #expect(allClassicSuiteRequests.count >= 33)
    // Every skipped vector exists (a stale skip list would hide nothing and mislead).
    for name in skippedSigningSuiteVectors.keys {
      #expect(allSigningSuiteNames.contains(name), "\(name)")
    }
    let classicNames = Set(allClassicSuiteRequests.map(classicName))
    for name in skippedClassicVectors.keys { #expect(classicNames.contains(name), "\(name)") }
    #expect(
      signingSuiteNames.count == allSigningSuiteNames.count - skippedSigningSuiteVectors.count)
    #expect(
      classicSuiteRequests.count == allClassicSuiteRequests.count - skippedClassicVectors.count)
  }

  // Skipped vectors: each is its own disabled test, so the runner reports it as skipped with its reason.

  @Test(
    "aws-signing-test-suite: double-encode-path",
    .disabled(Comment(rawValue: skippedSigningSuiteVectors["double-encode-path"]!)))
  func signingSuiteDoubleEncodePath() throws { try signingSuite(name: "double-encode-path") }

  @Test(
    "aws-signing-test-suite: the query-* files (query-string signing, presigned URLs)",
    .disabled(Comment(rawValue: querySigningReason)))
  func signingSuiteQueryFiles() throws {
    Issue.record("query-string signing is not implemented")
  }

  @Test(
    "aws-sig-v4-test-suite: double-encode-path",
    .disabled(Comment(rawValue: skippedClassicVectors["double-encode-path"]!)))
  func classicDoubleEncodePath() throws {
    try classicSuite(path: "double-encode-path/double-encode-path.req")
  }

  @Test(
    "aws-sig-v4-test-suite: post-x-www-form-urlencoded",
    .disabled(Comment(rawValue: skippedClassicVectors["post-x-www-form-urlencoded"]!)))
  func classicPostFormURLEncoded() throws {
    try classicSuite(path: "post-x-www-form-urlencoded/post-x-www-form-urlencoded.req")
  }

  @Test(
    "aws-sig-v4-test-suite: post-x-www-form-urlencoded-parameters",
    .disabled(Comment(rawValue: skippedClassicVectors["post-x-www-form-urlencoded-parameters"]!)))
  func classicPostFormURLEncodedParameters() throws {
    try classicSuite(
      path: "post-x-www-form-urlencoded-parameters/post-x-www-form-urlencoded-parameters.req")
  }

  @Test(
    "S3 API reference example: presigned GET test.txt 86400s",
    .disabled(Comment(rawValue: SigV4Tests.skippedS3Examples["presigned GET test.txt 86400s"]!)))
  func s3PresignedExample() throws {
    let example = try #require(
      Self.allS3Examples.first { $0.name == "presigned GET test.txt 86400s" })
    try s3Example(example: example)
  }

  @Test("aws-signing-test-suite (generic service)", arguments: signingSuiteNames)
  func signingSuite(name: String) throws {
    let dir = sigv4Root.appendingPathComponent("aws-signing-test-suite/v4/\(name)")
    let request = RawRequest(parsing: try vectorText(dir.appendingPathComponent("request.txt")))
    var credentials = AWSCredentials(
      accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    var region = "us-east-1"
    var service = "service"
    var normalize = true
    // The carried-over old-format vectors double-encode; the aws-c-auth vectors encode each segment once.
    var doubleEncode = true
    var signBody = false
    var omitToken = false
    var date: Date
    let contextURL = dir.appendingPathComponent("context.json")
    if FileManager.default.fileExists(atPath: contextURL.path) {
      let context =
        try JSONSerialization.jsonObject(with: Data(contentsOf: contextURL)) as! [String: Any]
      let creds = context["credentials"] as! [String: Any]
      credentials = AWSCredentials(
        accessKeyID: creds["access_key_id"] as! String,
        secretAccessKey: creds["secret_access_key"] as! String,
        sessionToken: creds["token"] as? String)
      region = context["region"] as! String
      service = context["service"] as! String
      normalize = context["normalize"] as! Bool
      doubleEncode = false
      signBody = context["sign_body"] as! Bool
      omitToken = context["omit_session_token"] as? Bool ?? false
      let iso = context["timestamp"] as! String
      date = ISO8601DateFormatter().date(from: iso)!
    } else {
      // Old-format vectors carried over: the scope and time come from the string to sign.
      let sts = try vectorText(dir.appendingPathComponent("header-string-to-sign.txt"))
        .split(separator: "\n").map(String.init)
      date = parseTimestamp(sts[1])
      let scope = sts[2].split(separator: "/")
      region = String(scope[1])
      service = String(scope[2])
    }
    let headers = request.headers.filter { $0.name.lowercased() != "x-amz-date" }
    let signer = SigV4Signer(
      credentials: credentials, region: region, service: service,
      uriRule: .generic(normalize: normalize, doubleEncode: doubleEncode),
      sendsContentSHA256: signBody, signsSessionToken: !omitToken)
    let signed = signer.sign(
      method: request.method, path: request.path, query: request.query, headers: headers,
      payload: .sha256(Hex.encode(SHA256.hash(request.body))), date: date)

    let creq = try vectorText(dir.appendingPathComponent("header-canonical-request.txt"))
    #expect(signed.canonicalRequest == creq)
    let stsURL = dir.appendingPathComponent("header-string-to-sign.txt")
    if FileManager.default.fileExists(atPath: stsURL.path) {
      #expect(signed.stringToSign == (try vectorText(stsURL)).trimmingCharacters(in: .newlines))
    }
    let signatureURL = dir.appendingPathComponent("header-signature.txt")
    if FileManager.default.fileExists(atPath: signatureURL.path) {
      let expected = try vectorText(signatureURL).trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(signed.signature == expected)
    }
    // The signed request's Authorization line must match too.
    let sreq = try vectorText(dir.appendingPathComponent("header-signed-request.txt"))
    let authorization = signed.headers.first { $0.name == "Authorization" }!.value
    #expect(
      sreq.contains("Authorization:\(authorization)")
        || sreq.contains("Authorization: \(authorization)"))
    if let token = credentials.sessionToken {
      #expect(signed.headers.contains(HTTPHeader("X-Amz-Security-Token", token)))
    }
  }

  @Test("aws-sig-v4-test-suite (classic, generic service)", arguments: classicSuiteRequests)
  func classicSuite(path: String) throws {
    let base = sigv4Root.appendingPathComponent("aws-sig-v4-test-suite/\(path)")
      .deletingPathExtension()
    let request = RawRequest(
      parsing: try vectorText(base.appendingPathExtension("req")), foldAsValues: true)
    let sts = try vectorText(base.appendingPathExtension("sts"))
    let stsLines = sts.split(separator: "\n").map(String.init)
    let scope = stsLines[2].split(separator: "/")
    let signer = SigV4Signer(
      credentials: AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
      region: String(scope[1]), service: String(scope[2]), uriRule: .generic(normalize: true),
      sendsContentSHA256: false)
    let signed = signer.sign(
      method: request.method, path: request.path, query: request.query,
      headers: request.headers.filter { $0.name.lowercased() != "x-amz-date" },
      payload: .sha256(Hex.encode(SHA256.hash(request.body))), date: parseTimestamp(stsLines[1]))
    #expect(signed.canonicalRequest == (try vectorText(base.appendingPathExtension("creq"))))
    #expect(signed.stringToSign == sts.trimmingCharacters(in: .newlines))
    let authz = try vectorText(base.appendingPathExtension("authz"))
    #expect(
      signed.headers.last == HTTPHeader("Authorization", authz.trimmingCharacters(in: .newlines)))
  }

  struct S3Example: Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var url: String
    var headers: [HTTPHeader]
    var body: String
    var presign: Int?
    var signature: String
    var testDescription: String { name }
  }

  /// The S3 examples that are run.
  static let s3Examples = allS3Examples.filter { skippedS3Examples[$0.name] == nil }

  static let allS3Examples: [S3Example] = {
    let url = sigv4Root.appendingPathComponent("s3-doc-examples.json")
    guard let data = try? Data(contentsOf: url),
      let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else { return [] }
    return list.map { item in
      S3Example(
        name: item["name"] as! String, method: item["method"] as! String,
        url: item["url"] as! String,
        headers: (item["headers"] as! [[String]]).map { HTTPHeader($0[0], $0[1]) },
        body: item["body"] as! String, presign: item["presign"] as? Int,
        signature: item["signature"] as! String)
    }
  }()

  /// S3 examples that do not apply, with the reason.
  static let skippedS3Examples: [String: String] = [
    "presigned GET test.txt 86400s":
      "does not apply: pond signs headers and never creates presigned (query-signed) URLs"
  ]

  @Test func s3ExamplesArePresent() {
    #expect(Self.allS3Examples.count == 5)
    #expect(Self.s3Examples.count == 4)
    #expect(
      Self.allS3Examples.filter { $0.presign != nil }.map(\.name)
        == Array(Self.skippedS3Examples.keys))
  }

  @Test("S3 API reference examples", arguments: s3Examples)
  func s3Example(example: S3Example) throws {
    let components = URLComponents(string: example.url)!
    var headers = [HTTPHeader("Host", components.host!)]
    var date = Date()
    var payload = SigV4Signer.Payload.empty
    for header in example.headers {
      switch header.name.lowercased() {
      case "x-amz-date": date = parseTimestamp(header.value)
      case "x-amz-content-sha256": payload = .sha256(header.value)
      default: headers.append(header)
      }
    }
    #expect(payload == .sha256(Hex.encode(SHA256.hash(Array(example.body.utf8)))))
    let signer = SigV4Signer(
      credentials: AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
      region: "us-east-1")
    let signed = signer.sign(
      method: example.method, path: components.percentEncodedPath,
      query: components.percentEncodedQuery ?? "", headers: headers, payload: payload, date: date)
    #expect(signed.signature == example.signature)
  }

  @Test func s3CanonicalURIEncodesEachSegmentOnceAndNeverNormalizes() {
    let key = "a b/+=~%/!*'()/./../ü/x//y"
    let wire = "/bucket/" + AWSURIEncoding.encode(key, keepingSlashes: true)
    #expect(wire == "/bucket/a%20b/%2B%3D~%25/%21%2A%27%28%29/./../%C3%BC/x//y")
    let signer = SigV4Signer(
      credentials: AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK"), region: "r")
    #expect(signer.canonicalURI(wire) == wire)
    let generic = SigV4Signer(
      credentials: AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK"), region: "r",
      uriRule: .generic(normalize: false))
    #expect(generic.canonicalURI("/a%20b") == "/a%2520b")
  }

  @Test func canonicalQuerySortsAndEncodes() {
    #expect(
      SigV4Signer.canonicalQuery("prefix=a%2Fb c&list-type=2&delimiter=%2F&start-after=x+y")
        == "delimiter=%2F&list-type=2&prefix=a%2Fb%20c&start-after=x%2By")
    #expect(SigV4Signer.canonicalQuery("uploads") == "uploads=")
    #expect(SigV4Signer.canonicalQuery("") == "")
  }

  @Test func unsignedPayloadAndSessionToken() {
    let signer = SigV4Signer(
      credentials: AWSCredentials(
        accessKeyID: "AKID", secretAccessKey: "topsecret", sessionToken: "tok3n"),
      region: "eu-west-1")
    let signed = signer.sign(
      method: "PUT", path: "/b/k", query: "", headers: [HTTPHeader("Host", "127.0.0.1:9000")],
      payload: .unsigned, date: parseTimestamp("20260101T000000Z"))
    #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
    #expect(signed.canonicalRequest.contains("x-amz-security-token:tok3n\n"))
    #expect(signed.headers.contains(HTTPHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")))
    let authorization = signed.headers.last!.value
    #expect(authorization.contains("Credential=AKID/20260101/eu-west-1/s3/aws4_request"))
    #expect(
      authorization.contains(
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
    // The secret appears nowhere in what is sent or printed.
    let everything =
      signed.headers.map { "\($0.name): \($0.value)" }.joined() + signed.canonicalRequest
      + signed.stringToSign + "\(signer)" + String(reflecting: signer.credentials)
    #expect(!everything.contains("topsecret"))
    #expect(!"\(signer.credentials)".contains("tok3n"))
  }
}
