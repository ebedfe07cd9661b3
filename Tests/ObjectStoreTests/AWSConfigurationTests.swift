import Foundation
import PondTestSupport
import Testing

@testable import ObjectStore

@Suite("AWS credentials, region and endpoint")
final class AWSConfigurationTests {
  let dir: URL
  let home: URL

  init() throws {
    dir = try TestSupport.makeTemporaryDirectory("pond-aws-config")
    home = dir.appendingPathComponent("home")
    try FileManager.default.createDirectory(
      at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
    try """
    # shared credentials
    [default]
    aws_access_key_id = AKIDDEFAULT
    aws_secret_access_key = secret-default

    [station]
    aws_access_key_id=AKIDSTATION
    aws_secret_access_key=secret/station+1
    aws_session_token = token-station
    """.write(
      to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
    try """
    [default]
    region = eu-north-1

    [profile station]
    region = us-west-2
    endpoint_url = http://127.0.0.1:9000
    s3 =
      addressing_style = path

    [profile confonly]
    aws_access_key_id = AKIDCONF
    aws_secret_access_key = secret-conf

    [profile ssoprof]
    sso_session = corp
    sso_account_id = 123456789012

    [profile roleprof]
    role_arn = arn:aws:iam::123456789012:role/pond
    source_profile = default

    [profile procprof]
    credential_process = /usr/local/bin/get-keys
    """.write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
  }
  deinit {
    try? FileManager.default.removeItem(at: dir)
  }

  var baseEnvironment: [String: String] { ["HOME": home.path] }

  @Test func explicitValuesWinOverEverything() throws {
    var environment = baseEnvironment
    environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
    environment["AWS_SECRET_ACCESS_KEY"] = "secret-env"
    environment["AWS_REGION"] = "ap-south-1"
    let config = try AWSConfiguration.resolve(
      credentials: AWSCredentials(accessKeyID: "AKIDX", secretAccessKey: "sx"), region: "r1",
      endpoint: "http://127.0.0.1:1", environment: environment)
    #expect(config.credentials.accessKeyID == "AKIDX")
    #expect(config.region == "r1")
    #expect(config.endpoint == "http://127.0.0.1:1")
    #expect(config.credentialSource == "explicit")
  }

  @Test func environmentVariables() throws {
    var environment = baseEnvironment
    environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
    environment["AWS_SECRET_ACCESS_KEY"] = "secret-env"
    environment["AWS_SESSION_TOKEN"] = "token-env"
    environment["AWS_REGION"] = "ap-south-1"
    environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566"
    let config = try AWSConfiguration.resolve(environment: environment)
    #expect(
      config.credentials
        == AWSCredentials(
          accessKeyID: "AKIDENV", secretAccessKey: "secret-env", sessionToken: "token-env"))
    #expect(config.region == "ap-south-1")
    #expect(config.endpoint == "http://127.0.0.1:4566")
    #expect(config.credentialSource == "environment")
    #expect(!"\(config)".contains("secret-env"))
    #expect(!"\(config)".contains("token-env"))
  }

  @Test func halfAPairIsAnError() throws {
    var environment = baseEnvironment
    environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
    let error = try #require(throws: AWSConfigurationError.self) {
      try AWSConfiguration.resolve(environment: environment)
    }
    #expect(error.description.contains("AWS_SECRET_ACCESS_KEY"))
  }

  @Test func defaultProfileFromSharedFiles() throws {
    let config = try AWSConfiguration.resolve(environment: baseEnvironment)
    #expect(config.credentials.accessKeyID == "AKIDDEFAULT")
    #expect(config.credentials.secretAccessKey == "secret-default")
    #expect(config.credentials.sessionToken == nil)
    #expect(config.region == "eu-north-1")
    #expect(config.endpoint == nil)
    #expect(config.credentialSource.contains("[default]"))
  }

