/// An AWS access key, its secret and an optional session token. Printing one never shows the secret or
/// the token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible,
  CustomDebugStringConvertible,
  CustomReflectable
{
  public var accessKeyID: String
  public var secretAccessKey: String
  public var sessionToken: String?

  public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
    self.accessKeyID = accessKeyID
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken
  }

  public var description: String {
    "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
      + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
  }

  public var debugDescription: String { description }

  public var customMirror: Mirror {
    Mirror(self, children: ["accessKeyID": accessKeyID, "secretAccessKey": "<redacted>"])
  }
}
