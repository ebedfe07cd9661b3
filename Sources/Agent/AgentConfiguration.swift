import PondFiles
import PondTime
public import Replication
import TLogFS
import Yams

/// What `pond agent` runs, read from its YAML file (`AgentConfiguration.load`): the ponds, for each the remotes
/// it pushes to and the remote it follows, the listen address and the log level.
public struct AgentConfiguration: Sendable {
  /// How the agent keeps one remote up to date, and how late it may fall (`rpo`).
  public struct Job: Sendable {
    public enum Mode: Sendable, Equatable {
      /// Push when a commit appears (`onCommit`) and every `every`.
      case push(onCommit: Bool, every: Duration?)
      /// Pull every `interval` (the pond is a read-only replica of the remote).
      case follow(interval: Duration)
    }

    public var pond: String
    /// The remote as the file names it (a name from `pond remote add`, or a URL), for logs and metrics.
    public var remoteName: String
    public var remote: RemoteSettings
    public var mode: Mode
    /// The recovery point objective: how long a commit may wait before `/healthz` reports the remote late.
    public var rpo: Duration
  }

  /// `pond run` of a pond's resources on a schedule (docs/pipeline.md).
  public struct Run: Sendable, Equatable {
    public var pond: String
    /// From the start of one run to the start of the next (a run that takes longer is followed at once).
    public var every: Duration
    /// The resources to run; all when empty.
    public var resources: [String]
  }

  public var host: String
  public var port: Int
  /// One of swift-log's level names: trace, debug, info, notice, warning, error, critical.
  public var logLevel: String
  public var jobs: [Job]
  public var runs: [Run] = []

  public static let defaultHost = "127.0.0.1"
  public static let defaultPort = 9180
  public static let defaultRPO = Duration.seconds(15 * 60)
  static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}

/// A problem in the configuration file, with its line (when it has one).
public struct ConfigurationProblem: Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var message: String

  public var description: String {
    line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
  }
}

/// Every problem of a configuration that cannot be used.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
  public var problems: [ConfigurationProblem]
  public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension AgentConfiguration {
  /// Reads and checks the configuration at `path`, with `${VAR}` taken from `environment`: the ponds must exist,
  /// named remotes must be the ponds' own (`pond remote add`), durations must read as `500ms`, `2s`, `1m`.
  ///
  /// - Throws: `ConfigurationError` naming every problem with its line.
  public static func load(path: String, environment: [String: String]) throws(ConfigurationError)
    -> AgentConfiguration
  {
    let text: String
    do {
      text = String(decoding: try LocalFiles.readFile(path), as: UTF8.self)
    } catch {
      throw ConfigurationError(problems: [
        ConfigurationProblem(file: path, line: nil, message: "cannot read the file: \(error)")
      ])
    }
    var reader = ConfigurationReader(file: path, environment: environment)
    let configuration = reader.read(text)
    guard let configuration, reader.problems.isEmpty else {
      throw ConfigurationError(problems: reader.problems)
    }
    return configuration
  }
}

/// Reads the YAML tree, collecting every problem rather than stopping at the first.
struct ConfigurationReader {
  let file: String
  let environment: [String: String]
  var problems: [ConfigurationProblem] = []

  init(file: String, environment: [String: String]) {
    self.file = file
    self.environment = environment
  }

  mutating func problem(_ node: Node?, _ message: String) {
    problems.append(ConfigurationProblem(file: file, line: node?.mark?.line, message: message))
  }

  mutating func read(_ text: String) -> AgentConfiguration? {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch {
      problems.append(ConfigurationProblem(file: file, line: nil, message: "not YAML: \(error)"))
      return nil
    }
    guard let root, let top = mapping(root, "the file", keys: ["listen", "logLevel", "ponds"])
    else {
      if root == nil { problem(nil, "the file is empty; it needs 'ponds:'") }
      return nil
    }
    var configuration = AgentConfiguration(
      host: AgentConfiguration.defaultHost, port: AgentConfiguration.defaultPort,
      logLevel: "info", jobs: [])
    if let node = top["listen"], let listen = string(node) {
      if let (host, port) = Self.address(listen) {
        configuration.host = host
        configuration.port = port
      } else {
        problem(node, "listen '\(listen)' is not HOST:PORT (such as 127.0.0.1:9180)")
      }
    }
    if let node = top["logLevel"], let level = string(node) {
      if AgentConfiguration.logLevels.contains(level) {
        configuration.logLevel = level
      } else {
        problem(
          node,
          "logLevel '\(level)' is not one of \(AgentConfiguration.logLevels.joined(separator: ", "))"
        )
      }
    }
    guard let pondsNode = top["ponds"] else {
      problem(root, "no 'ponds:': the agent needs at least one pond")
      return configuration
    }
    guard case .sequence(let ponds) = pondsNode, !ponds.isEmpty else {
      problem(pondsNode, "'ponds' must be a list of ponds (- path: ...)")
      return configuration
    }
    var seen: Set<String> = []
    for pond in ponds {
      let (jobs, run) = readPond(pond)
      if let path = jobs.first?.pond ?? run?.pond, !seen.insert(path).inserted {
        problem(pond, "the pond \(path) appears twice")
      }
      configuration.jobs += jobs
      if let run { configuration.runs.append(run) }
    }
    return configuration
  }

