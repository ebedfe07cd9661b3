/// What counts as a secret written into a configuration: the agent's configuration and `pond apply`'s
/// resources both refuse one (credentials come from the environment or the AWS conventions instead).
public enum ConfigurationSecrets {
  /// True for a key that would hold a credential (`secret`, `password`, `token`, `accessKey`,
  /// `credential` in any case, with any separators: `client_secret`, `secretAccessKey`, `api-token`).
  public static func isSecretKey(_ key: String) -> Bool {
    let folded = key.lowercased().filter { $0.isLetter }
    return ["secret", "password", "token", "accesskey", "credential"].contains {
      folded.contains($0)
    }
  }

  /// True for an AWS access key id (`AKIA...`, `ASIA...`: 20 upper-case letters and digits).
  public static func looksLikeAccessKey(_ text: String) -> Bool {
    text.count == 20 && (text.hasPrefix("AKIA") || text.hasPrefix("ASIA"))
      && text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
  }
}
