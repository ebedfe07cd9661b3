import ArgumentParser
import Glibc
import PondFiles

extension Pond {
  /// `pond agent ...`: runs `pond-agent`, the program beside `pond`, with the same arguments. The agent is
  /// a program of its own so that every other command starts without its libraries (Foundation, NIO, Yams).
  struct Agent: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent",
      abstract: "Push every commit and follow remotes, as a long-running service (pond-agent).",
      discussion: """
        Runs the program pond-agent installed beside pond with the same arguments: \
        'pond agent --config agent.yaml' runs the agent, 'pond agent --check-config agent.yaml' \
        checks a configuration. 'pond agent --help' shows its options; see docs/agent.md.
        """)

    @Argument(parsing: .captureForPassthrough, help: "The agent's arguments.")
    var arguments: [String] = []

    func run() throws { Self.exec(arguments) }

    /// Replaces this process with `pond-agent` beside the running `pond`; returns only to exit 1 when it
    /// cannot be run.
    static func exec(_ arguments: [String]) -> Never {
      let path = siblingPath
      var argv: [UnsafeMutablePointer<CChar>?] = (["pond-agent"] + arguments).map { strdup($0) }
      argv.append(nil)
      execv(path, argv)
      let reason = String(cString: strerror(errno))
      StandardStream.printError(
        "pond agent: cannot run \(path): \(reason); the agent is the program pond-agent, installed "
          + "beside pond ('make build' and 'make release' build both)")
      Glibc.exit(1)
    }

    /// `pond-agent` in the directory of the running executable.
    static var siblingPath: String { RunningExecutable.sibling(named: "pond-agent") }
  }
}