  private mutating func readPond(_ node: Node) -> (
    [AgentConfiguration.Job], AgentConfiguration.Run?
  ) {
    guard let pond = mapping(node, "a pond", keys: ["path", "push", "follow", "run"]) else {
      return ([], nil)
    }
    guard let pathNode = pond["path"], let path = string(pathNode) else {
      problem(node, "a pond without 'path:'")
      return ([], nil)
    }
    guard Self.isPond(path) else {
      problem(pathNode, "no pond at \(path) (no \(path)/data/_delta_log/)")
      return ([], nil)
    }
    let origin = (try? PondStore.origin(ofPond: path)) ?? nil
    let registry: RemoteRegistry
    do {
      registry = try RemoteRegistry(pondRoot: path)
    } catch {
      problem(pathNode, "cannot read the remotes of \(path): \(error)")
      return ([], nil)
    }
    var run: AgentConfiguration.Run?
    if let runNode = pond["run"],
      let entry = mapping(runNode, "'run'", keys: ["every", "resources"])
    {
      if origin != nil {
        problem(
          runNode,
          "\(path) is a read-only replica of \(origin!); its resources run where it was made")
      }
      var names: [String] = []
      if let resourcesNode = entry["resources"] {
        if case .sequence(let items) = resourcesNode {
          names = items.compactMap { string($0) }
        } else {
          problem(resourcesNode, "'resources' must be a list of resource names ([a, b])")
        }
      }
      if let everyNode = entry["every"] {
        if let every = duration(everyNode) {
          run = AgentConfiguration.Run(pond: path, every: every, resources: names)
        }
      } else {
        problem(runNode, "'run' needs 'every:' (such as 15m)")
      }
    }
    var jobs: [AgentConfiguration.Job] = []
    if let pushNode = pond["push"] {
      if case .sequence(let pushes) = pushNode {
        if origin != nil {
          problem(pushNode, "\(path) is a read-only replica of \(origin!); a replica does not push")
        }
        for push in pushes {
          guard
            let entry = mapping(
              push, "a push remote", keys: ["remote", "onCommit", "every", "rpo"] + Self.s3Keys)
          else { continue }
          let onCommit = entry["onCommit"].map { bool($0) ?? true } ?? true
          let every = entry["every"].flatMap { duration($0) }
          if !onCommit && every == nil && entry["every"] == nil {
            problem(push, "a push remote needs 'onCommit: true' or 'every:' (or both)")
          }
          if let job = job(
            entry, at: push, pond: path, registry: registry,
            mode: .push(onCommit: onCommit, every: every))
          {
            jobs.append(job)
          }
        }
      } else {
        problem(pushNode, "'push' must be a list of remotes (- remote: ...)")
      }
    }
    if let followNode = pond["follow"],
      let entry = mapping(
        followNode, "'follow'", keys: ["remote", "interval", "rpo"] + Self.s3Keys)
    {
      if origin == nil {
        problem(
          followNode,
          "\(path) is not a read-only replica; only a replica (made by 'pond restore') follows a remote"
        )
      }
      let interval = entry["interval"].map { duration($0) } ?? .seconds(2)
      if let interval, let rpoNode = entry["rpo"], let rpo = Duration(text: rpoNode.string ?? ""),
        rpo <= interval
      {
        problem(
          rpoNode,
          "the rpo must be longer than the interval (\(interval)): a replica polls that often")
      }
      if let interval,
        let job = job(
          entry, at: followNode, pond: path, registry: registry, mode: .follow(interval: interval))
      {
        jobs.append(job)
      }
    }
    if jobs.isEmpty && pond["push"] == nil && pond["follow"] == nil && pond["run"] == nil {
      problem(node, "the pond \(path) has none of 'push:', 'follow:' and 'run:'")
    }
    return (jobs, run)
  }

  /// The S3 settings of a remote given as a URL, as `pond remote add` takes them.
  static let s3Keys = ["endpoint", "region", "profile", "allowHTTP", "virtualHosted"]

