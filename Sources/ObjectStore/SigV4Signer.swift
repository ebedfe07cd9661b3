public import FoundationEssentials
import PondCrypto
public import PondCurl
import PondTime

/// Signs requests with AWS Signature Version 4 (header signing), using OpenSSL's SHA-256 and HMAC.
public struct SigV4Signer: Sendable {
  /// How the canonical URI is derived from the path sent on the wire.
  public enum URIRule: Sendable, Hashable {
    /// S3: the wire path, whose segments were each percent-encoded once, is used as it is; never normalized.
    case s3
    /// Other AWS services: optionally remove dot segments and empty segments, then percent-encode each
    /// segment of the wire path: again (`doubleEncode`), or after decoding it (so it is encoded once).
    case generic(normalize: Bool, doubleEncode: Bool = true)
  }

  /// The payload hash line of the canonical request.
  public enum Payload: Sendable, Hashable {
    /// The hex SHA-256 of the body.
    case sha256(String)
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    case unsigned

    /// The SHA-256 of an empty body.
    public static let empty = Payload.sha256(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    var value: String {
      switch self {
      case .sha256(let hex): return hex
      case .unsigned: return "UNSIGNED-PAYLOAD"
      }
    }
  }

  public var credentials: AWSCredentials
  public var region: String
  public var service: String
  public var uriRule: URIRule
  /// Whether `x-amz-content-sha256` is sent (and signed); S3 requires it.
  public var sendsContentSHA256: Bool
  /// Whether the session token header is signed (true for S3); when false it is added after signing.
  public var signsSessionToken: Bool

  public init(
    credentials: AWSCredentials, region: String, service: String = "s3", uriRule: URIRule = .s3,
    sendsContentSHA256: Bool = true, signsSessionToken: Bool = true
  ) {
    self.credentials = credentials
    self.region = region
    self.service = service
    self.uriRule = uriRule
    self.sendsContentSHA256 = sendsContentSHA256
    self.signsSessionToken = signsSessionToken
  }

  /// The result of signing: what was signed, and the headers to send.
  public struct Signed: Sendable {
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String
    /// The request's headers followed by those signing added (`X-Amz-Date`, `x-amz-content-sha256`,
    /// `X-Amz-Security-Token`, `Authorization`).
    public var headers: [HTTPHeader]
  }

  /// Signs a request.
  ///
  /// - Parameters:
  ///   - path: the path exactly as it goes on the wire (already percent-encoded for S3).
  ///   - query: the query string as it goes on the wire, without `?`.
  ///   - headers: the headers to sign and send, including `Host`.
  public func sign(
    method: String, path: String, query: String, headers: [HTTPHeader], payload: Payload, date: Date
  ) -> Signed {
    let timestamp = SigV4Signer.timestamp(date)
    let day = String(timestamp.prefix(8))
    var signedInput = headers
    signedInput.append(HTTPHeader("X-Amz-Date", timestamp))
    if sendsContentSHA256 { signedInput.append(HTTPHeader("x-amz-content-sha256", payload.value)) }
    if let token = credentials.sessionToken, signsSessionToken {
      signedInput.append(HTTPHeader("X-Amz-Security-Token", token))
    }

    let (canonicalHeaders, signedHeaders) = SigV4Signer.canonicalHeaders(signedInput)
    let canonicalRequest = [
      method,
      canonicalURI(path),
      SigV4Signer.canonicalQuery(query),
      canonicalHeaders,
      signedHeaders,
      payload.value,
    ].joined(separator: "\n")
    let scope = "\(day)/\(region)/\(service)/aws4_request"
    let stringToSign = [
      "AWS4-HMAC-SHA256", timestamp, scope, Hex.encode(SHA256.hash(Array(canonicalRequest.utf8))),
    ].joined(separator: "\n")

    var key = HMACSHA256.authenticate(
      key: Array("AWS4\(credentials.secretAccessKey)".utf8), message: Array(day.utf8))
    for part in [region, service, "aws4_request"] {
      key = HMACSHA256.authenticate(key: key, message: Array(part.utf8))
    }
    let signature = Hex.encode(HMACSHA256.authenticate(key: key, message: Array(stringToSign.utf8)))

    var out = signedInput
    if let token = credentials.sessionToken, !signsSessionToken {
      out.append(HTTPHeader("X-Amz-Security-Token", token))
    }
    out.append(
      HTTPHeader(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
          + "SignedHeaders=\(signedHeaders), Signature=\(signature)"))
    return Signed(
      canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
      headers: out)
  }

