import ArgumentParser
import FoundationEssentials
import Glibc

/// The `pond` command: every user-facing operation on a pond.
@main
struct Pond: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pond",
    abstract: "DuckPond: a local-first, versioned filesystem for environmental time series.",
    discussion: """
      A pond keeps every change as one atomic commit in a Delta Lake table and can ship \
      those commits to object storage. See docs/ for the user guide.

      Exit codes: 0 success; 1 the operation failed (the message says why); \
      64 the command line was not understood; 2 'pond fsck' or 'pond verify' found problems; \
      3 a remote's history diverged from the pond's (push, pull, verify). \
      Output that cannot be written (disk full) fails with exit 1; when the reader of a \
      pipe goes away (pond cat F | head) the command stops quietly with exit 1. A command \
      that changed the pond exits 0 even if its confirmation line cannot be written (a \
      warning says so): exit 1 always means the pond did not change.

      The pond is chosen by --pond PATH or the POND environment variable. Read commands \
      take --at VERSION or --at TIME (ISO 8601) to read the pond as it was then.
      """,
    version: PondVersion.current,
    subcommands: [
      Init.self, Mkdir.self, Copy.self, List.self, Cat.self, Rm.self, Mv.self, Ln.self,
      Describe.self, Export.self, Log.self, Show.self, Status.self, Query.self, Reduce.self,
      Apply.self, Resources.self, Run.self,
      Fsck.self,
      Remote.self,
      Push.self, Pull.self,
      Restore.self, Verify.self, Promote.self, Agent.self, Site.self,
    ]
  )

  /// Runs the command with closed standard descriptors reserved, and SIGPIPE ignored: a pipe whose reader
  /// went away is then an EPIPE error on the write, which the command handles (it stops, exit 1), instead of
  /// a signal that kills the process wherever it is (also in the middle of a network transfer, whose sockets
  /// would otherwise raise it too).
  static func main() async {
    StandardStream.reserveClosedDescriptors()
    signal(SIGPIPE, SIG_IGN)
    // Before parsing: the agent's options are its own (`pond agent --help` is the agent's help).
    let arguments = CommandLine.arguments.dropFirst()
    if arguments.first == "agent" { Agent.exec(Array(arguments.dropFirst())) }
    // As `AsyncParsableCommand.main` does, but parsed and, for a synchronous command (every local one), run
    // on the main thread: the library's `main` runs both on a thread of the concurrency pool, which
    // Dispatch starts and hands over to at every start.
    do {
      if try Copy.runDirectly(arguments) { return }
      var command = try parseAsRoot()
      if var command = command as? AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch {
      exit(withError: error)
    }
  }
}

/// The version of this build of `pond`.
enum PondVersion {
  static let current = "0.1.0"
}