  private mutating func job(
    _ entry: [String: Node], at node: Node, pond: String, registry: RemoteRegistry,
    mode: AgentConfiguration.Job.Mode
  ) -> AgentConfiguration.Job? {
    guard let remoteNode = entry["remote"], let name = string(remoteNode) else {
      problem(node, "no 'remote:' (a name from 'pond remote add', or a URL)")
      return nil
    }
    let rpo = entry["rpo"].map { duration($0) } ?? AgentConfiguration.defaultRPO
    var settings: RemoteSettings
    do {
      settings = try registry.resolve(name)
    } catch {
      problem(remoteNode, "\(error)")
      return nil
    }
    if let authority = settings.url.split(separator: "://").dropFirst().first?.split(separator: "/")
      .first, authority.contains("@")
    {
      problem(remoteNode, Self.literalSecret("the remote's URL"))
    }
    let given = Self.s3Keys.filter { entry[$0] != nil }
    if !given.isEmpty {
      if settings.url != name {
        problem(
          entry[given[0]],
          "S3 settings apply to a URL; the remote '\(name)' has its own (see 'pond remote list')")
      }
      settings = RemoteSettings(
        name: name, url: settings.url, endpoint: entry["endpoint"].flatMap { string($0) },
        region: entry["region"].flatMap { string($0) },
        profile: entry["profile"].flatMap { string($0) },
        allowHTTP: entry["allowHTTP"].flatMap { bool($0) } ?? false,
        virtualHosted: entry["virtualHosted"].flatMap { bool($0) } ?? false)
    }
    guard let rpo else { return nil }
    return AgentConfiguration.Job(
      pond: pond, remoteName: name, remote: settings, mode: mode, rpo: rpo)
  }

  // MARK: values

  /// The entries of a mapping whose keys are all in `keys`; a problem for any other key, and for a secret.
  private mutating func mapping(_ node: Node, _ what: String, keys: [String]) -> [String: Node]? {
    guard case .mapping(let mapping) = node else {
      problem(node, "\(what) must be a mapping of keys (\(keys.joined(separator: ", ")))")
      return nil
    }
    var entries: [String: Node] = [:]
    for (keyNode, value) in mapping {
      let key = keyNode.string ?? ""
      if ConfigurationSecrets.isSecretKey(key) {
        problem(keyNode, Self.literalSecret("'\(key)'"))
      } else if !keys.contains(key) {
        problem(
          keyNode,
          "unknown key '\(key)' in \(what); the keys here are: \(keys.joined(separator: ", "))")
      } else {
        entries[key] = value
      }
    }
    return entries
  }

  /// A scalar with `${VAR}` expanded from the environment.
  private mutating func string(_ node: Node) -> String? {
    guard case .scalar(let scalar) = node else {
      problem(node, "expected a single value here")
      return nil
    }
    var result = ""
    var rest = Substring(scalar.string)
    while let start = rest.range(of: "${") {
      result += rest[..<start.lowerBound]
      guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
        problem(node, "'${' without its closing '}'")
        return nil
      }
      let name = String(rest[start.upperBound..<end])
      guard let value = environment[name] else {
        problem(node, "the environment variable \(name) is not set")
        return nil
      }
      result += value
      rest = rest[rest.index(after: end)...]
    }
    result += rest
    if ConfigurationSecrets.looksLikeAccessKey(result) && !scalar.string.contains("${") {
      problem(node, Self.literalSecret("an AWS access key"))
    }
    return result
  }

  private mutating func bool(_ node: Node) -> Bool? {
    guard let text = string(node) else { return nil }
    switch text {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default:
      problem(node, "'\(text)' is not true or false")
      return nil
    }
  }

  private mutating func duration(_ node: Node) -> Duration? {
    guard let text = string(node) else { return nil }
    guard let duration = Duration(text: text), duration > .zero else {
      problem(node, "'\(text)' is not a duration such as 500ms, 2s, 1m or 1h")
      return nil
    }
    return duration
  }

  // MARK: rules

  static func address(_ text: String) -> (String, Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (0...65535).contains(port)
    else { return nil }
    let host = String(text[..<colon]).trimmingCharacters(in: ["[", "]"])
    return host.isEmpty ? nil : (host, port)
  }

  static func isPond(_ path: String) -> Bool {
    (try? LocalFiles.status(path + "/" + PondLayout.dataDirectory + "/_delta_log"))??.isDirectory
      == true
  }

  static func literalSecret(_ what: String) -> String {
    "\(what) would put a secret in the configuration; credentials follow the AWS conventions "
      + "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the agent's environment, or a profile: of the "
      + "shared credentials file)"
  }
}

extension String {
  fileprivate func trimmingCharacters(in characters: Set<Character>) -> String {
    String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
  }
}
