import Foundation
import PondTestSupport
import Testing

/// A running `pond agent --config FILE` process (through `pond`, which execs `pond-agent`): its standard error
/// goes to a file the test reads while it runs, and its HTTP port is the one it logs.
final class RunningAgent {
  let process = Process()
  let log: URL
  private(set) var port = 0

  init(config: String, in directory: URL, environment: [String: String]) throws {
    log = directory.appendingPathComponent("agent-\(UUID().uuidString.prefix(8)).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    process.executableURL = PondBinary.url
    process.arguments = ["agent", "--config", config]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: log)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    try waitFor("the agent to listen", timeout: 20) {
      guard let range = self.stderr.range(of: "listening on http://127.0.0.1:") else {
        return false
      }
      self.port = Int(self.stderr[range.upperBound...].prefix { $0.isNumber }) ?? 0
      return true
    }
  }

  deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

  var stderr: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

  /// GET `path` on the agent's listener: the status and the body (curl, the command-line tool).
  func get(_ path: String) throws -> (status: Int, body: String) {
    let curl = try #require(TestSupport.which("curl"), "curl (the command-line tool) is needed")
    let result = try TestSupport.run(
      curl, ["-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
    let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
  }

  /// Sends SIGTERM and waits for the exit: its status and how long it took.
  func terminate() throws -> (status: Int32, seconds: Double) {
    let start = Date()
    kill(process.processIdentifier, SIGTERM)
    try waitFor("the agent to exit after SIGTERM", timeout: 15) { !self.process.isRunning }
    process.waitUntilExit()
    return (process.terminationStatus, Date().timeIntervalSince(start))
  }
}

/// Waits until `condition` holds, checking every 100 ms; fails naming `what` after `timeout` seconds.
func waitFor(
  _ what: String, timeout: Double, sourceLocation: SourceLocation = #_sourceLocation,
  _ condition: () throws -> Bool
) throws {
  let deadline = Date().addingTimeInterval(timeout)
  while try !condition() {
    guard Date() < deadline else {
      Issue.record(
        "timed out after \(timeout) s waiting for \(what)", sourceLocation: sourceLocation)
      throw CancellationError()
    }
    Thread.sleep(forTimeInterval: 0.1)
  }
}

@Suite("agent: pond agent as a running service", .serialized)
struct AgentCLITests {
  static func write(_ text: String, to directory: URL, _ name: String = "agent.yaml") throws
    -> String
  {
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// The yaml lines of a remote entry for `remote` (its S3 options when it is the local server).
  static func remoteLines(_ remote: TestRemote, indent: String) -> String {
    "\(indent)remote: \(remote.url)\n"
      + (remote.options.contains("--allow-http") ? "\(indent)allowHTTP: true\n" : "")
  }

  static func head(_ machine: Machine) throws -> Int {
    Int(try machine.ok("log").split(separator: "\n").last!.split(separator: "\t").first!) ?? -1
  }

  @Test(
    "a commit reaches the remote and a follower's replica with no other command; SIGTERM exits 0",
    arguments: ["file", "s3"])
  func pushAndFollow(kind: String) throws {
    guard kind == "file" || LocalS3Server.shouldRun else { return }
    let directory = try TestSupport.makeTemporaryDirectory()
    let remote = try TestRemote.make(kind, in: directory)
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: remote)
    try station.ok("init")
    #expect(try station.run(["remote", "add", "backup", remote.url] + remote.options).status == 0)
    try station.ok("mkdir", "/before")
    try station.ok("push")
    let restored = try lab.run(["restore", remote.url] + remote.options)
    #expect(restored.status == 0, "\(restored.stderr)")
    let config = try Self.write(
      """
      listen: 127.0.0.1:0
      ponds:
        - path: \(station.root)
          push:
            - remote: backup
              rpo: 1m
        - path: \(lab.root)
          follow:
            remote: origin
            interval: 200ms
            rpo: 1m
      """, to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: remote.environment)
    try station.ok("mkdir", "/during")
    try station.ok("mkdir", "/during/a")
    let stationHead = try Self.head(station)
    try waitFor("the lab to install version \(stationHead)", timeout: 20) {
      try Self.head(lab) == stationHead
    }
    #expect(try lab.ok("list", "/during") == (try station.ok("list", "/during")))
    #expect(try station.run(["verify", "backup"]).status == 0)
    let metrics = try agent.get("/metrics")
    #expect(metrics.status == 200)
    #expect(
      metrics.body.contains(
        #"pond_agent_local_head_version{pond="\#(station.root)",remote="backup"} \#(stationHead)"#),
      "\(metrics.body)")
    #expect(metrics.body.contains("pond_agent_bytes_shipped_total"))
    #expect(metrics.body.contains("pond_agent_push_duration_seconds"))
    let health = try agent.get("/healthz")
    #expect(health.status == 200, "\(health.body)")
    let stopped = try agent.terminate()
    #expect(stopped.status == 0, "\(agent.stderr)")
    #expect(stopped.seconds < 10)
    #expect(agent.stderr.contains("pushed versions"), "\(agent.stderr)")
    let status = try station.ok("status")
    #expect(status.contains("agent push backup: in step at version \(stationHead)"), "\(status)")
    let labStatus = try lab.ok("status")
    #expect(
      labStatus.contains("agent follow origin: in step at version \(stationHead)"), "\(labStatus)")
  }

  @Test("/healthz is 503 naming the late remote while it cannot be reached, 200 once caught up")
  func healthAndRecovery() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let remote = try TestRemote.file(in: directory)
    let missing = directory.appendingPathComponent("unmounted").path
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    try station.ok("init")
    try station.ok("mkdir", "/a")
    let config = try Self.write(
      """
      listen: 127.0.0.1:0
      ponds:
        - path: \(station.root)
          push:
            - remote: file://\(missing)
              rpo: 1s
      """, to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: [:])
    try waitFor("/healthz to report the remote late", timeout: 10) {
      try agent.get("/healthz").status == 503
    }
    let late = try agent.get("/healthz")
    let report = try JSONSerialization.jsonObject(with: Data(late.body.utf8)) as? [String: Any]
    let entries = try #require(report?["late"] as? [[String: Any]], "\(late.body)")
    #expect(entries.first?["remote"] as? String == "file://" + missing)
    #expect((entries.first?["lateBySeconds"] as? Double ?? 0) > 0)
    #expect(try agent.get("/metrics").body.contains("pond_agent_errors_total"))
    try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: true)
    try waitFor("/healthz to be 200 once the remote is reachable", timeout: 20) {
      try agent.get("/healthz").status == 200
    }
    let text = agent.stderr
    #expect(text.components(separatedBy: "failing").count == 2, "one line for the streak: \(text)")
    #expect(text.contains("recovered after"), "\(text)")
    #expect(try agent.terminate().status == 0)
  }

  @Test(
    "the S3 server unreachable for a while: the agent catches up by itself; /metrics shows the errors",
    .enabled(
      if: LocalS3Server.shouldRun, "needs the local S3 server (scripts/s3/with-s3-server.sh)"))
  func outage() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let remote = try TestRemote.s3()
    let server = try LocalS3Server.require()
    var proxy: FaultProxy? = try FaultProxy(upstream: server.endpoint)
    let endpoint = proxy!.endpoint
    let port = try #require(Int(endpoint.split(separator: ":").last!))
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    try station.ok("init")
    let config = try Self.write(
      """
      listen: 127.0.0.1:0
      ponds:
        - path: \(station.root)
          push:
            - remote: \(remote.url)
              endpoint: \(endpoint)
              allowHTTP: true
              rpo: 1m
      """, to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: remote.environment)
    let behind = #"pond_agent_versions_behind{pond="\#(station.root)",remote="\#(remote.url)"}"#
    try waitFor("version 0 on the remote", timeout: 20) {
      try agent.get("/metrics").body.contains(behind + " 0")
    }
    proxy = nil  // the server goes away
    try station.ok("mkdir", "/while-away")
    try station.ok("mkdir", "/while-away/too")
    try waitFor("the agent to notice the outage", timeout: 20) {
      agent.stderr.contains("failing")
    }
    #expect(try agent.get("/metrics").body.contains("pond_agent_errors_total"))
    proxy = try FaultProxy(upstream: server.endpoint, port: port)  // and comes back
    try waitFor("the agent to catch up", timeout: 60) {
      agent.stderr.contains("recovered after")
    }
    try waitFor("zero versions behind", timeout: 10) {
      try agent.get("/metrics").body.contains(behind + " 0")
    }
    let metrics = try agent.get("/metrics").body
    #expect(
      metrics.contains(
        #"pond_agent_local_head_version{pond="\#(station.root)",remote="\#(remote.url)"} 2"#),
      "\(metrics)")
    #expect(agent.stderr.components(separatedBy: "failing").count == 2, "\(agent.stderr)")
    #expect(try station.run(["verify", remote.url, "--allow-http"]).status == 0)
    #expect(try agent.terminate().status == 0)
    withExtendedLifetime(proxy) {}
  }

  @Test("a diverged remote stops only its own service")
  func divergedStopsOne() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let remote = try TestRemote.file(in: directory)
    let other = try TestRemote.file(in: directory.appendingPathComponent("second"))
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    let stranger = Machine(root: directory.appendingPathComponent("stranger").path, remote: remote)
    try station.ok("init")
    try station.ok("push", remote.url)
    try stranger.ok("init")
    let config = try Self.write(
      """
      listen: 127.0.0.1:0
      ponds:
        - path: \(station.root)
          push:
            - remote: \(other.url)
        - path: \(stranger.root)
          push:
            - remote: \(remote.url)
      """, to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: [:])
    try waitFor("the stranger's push to stop", timeout: 10) {
      agent.stderr.contains("stopped (diverged)")
    }
    try station.ok("mkdir", "/still-shipping")
    let head = try Self.head(station)
    try waitFor("the station's version \(head) on its remote", timeout: 10) {
      FileManager.default.fileExists(
        atPath: other.directory! + "/_delta_log/" + String(format: "%020d.json", head))
    }
    let metrics = try agent.get("/metrics").body
    #expect(
      metrics.contains(#"pond_agent_stopped{pond="\#(stranger.root)",remote="\#(remote.url)"} 1"#),
      "\(metrics)")
    #expect(
      metrics.contains(#"pond_agent_stopped{pond="\#(station.root)",remote="\#(other.url)"} 0"#))
    let health = try agent.get("/healthz")
    #expect(health.status == 503)
    #expect(health.body.contains("diverged"), "\(health.body)")
    #expect(agent.stderr.components(separatedBy: "stopped (diverged)").count == 2)
    let status = try stranger.ok("status")
    #expect(status.contains("agent push \(remote.url): not yet in touch"), "\(status)")
    #expect(status.contains("STOPPED: diverged"), "\(status)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(try stranger.ok("status", "--json").utf8))
        as? [String: Any])
    let seen = try #require(json["agent"] as? [[String: Any]])
    #expect(seen.count == 1)
    #expect(seen.first?["remote"] as? String == remote.url)
    #expect(seen.first?["job"] as? String == "push")
    #expect(seen.first?["stopped"] as? Bool == true)
    #expect(seen.first?["versionsBehind"] is NSNull, "not yet in touch")
    #expect((seen.first?["lastError"] as? String)?.hasPrefix("diverged") == true, "\(seen)")
    #expect(try agent.terminate().status == 0)
  }

  @Test(
    "SIGTERM during a large push: exit 0 in 10 s, the remote consistent, /healthz answering meanwhile",
    arguments: ["file", "s3"])
  func sigtermDuringLargePush(kind: String) throws {
    guard kind == "file" || LocalS3Server.shouldRun else { return }
    let directory = try TestSupport.makeTemporaryDirectory()
    let remote = try TestRemote.make(kind, in: directory)
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    try station.ok("init")
    let big = directory.appendingPathComponent("big.bin").path
    let made = try TestSupport.run(
      URL(fileURLWithPath: "/bin/sh"), ["-c", "head -c 200000000 /dev/urandom > '\(big)'"])
    #expect(made.status == 0)
    let config = try Self.write(
      "listen: 127.0.0.1:0\nponds:\n  - path: \(station.root)\n    push:\n      - "
        + Self.remoteLines(remote, indent: "        ").dropFirst(8), to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: remote.environment)
    try station.ok("copy", big, "/big.bin")
    for _ in 0..<3 {
      let start = Date()
      #expect(try agent.get("/healthz").status == 200)
      #expect(Date().timeIntervalSince(start) < 1, "/healthz while pushing")
      Thread.sleep(forTimeInterval: 0.1)
    }
    let stopped = try agent.terminate()
    #expect(stopped.status == 0, "\(agent.stderr)")
    #expect(stopped.seconds < 10)
    let verify = try station.run(["verify", remote.url] + remote.options)
    #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    let again = try RunningAgent(config: config, in: directory, environment: remote.environment)
    try waitFor("the remote in sync after a restart", timeout: 60) {
      try station.run(["verify", remote.url] + remote.options).stdout.hasPrefix("In sync")
    }
    #expect(try again.terminate().status == 0)
  }

  @Test("--check-config: exit 0, or 2 with every problem and its line")
  func checkConfig() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let remote = try TestRemote.file(in: directory)
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    try station.ok("init")
    let good = try Self.write(
      "ponds:\n  - path: \(station.root)\n    push:\n      - remote: \(remote.url)\n", to: directory
    )
    let ok = try station.run(["agent", "--check-config", good])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.contains("1 job(s)"))
    let bad = try Self.write(
      """
      ponds:
        - path: \(directory.path)/nowhere
        - path: \(station.root)
          push:
            - remote: \(remote.url)
              every: soon
              token: abc
          colour: blue
      """, to: directory, "bad.yaml")
    let refused = try station.run(["agent", "--check-config", bad])
    #expect(refused.status == 2)
    for line in [
      "bad.yaml:2: no pond", "bad.yaml:6: 'soon' is not a duration",
      "bad.yaml:7: 'token' would put a secret", "bad.yaml:8: unknown key 'colour'",
    ] {
      #expect(refused.stderr.contains(line), "\(line) in \(refused.stderr)")
    }
    let run = try station.run(["agent", "--config", bad])
    #expect(run.status == 1)
    #expect(run.stderr.contains("bad.yaml:2: no pond"))
  }

  @Test("pond --help lists the agent; pond agent --help is pond-agent's")
  func help() throws {
    #expect(try PondBinary.run(["--help"]).stdout.contains("agent"))
    let help = try PondBinary.run(["agent", "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("--check-config"), "\(help.stdout)")
    #expect(help.stdout.contains("USAGE: pond agent"))
  }

  @Test(
    "deploy/pond-agent.service passes systemd-analyze verify (with the built binaries)",
    .enabled(if: TestSupport.which("systemd-analyze") != nil, "needs systemd-analyze (systemd)"))
  func systemdUnit() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let unit = try String(
      contentsOf: TestSupport.repositoryRoot.appendingPathComponent("deploy/pond-agent.service"),
      encoding: .utf8)
    for setting in [
      "NoNewPrivileges=yes", "ProtectSystem=strict", "Restart=on-failure", "User=pond",
    ] {
      #expect(unit.contains(setting), "\(setting)")
    }
    let path = try Self.write(
      unit.replacing("/usr/local/bin/pond", with: PondBinary.url.path), to: directory,
      "pond-agent.service")
    let result = try TestSupport.run(
      try #require(TestSupport.which("systemd-analyze")), ["verify", path])
    #expect(result.status == 0, "\(result.stderrText)")
    #expect(!result.stderrText.contains("pond-agent.service"), "\(result.stderrText)")
  }

  @Test("pond agent names the missing pond-agent program")
  func missingAgentProgram() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    let copy = directory.appendingPathComponent("pond")
    try FileManager.default.copyItem(at: PondBinary.url, to: copy)
    let result = try TestSupport.run(copy, ["agent", "--check-config", "agent.yaml"])
    #expect(result.status == 1)
    #expect(result.stderrText.contains(directory.path + "/pond-agent"), "\(result.stderrText)")
  }
}

