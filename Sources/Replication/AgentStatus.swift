import PondFiles
public import PondTime
import TLogFS

/// What the agent last saw of one remote of a pond: kept by the agent in `$POND/local/agent-state.yaml`
/// (this replica's own, never replicated), shown by `pond status`. A report for people, never an input to
/// replication: a stale or missing file changes nothing.
public struct AgentRemoteStatus: Sendable, Equatable {
  /// The remote as the agent's configuration names it (a remote's name, or a URL).
  public var remote: String
  /// `push` or `follow`.
  public var job: String
  /// The pond's head as the agent last saw it (-1: not yet known).
  public var localHead: Int64
  /// Versions the remote lacks (push), or 0 after a complete pull (follow); nil until known.
  public var versionsBehind: Int64?
  public var lastSuccess: UTCMilliseconds?
  /// The failure of the streak in progress, or the one that stopped the job.
  public var lastError: String?
  /// Set when the job stopped because a person must act.
  public var stopped: Bool
  /// When the agent wrote this.
  public var updated: UTCMilliseconds

  public init(
    remote: String, job: String, localHead: Int64, versionsBehind: Int64?,
    lastSuccess: UTCMilliseconds?, lastError: String?, stopped: Bool, updated: UTCMilliseconds
  ) {
    self.remote = remote
    self.job = job
    self.localHead = localHead
    self.versionsBehind = versionsBehind
    self.lastSuccess = lastSuccess
    self.lastError = lastError
    self.stopped = stopped
    self.updated = updated
  }
}

extension AgentRemoteStatus: Encodable {
  private enum Key: String, CodingKey {
    case remote, job, localHead, versionsBehind, lastSuccess, lastError, stopped, updated
  }

  /// For `pond status --json`: every key on every remote (null when not known), times in ISO 8601 UTC.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(remote, forKey: .remote)
    try container.encode(job, forKey: .job)
    try container.encode(localHead, forKey: .localHead)
    try container.encode(versionsBehind, forKey: .versionsBehind)
    try container.encode(lastSuccess?.description, forKey: .lastSuccess)
    try container.encode(lastError, forKey: .lastError)
    try container.encode(stopped, forKey: .stopped)
    try container.encode(updated.description, forKey: .updated)
  }
}

/// The agent's state file of a pond, `$POND/local/agent-state.yaml`.
public enum AgentStatusFile {
  static let file = PondLayout.localDirectory + "/agent-state.yaml"

  /// The remotes of the pond at `pondRoot` as the agent last saw them; empty when no agent ever ran.
  public static func read(pondRoot: String) throws -> [AgentRemoteStatus] {
    let path = pondRoot + "/" + file
    let text: String
    do {
      guard try LocalFiles.status(path) != nil else { return [] }
      text = String(decoding: try LocalFiles.readFile(path), as: UTF8.self)
    } catch {
      throw ReplicationError(.localIO, "cannot read \(path): \(error)", underlying: error)
    }
    guard case .list(let items)? = try ReplicationError.decodingYAML(text, path: path)["remotes"]
    else {
      return []
    }
    return items.compactMap { item in
      guard let remote = item["remote"], let job = item["job"],
        let head = item["localHead"].flatMap({ Int64($0) }),
        let updated = item["updated"].flatMap({ Int64($0) })
      else { return nil }
      return AgentRemoteStatus(
        remote: remote, job: job, localHead: head,
        versionsBehind: item["versionsBehind"].flatMap { Int64($0) },
        lastSuccess: item["lastSuccess"].flatMap { Int64($0) }.map(UTCMilliseconds.init(rawValue:)),
        lastError: item["lastError"], stopped: item["stopped"] == "true",
        updated: UTCMilliseconds(rawValue: updated))
    }
  }

  /// Replaces the file with `statuses` (not synced: it is a report, rewritten at the next change).
  public static func write(_ statuses: [AgentRemoteStatus], pondRoot: String) throws {
    let entries = statuses.map { status in
      [
        ("remote", status.remote), ("job", status.job), ("localHead", String(status.localHead)),
        ("updated", String(status.updated.rawValue)),
      ]
        + [
          ("versionsBehind", status.versionsBehind.map { String($0) }),
          ("lastSuccess", status.lastSuccess.map { String($0.rawValue) }),
          ("lastError", status.lastError), ("stopped", status.stopped ? "true" : nil),
        ].compactMap { key, value in value.map { (key, $0) } }
    }
    let text =
      "# Written by pond agent: what it last saw of each remote (pond status shows it).\n"
      + LocalYAML.encode([("remotes", entries, true)])
    let path = pondRoot + "/" + file
    do {
      try LocalFiles.putReplacing(Array(text.utf8), at: path, durable: false)
    } catch {
      throw ReplicationError(.localIO, "cannot write \(path): \(error)", underlying: error)
    }
  }
}
