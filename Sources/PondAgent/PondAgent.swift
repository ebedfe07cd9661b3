import Agent
import ArgumentParser
import Foundation

/// `pond-agent` (run as `pond agent`): the long-running service of docs/agent.md.
@main
struct PondAgent: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pond agent",
    abstract: "Push every commit and follow remotes, as a long-running service.",
    discussion: """
      Runs until SIGTERM or SIGINT (exit 0). For each pond of the configuration it pushes to its \
      remotes when a commit appears and on a schedule, and follows the remote of a replica; it \
      serves /healthz and /metrics (Prometheus) on the listen address (127.0.0.1:9180 by default). \
      See docs/agent.md for the configuration file.

      Exit codes: 0 stopped by a signal, or --check-config found nothing wrong; 1 the agent could not \
      start (the message says why); 2 --check-config found problems, each printed with its line; \
      64 the command line was not understood.
      """,
    version: "0.1.0")

  @Option(help: "The configuration file (YAML) to run.")
  var config: String?

  @Option(help: "Check this configuration file, print each problem with its line, and exit.")
  var checkConfig: String?

  func validate() throws {
    guard (config == nil) != (checkConfig == nil) else {
      throw ValidationError("give either --config FILE or --check-config FILE")
    }
  }

  func run() async throws {
    let environment = ProcessInfo.processInfo.environment
    let path = checkConfig ?? config!
    let configuration: AgentConfiguration
    do {
      configuration = try AgentConfiguration.load(path: path, environment: environment)
    } catch {
      FileHandle.standardError.write(Data((error.description + "\n").utf8))
      throw ExitCode(checkConfig == nil ? 1 : 2)
    }
    if checkConfig != nil {
      print(
        "\(path): \(configuration.jobs.count) job(s), listening on \(configuration.host):\(configuration.port)"
      )
      return
    }
    do {
      try await Agent.run(configuration, environment: environment)
    } catch {
      FileHandle.standardError.write(Data("pond agent: \(error)\n".utf8))
      throw ExitCode(1)
    }
  }
}
