import FoundationEssentials
import PondFiles

/// Where credentials, region and endpoint come from, resolved the way the AWS CLI does: explicit values,
/// then the `AWS_*` environment variables, then the shared `credentials` and `config` files (profile
/// `AWS_PROFILE`, or `default`). As in the AWS CLI, an explicitly given profile wins over the environment's
/// keys.
public struct AWSConfiguration: Sendable, CustomStringConvertible {
  public var credentials: AWSCredentials
  /// The region, if any source gave one.
  public var region: String?
  /// The endpoint URL (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or the profile's `endpoint_url`), if any.
  public var endpoint: String?
  /// Where the credentials came from, for messages: "explicit", "environment", or a file and profile.
  public var credentialSource: String

  public var description: String {
    "AWSConfiguration(accessKeyID: \(credentials.accessKeyID), from: \(credentialSource), "
      + "region: \(region ?? "-"), endpoint: \(endpoint ?? "-"))"
  }

  /// Resolves the configuration.
  ///
  /// - Parameters:
  ///   - credentials: explicit credentials; they win over every other source.
  ///   - region, endpoint: explicit values; they win over the environment and files.
  ///   - profile: an explicit profile (`--profile`); its keys win over `AWS_ACCESS_KEY_ID`/`..._SECRET_...`
  ///     in the environment, as with the AWS CLI. `AWS_PROFILE` in the environment does not.
  ///   - environment: the variables to read (pass `ProcessInfo.processInfo.environment` in production).
  /// - Throws: `AWSConfigurationError` when no source has credentials, a pair is incomplete, a named profile
  ///   does not exist, a file cannot be parsed, or the profile relies on a credential source pond does not
  ///   support (SSO, assumed roles, credential processes, web identity).
  public static func resolve(
    credentials explicit: AWSCredentials? = nil, region: String? = nil, endpoint: String? = nil,
    profile: String? = nil, environment: [String: String]
  ) throws -> AWSConfiguration {
    func env(_ name: String) -> String? {
      guard let value = environment[name], !value.isEmpty else { return nil }
      return value
    }
    let profileName = profile ?? env("AWS_PROFILE") ?? env("AWS_DEFAULT_PROFILE")
    let home = env("HOME") ?? FileManager.default.homeDirectoryForCurrentUser.path
    func expand(_ path: String) -> String {
      path.hasPrefix("~/") ? home + path.dropFirst() : path
    }
    let credentialsPath = expand(env("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials")
    let configPath = expand(env("AWS_CONFIG_FILE") ?? "~/.aws/config")
    let credentialsFile = try INIFile.load(credentialsPath)
    let configFile = try INIFile.load(configPath)
    let name = profileName ?? "default"
    let fromCredentials = credentialsFile?.sections[name]
    let fromConfig =
      configFile?.sections[name == "default" ? "default" : "profile \(name)"]
      ?? (name == "default" ? nil : configFile?.sections[name])
    if profileName != nil, fromCredentials == nil, fromConfig == nil, explicit == nil {
      throw AWSConfigurationError(
        "AWS profile '\(name)' not found in \(credentialsPath) or \(configPath); "
          + "check AWS_PROFILE or add the profile")
    }

    var resolved: (AWSCredentials, String)?
    if let explicit {
      resolved = (explicit, "explicit")
    } else if profile == nil,
      env("AWS_ACCESS_KEY_ID") != nil || env("AWS_SECRET_ACCESS_KEY") != nil
    {
      guard let key = env("AWS_ACCESS_KEY_ID"), let secret = env("AWS_SECRET_ACCESS_KEY") else {
        throw AWSConfigurationError(
          "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both or neither")
      }
      resolved = (
        AWSCredentials(
          accessKeyID: key, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN")),
        "environment"
      )
    } else {
      for (section, path) in [(fromCredentials, credentialsPath), (fromConfig, configPath)] {
        guard let section, resolved == nil else { continue }
        if let unsupported = Self.unsupportedSource(section) {
          throw AWSConfigurationError(
            "AWS profile '\(name)' in \(path): not supported: \(unsupported); pond reads only "
              + "aws_access_key_id, aws_secret_access_key and aws_session_token: export temporary keys "
              + "(aws configure export-credentials --profile \(name) --format env) or use a profile "
              + "with static keys")
        }
        let key = section["aws_access_key_id"]
        let secret = section["aws_secret_access_key"]
        if key == nil && secret == nil { continue }
        guard let key, let secret else {
          throw AWSConfigurationError(
            "profile '\(name)' in \(path) has only one of aws_access_key_id and aws_secret_access_key"
          )
        }
        resolved = (
          AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"]),
          "\(path) [\(name)]"
        )
      }
    }
    guard let (credentials, source) = resolved else {
      throw AWSConfigurationError(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '\(name)' "
          + "to \(credentialsPath)")
    }
    return AWSConfiguration(
      credentials: credentials,
      region: region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? fromConfig?["region"],
      endpoint: endpoint ?? env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL")
        ?? fromConfig?["endpoint_url"],
      credentialSource: source)
  }
}

extension AWSConfiguration {
  /// The credential source of a profile section that pond cannot use, described, or nil.
  static func unsupportedSource(_ section: [String: String]) -> String? {
    let sources: [(String, String)] = [
      ("sso_session", "sso_session (IAM Identity Center / SSO login)"),
      ("sso_start_url", "sso_start_url (IAM Identity Center / SSO login)"),
      ("sso_account_id", "sso_account_id (IAM Identity Center / SSO login)"),
      ("role_arn", "role_arn (assuming an IAM role)"),
      ("credential_process", "credential_process (an external credential program)"),
      ("web_identity_token_file", "web_identity_token_file (web identity federation)"),
      ("credential_source", "credential_source (instance or container credentials)"),
    ]
    return sources.first { section[$0.0] != nil }?.1
  }
}

/// The AWS configuration could not be resolved; the message says which source and what to do.
public struct AWSConfigurationError: Error, Sendable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]`, `key = value`, `#`/`;`
/// comments; indented lines (nested service settings) are ignored.
struct INIFile {
  var sections: [String: [String: String]] = [:]

  static func load(_ path: String) throws -> INIFile? {
    let bytes: [UInt8]
    do {
      bytes = try LocalFiles.readFile(path)
    } catch  where error.errno == .noSuchFileOrDirectory {
      return nil
    } catch {
      throw AWSConfigurationError("cannot read AWS file \(path): \(error)")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw AWSConfigurationError("cannot read AWS file \(path): it is not UTF-8 text")
    }
    return try INIFile(parsing: text, path: path)
  }

  init(parsing text: String, path: String) throws {
    var current: String?
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let line = rawLine.trimmed
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if rawLine.first == " " || rawLine.first == "\t" { continue }
      if line.hasPrefix("[") {
        guard line.hasSuffix("]") else {
          throw AWSConfigurationError(
            "\(path) line \(index + 1): a section header must end with ']'")
        }
        let name = line.dropFirst().dropLast().trimmed
          .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        current = name
        sections[name, default: [:]] = sections[name] ?? [:]
        continue
      }
      guard let equals = line.firstIndex(of: "=") else {
        throw AWSConfigurationError("\(path) line \(index + 1): expected 'key = value'")
      }
      guard let section = current else {
        throw AWSConfigurationError("\(path) line \(index + 1): setting outside of any [section]")
      }
      let key = line[..<equals].trimmed.lowercased()
      let value = line[line.index(after: equals)...].trimmed
      sections[section, default: [:]][key] = value
    }
  }
}

extension Substring {
  /// The text without leading and trailing white space.
  fileprivate var trimmed: String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}