  @Test func namedProfileFromAWSProfile() throws {
    var environment = baseEnvironment
    environment["AWS_PROFILE"] = "station"
    let config = try AWSConfiguration.resolve(environment: environment)
    #expect(
      config.credentials
        == AWSCredentials(
          accessKeyID: "AKIDSTATION", secretAccessKey: "secret/station+1",
          sessionToken: "token-station"))
    #expect(config.region == "us-west-2")
    #expect(config.endpoint == "http://127.0.0.1:9000")
  }

  @Test func credentialsOnlyInConfigFile() throws {
    let config = try AWSConfiguration.resolve(profile: "confonly", environment: baseEnvironment)
    #expect(config.credentials.accessKeyID == "AKIDCONF")
  }

  @Test func explicitFileLocations() throws {
    let other = dir.appendingPathComponent("creds.ini")
    try "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n"
      .write(to: other, atomically: true, encoding: .utf8)
    let config = try AWSConfiguration.resolve(environment: [
      "HOME": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": other.path,
      "AWS_CONFIG_FILE": dir.appendingPathComponent("none").path,
    ])
    #expect(config.credentials.accessKeyID == "AKIDFILE")
    #expect(config.region == nil)
  }

  @Test func missingProfileIsAnError() throws {
    var environment = baseEnvironment
    environment["AWS_PROFILE"] = "nosuch"
    let error = try #require(throws: AWSConfigurationError.self) {
      try AWSConfiguration.resolve(environment: environment)
    }
    #expect(error.description.contains("'nosuch' not found"))
  }

  @Test func noCredentialsAnywhereIsAnError() throws {
    let error = try #require(throws: AWSConfigurationError.self) {
      try AWSConfiguration.resolve(environment: ["HOME": "/nonexistent"])
    }
    #expect(error.description.contains("no AWS credentials"))
  }

  @Test func malformedFileIsAnError() throws {
    let bad = dir.appendingPathComponent("bad.ini")
    try "[default\nkey=value\n".write(to: bad, atomically: true, encoding: .utf8)
    let error = try #require(throws: AWSConfigurationError.self) {
      try AWSConfiguration.resolve(environment: [
        "HOME": "/nonexistent", "AWS_CONFIG_FILE": bad.path,
      ])
    }
    #expect(error.description.contains("line 1"))
    #expect(error.description.contains(bad.path))
  }

  @Test func explicitProfileWinsOverEnvironmentKeys() throws {
    var environment = baseEnvironment
    environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
    environment["AWS_SECRET_ACCESS_KEY"] = "secret-env"
    let config = try AWSConfiguration.resolve(profile: "station", environment: environment)
    #expect(config.credentials.accessKeyID == "AKIDSTATION")
    #expect(config.credentials.sessionToken == "token-station")
    #expect(config.credentialSource.contains("[station]"))
    // AWS_PROFILE in the environment is weaker than the environment's keys (as in the AWS CLI).
    environment["AWS_PROFILE"] = "station"
    let fromEnvironment = try AWSConfiguration.resolve(environment: environment)
    #expect(fromEnvironment.credentials.accessKeyID == "AKIDENV")
    #expect(fromEnvironment.credentialSource == "environment")
  }

  @Test func explicitProfileWithoutKeysIsAnErrorEvenWithEnvironmentKeys() throws {
    var environment = baseEnvironment
    environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
    environment["AWS_SECRET_ACCESS_KEY"] = "secret-env"
    let error = try #require(throws: AWSConfigurationError.self) {
      try AWSConfiguration.resolve(profile: "nosuch", environment: environment)
    }
    #expect(error.description.contains("'nosuch' not found"))
  }

  @Test(
    "profiles using SSO, roles or credential processes say they are not supported",
    arguments: [
      ("ssoprof", "not supported: sso_session"), ("roleprof", "not supported: role_arn"),
      ("procprof", "not supported: credential_process"),
    ])
  func unsupportedCredentialSources(profile: String, expected: String) throws {
    let error = try #require(throws: AWSConfigurationError.self) {
      try AWSConfiguration.resolve(profile: profile, environment: baseEnvironment)
    }
    #expect(error.description.contains(expected), "\(error)")
    #expect(error.description.contains("'\(profile)'"))
    #expect(!error.description.contains("no AWS credentials"))
  }
}