@Suite("agent: scheduled runs of a pond's resources", .serialized)
struct AgentRunTests {
  /// A new pond in `directory` with a file:// remote named backup, and an empty spool directory.
  static func station(in directory: URL) throws -> (Machine, TestRemote, URL) {
    let remote = try TestRemote.make("file", in: directory)
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    try station.ok("init")
    #expect(try station.run(["remote", "add", "backup", remote.url] + remote.options).status == 0)
    let spool = directory.appendingPathComponent("spool")
    try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
    return (station, remote, spool)
  }

  @Test(
    "run every 300ms: a file dropped in an Inbox's spool reaches the pond and the remote; failures are logged by name"
  )
  func scheduledInbox() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let (station, remote, spool) = try Self.station(in: directory)
    let resources = try AgentCLITests.write(
      """
      kind: Inbox
      name: logger
      spec:
        source: \(spool.path)/*.txt
        destination: /inbox
      ---
      kind: Inbox
      name: broken
      spec:
        source: ${env:NOT_SET_ANYWHERE}/*.txt
        destination: /broken
      """, to: directory, "resources.yaml")
    try station.ok("apply", "-f", resources)
    let config = try AgentCLITests.write(
      """
      listen: 127.0.0.1:0
      ponds:
        - path: \(station.root)
          run:
            every: 300ms
          push:
            - remote: backup
              rpo: 1m
      """, to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: remote.environment)
    try "reading 1\n".write(
      to: spool.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
    try waitFor("the agent's run to copy a.txt", timeout: 20) {
      (try station.run(["cat", "/inbox/a.txt"])).stdout == "reading 1\n"
    }
    let head = try AgentCLITests.head(station)
    try waitFor("the push of version \(head)", timeout: 20) {
      try station.run(["verify", "backup"]).status == 0
        && (try station.ok("status")).contains("in step at version \(head)")
    }
    let metrics = try agent.get("/metrics")
    #expect(
      metrics.body.contains(
        #"pond_agent_resource_runs_total{pond="\#(station.root)",result="failed"}"#),
      "\(metrics.body)")
    let stopped = try agent.terminate()
    #expect(stopped.status == 0, "\(agent.stderr)")
    #expect(
      agent.stderr.contains("resource Inbox broken of \(station.root): failed"), "\(agent.stderr)")
    #expect(agent.stderr.contains("NOT_SET_ANYWHERE is not set"), "\(agent.stderr)")
  }

  @Test("run without a push job: the run's own backup pushes to the pond's remotes")
  func scheduledRunBacksUp() throws {
    let directory = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let (station, remote, spool) = try Self.station(in: directory)
    let resources = try AgentCLITests.write(
      "kind: Inbox\nname: logger\nspec:\n  source: \(spool.path)/*.txt\n  destination: /inbox\n",
      to: directory, "resources.yaml")
    try station.ok("apply", "-f", resources)
    let config = try AgentCLITests.write(
      "listen: 127.0.0.1:0\nponds:\n  - path: \(station.root)\n    run:\n      every: 300ms\n",
      to: directory)
    let agent = try RunningAgent(config: config, in: directory, environment: remote.environment)
    try "reading 2\n".write(
      to: spool.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
    try waitFor("the run to copy b.txt", timeout: 20) {
      try station.run(["cat", "/inbox/b.txt"]).stdout == "reading 2\n"
    }
    // The commit that copied it reaches the remote with no push job: its commit file appears there.
    let head = try AgentCLITests.head(station)
    let commit = String(format: "%020d.json", head)
    let log = URL(fileURLWithPath: try #require(remote.directory)).appendingPathComponent(
      "_delta_log")
    try waitFor("version \(head) to reach the remote", timeout: 20) {
      FileManager.default.fileExists(atPath: log.appendingPathComponent(commit).path)
    }
    #expect(try agent.terminate().status == 0, "\(agent.stderr)")
  }
}
