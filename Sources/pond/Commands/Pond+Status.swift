import ArgumentParser
import Replication
import TLogFS

extension Pond {
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show the pond's id, birthplace, latest version and what it holds.")

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(help: "Print JSON.")
    var json = false

    /// One remote as the agent last saw it: `agent push backup: 2 version(s) behind, ...`.
    static func line(_ remote: AgentRemoteStatus) -> String {
      var parts: [String] = []
      switch remote.versionsBehind {
      case 0?: parts.append("in step at version \(remote.localHead)")
      case let behind?: parts.append("\(behind) version(s) behind version \(remote.localHead)")
      case nil: parts.append("not yet in touch")
      }
      parts.append("last success " + (remote.lastSuccess.map { "\($0)" } ?? "never"))
      if let error = remote.lastError {
        parts.append((remote.stopped ? "STOPPED: " : "failing: ") + error)
      }
      return "agent \(remote.job) \(remote.remote): " + parts.joined(separator: ", ")
        + " (as of \(remote.updated))"
    }

    func run() throws {
      try reportingFailures("status") { output in
        let store = try location.openForReading()
        let report = try store.status(at: try at.version(in: store))
        // The agent's state is a report for people: unreadable, it is said so, and the status goes on.
        let agent: [AgentRemoteStatus]
        do {
          agent = try AgentStatusFile.read(pondRoot: report.pond)
        } catch {
          agent = []
          StandardStream.printError("pond status: the agent's state is unreadable: \(error)")
        }
        if json {
          try printJSON(StatusJSON(report: report, agent: agent), to: output)
          return
        }
        try output.line("pond \(report.pondID) at \(report.pond)")
        try output.line("birthplace \(report.birthplace), format \(report.formatVersion)")
        try output.line(
          "version \(report.version) of \(report.headVersion), committed \(report.time)")
        try output.line(
          "\(report.directories) directories, \(report.files) files, \(report.series) series, \(report.tables) tables, "
            + "\(report.symlinks) symbolic links, \(report.bytes) bytes")
        try output.line("local index: \(report.index)")
        for remote in agent {
          try output.line(Self.line(remote))
        }
      }
    }
  }
}

/// `status --json`: the report's keys, and `agent`, each remote as the agent last saw it (empty when no
/// agent ran on this pond).
private struct StatusJSON: Encodable {
  let report: StatusReport
  let agent: [AgentRemoteStatus]

  private enum Key: String, CodingKey { case agent }

  func encode(to encoder: any Encoder) throws {
    try report.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(agent, forKey: .agent)
  }
}
