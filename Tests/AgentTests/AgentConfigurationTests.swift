import Foundation
import PondTestSupport
import Testing

@testable import Agent

@Suite("agent configuration")
struct AgentConfigurationTests {
  /// A directory that passes for a pond (its `data/_delta_log/`), with `remotes.yaml` naming `backup`.
  static func makePond(_ directory: URL, _ name: String) throws -> String {
    let root = directory.appendingPathComponent(name).path
    try FileManager.default.createDirectory(
      atPath: root + "/data/_delta_log", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
      atPath: root + "/local", withIntermediateDirectories: true)
    try "remotes:\n  - name: backup\n    url: file:///srv/backup\n".write(
      toFile: root + "/local/remotes.yaml", atomically: true, encoding: .utf8)
    return root
  }

  static func load(_ text: String, in directory: URL, environment: [String: String] = [:]) throws
    -> AgentConfiguration
  {
    let path = directory.appendingPathComponent("agent.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return try AgentConfiguration.load(path: path, environment: environment)
  }

  /// The problems `text` is refused with, as `line: message`.
  static func problems(_ text: String, in directory: URL, environment: [String: String] = [:])
    throws -> [String]
  {
    do {
      _ = try load(text, in: directory, environment: environment)
      Issue.record("accepted:\n\(text)")
      return []
    } catch let error as ConfigurationError {
      return error.problems.map { "\($0.line.map(String.init) ?? "-"): \($0.message)" }
    }
  }

  @Test("a full configuration: two ponds, push on commit and on a schedule, a URL remote, ${VAR}")
  func full() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let station = try Self.makePond(directory, "station")
    let configuration = try Self.load(
      """
      listen: 127.0.0.1:9300
      logLevel: debug
      ponds:
        - path: ${PONDS}/station
          push:
            - remote: backup
              rpo: 30s
            - remote: s3://bucket/station
              endpoint: http://127.0.0.1:9000
              allowHTTP: true
              onCommit: false
              every: 1m
      """, in: directory, environment: ["PONDS": directory.path])
    #expect(configuration.host == "127.0.0.1")
    #expect(configuration.port == 9300)
    #expect(configuration.logLevel == "debug")
    #expect(configuration.jobs.count == 2)
    let backup = try #require(configuration.jobs.first)
    #expect(backup.pond == station)
    #expect(backup.remote.url == "file:///srv/backup")
    #expect(backup.mode == .push(onCommit: true, every: nil))
    #expect(backup.rpo == .seconds(30))
    let bucket = configuration.jobs[1]
    #expect(bucket.remote.url == "s3://bucket/station")
    #expect(bucket.remote.endpoint == "http://127.0.0.1:9000")
    #expect(bucket.remote.allowHTTP == true)
    #expect(bucket.mode == .push(onCommit: false, every: .seconds(60)))
    #expect(bucket.rpo == AgentConfiguration.defaultRPO)
  }