  /// `YYYYMMDDTHHMMSSZ` in UTC.
  static func timestamp(_ date: Date) -> String {
    let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
    let iso = UTCMilliseconds(rawValue: seconds * 1000).iso8601 ?? ""  // 2024-06-01T12:00:00.000Z
    return iso.prefix(19).filter { $0 != "-" && $0 != ":" } + "Z"
  }

  func canonicalURI(_ path: String) -> String {
    switch uriRule {
    case .s3:
      return path.isEmpty ? "/" : path
    case .generic(let normalize, let doubleEncode):
      var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
      if normalize {
        var kept: [String] = []
        for segment in segments.dropFirst() {
          switch segment {
          case "", ".": continue
          case "..": _ = kept.popLast()
          default: kept.append(segment)
          }
        }
        let last = segments.last ?? ""
        let trailing =
          !kept.isEmpty && (last.isEmpty || last == "." || last == "..") && segments.count > 1
        segments = [""] + kept + (trailing ? [""] : [])
      }
      let encoded = segments.map {
        AWSURIEncoding.encode(doubleEncode ? $0 : AWSURIEncoding.decode($0))
      }
      .joined(separator: "/")
      return encoded.isEmpty ? "/" : encoded
    }
  }

  /// Decodes each parameter of a wire query, encodes it the AWS way, and sorts by name, then value.
  static func canonicalQuery(_ query: String) -> String {
    let pairs: [(String, String)] = query.split(separator: "&").map { item in
      let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = AWSURIEncoding.encode(AWSURIEncoding.decode(String(parts[0])))
      let value =
        parts.count > 1 ? AWSURIEncoding.encode(AWSURIEncoding.decode(String(parts[1]))) : ""
      return (name, value)
    }
    return
      pairs
      .sorted {
        $0.0 == $1.0
          ? Array($0.1.utf8).lexicographicallyPrecedes($1.1.utf8)
          : Array($0.0.utf8).lexicographicallyPrecedes($1.0.utf8)
      }
      .map { "\($0.0)=\($0.1)" }
      .joined(separator: "&")
  }

  /// The canonical header block (ending in a newline) and the signed-header list.
  static func canonicalHeaders(_ headers: [HTTPHeader]) -> (String, String) {
    var merged: [String: [String]] = [:]
    for header in headers {
      let value = header.value.split(whereSeparator: {
        $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r"
      })
      .joined(separator: " ")
      merged[header.name.lowercased(), default: []].append(value)
    }
    let names = merged.keys.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
    return (block, names.joined(separator: ";"))
  }
}

/// Percent-encoding as AWS signing defines it: every byte except `A-Z a-z 0-9 - _ . ~` becomes `%XX`.
public enum AWSURIEncoding {
  private static let hexDigits = Array("0123456789ABCDEF".utf8)

  /// Encodes `text`; with `keepingSlashes` a `/` stays as it is (for object key paths).
  public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
        UInt8(ascii: "."),
        UInt8(ascii: "~"):
        out.append(byte)
      case UInt8(ascii: "/") where keepingSlashes:
        out.append(byte)
      default:
        out.append(UInt8(ascii: "%"))
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0xF)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes `%XX` sequences (a `+` stays a `+`); malformed escapes are kept as they are.
  public static func decode(_ text: String) -> String {
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
        let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
      {
        out.append(high << 4 | low)
        index += 3
      } else {
        out.append(bytes[index])
        index += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