  @Test("every problem is reported with its line")
  func problemsWithLines() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    _ = try Self.makePond(directory, "station")
    let problems = try Self.problems(
      """
      listen: 127.0.0.1:9300
      colour: blue
      ponds:
        - path: \(directory.path)/station
          push:
            - remote: backup
              rpo: 5 minutes
              secretAccessKey: abc
        - path: \(directory.path)/nowhere
          push:
            - remote: backup
      """, in: directory)
    #expect(problems.count == 4, "\(problems)")
    #expect(problems.contains { $0.hasPrefix("2: unknown key 'colour'") }, "\(problems)")
    #expect(problems.contains { $0.hasPrefix("7: '5 minutes' is not a duration") }, "\(problems)")
    #expect(
      problems.contains { $0.hasPrefix("8: 'secretAccessKey' would put a secret") }, "\(problems)")
    #expect(problems.contains { $0.hasPrefix("9: no pond at \(directory.path)/nowhere") })
  }

  @Test(
    "refused with its line",
    arguments: [
      (
        "ponds:\n  - path: @POND@\n    push:\n      - remote: nowhere\n",
        "4: no remote named 'nowhere'"
      ),
      (
        "ponds:\n  - path: @POND@\n    push:\n      - remote: AKIAIOSFODNN7EXAMPLE\n",
        "4: an AWS access key"
      ),
      (
        "ponds:\n  - path: @POND@\n    push:\n      - remote: s3://AKID:SECRET@bucket/x\n",
        "4: the remote's URL"
      ),
      (
        "ponds:\n  - path: ${UNSET_VARIABLE}\n",
        "2: the environment variable UNSET_VARIABLE is not set"
      ),
      (
        "ponds:\n  - path: @POND@\n    follow:\n      remote: backup\n",
        "4: @POND@ is not a read-only replica"
      ),
      (
        "ponds:\n  - path: @POND@\n    push:\n      - remote: backup\n        every: 0s\n",
        "5: '0s' is not a duration"
      ),
      ("listen: localhost\nponds:\n  - path: @POND@\n", "1: listen 'localhost' is not HOST:PORT"),
      (
        "ponds:\n  - path: @POND@\n    follow:\n      remote: backup\n      interval: 5s\n      rpo: 2s\n",
        "6: the rpo must be longer than the interval"
      ),
      ("logLevel: loud\nponds:\n  - path: @POND@\n", "1: logLevel 'loud' is not one of"),
      ("ponds: []\n", "1: 'ponds' must be a list"),
      ("listen: 127.0.0.1:9180\n", "1: no 'ponds:'"),
      ("ponds:\n  - path: @POND@\n    push: [\n", "not YAML"),
      ("ponds:\n  - path: @POND@\n    run:\n      resources: [a]\n", "4: 'run' needs 'every:'"),
      ("ponds:\n  - path: @POND@\n    run:\n      every: soon\n", "4: 'soon' is not a duration"),
      (
        "ponds:\n  - path: @POND@\n    run:\n      every: 1m\n      resources: a\n",
        "5: 'resources' must be a list"
      ),
      (
        "ponds:\n  - path: @POND@\n    run:\n      every: 1m\n      when: now\n",
        "5: unknown key 'when'"
      ),
      (
        "ponds:\n  - path: @POND@\n", "2: the pond @POND@ has none of 'push:', 'follow:' and 'run:'"
      ),
    ])
  func refused(text: String, expected: String) throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let pond = try Self.makePond(directory, "station")
    let problems = try Self.problems(text.replacing("@POND@", with: pond), in: directory)
    let wanted = expected.replacing("@POND@", with: pond)
    #expect(problems.contains { $0.contains(wanted) }, "\(problems)")
  }

  @Test("run: a pond's resources on a schedule, all or some; a pond may only run")
  func scheduledRuns() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let station = try Self.makePond(directory, "station")
    let other = try Self.makePond(directory, "other")
    let configuration = try Self.load(
      """
      ponds:
        - path: \(station)
          run:
            every: 15m
          push:
            - remote: backup
        - path: \(other)
          run:
            every: 30s
            resources: [collect, hourly]
      """, in: directory)
    #expect(
      configuration.runs == [
        .init(pond: station, every: .seconds(900), resources: []),
        .init(pond: other, every: .seconds(30), resources: ["collect", "hourly"]),
      ])
    #expect(configuration.jobs.map(\.pond) == [station])
  }

  @Test(
    "the example configurations in deploy/ load",
    arguments: ["station.yaml", "lab.yaml", "pipeline-agent.yaml"])
  func examples(name: String) throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let pond = try Self.makePond(directory, "station")
    if name == "lab.yaml" {
      try "file:///srv/backup\n".write(
        toFile: pond + "/local/origin", atomically: true, encoding: .utf8)
      try "remotes:\n  - name: origin\n    url: file:///srv/backup\n".write(
        toFile: pond + "/local/remotes.yaml", atomically: true, encoding: .utf8)
    }
    let path = TestSupport.repositoryRoot.appendingPathComponent("deploy/" + name).path
    let configuration = try AgentConfiguration.load(
      path: path, environment: ["STATE_DIRECTORY": directory.path])
    #expect(configuration.host == "127.0.0.1")
    #expect(!configuration.jobs.isEmpty)
    #expect(configuration.jobs.allSatisfy { $0.pond == pond })
    if name == "pipeline-agent.yaml" {
      #expect(configuration.runs == [.init(pond: pond, every: .seconds(900), resources: [])])
    }
  }
}
