import ArgumentParser
import Replication

extension Pond {
  /// `pond verify [NAME] [--deep]`: where the pond and a remote stand.
  struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "verify",
      abstract: "Say where the pond and a remote stand, and what is wrong on the remote.",
      discussion: """
        Lists the remote, compares its commits with the pond's (in sync, remote behind, local behind, \
        or diverged at a version), and checks that every object of their shared versions is on the \
        remote with the right size. --deep also re-downloads and re-hashes every object of every \
        remote version and checks the whole hash chain, naming each problem with its key.
        Exit codes: 0 healthy, 1 the check could not run, 2 problems found, 3 diverged.
        """)

    @OptionGroup var location: PondLocation

    @Argument(help: "The remote's name, or a URL (default: the only remote, or the origin).")
    var remote: String?

    @Flag(help: "Re-download and re-hash every object of every remote version.")
    var deep = false

    @OptionGroup var options: RemoteOptions
    @OptionGroup var transfer: TransferOptions

    func run() async throws {
      var exitCode: Int32 = 0
      try await reportingFailures("verify") { output in
        let root = try location.path()
        let settings = try options.resolve(remote, pondRoot: root)
        let report = try await transfer.replicator(pondRoot: root, remote: settings).verify(
          deep: deep)
        Progress.clear()
        exitCode = report.exitCode
        if transfer.json {
          try printJSON(report, to: output)
          return
        }
        switch report.state {
        case .inSync: try output.line("In sync: both at version \(report.localHead)")
        case .remoteBehind:
          try output.line(
            "Remote behind by \(report.behind): \(report.remote) at \(report.remoteHead), this pond at "
              + "\(report.localHead)")
        case .localBehind:
          try output.line(
            "Local behind by \(report.behind): this pond at \(report.localHead), \(report.remote) at "
              + "\(report.remoteHead)")
        case .diverged:
          try output.line("Diverged at version \(report.divergedAt ?? -1) with \(report.remote)")
        }
        for problem in report.problems { try output.line("problem: \(problem)") }
        if !report.problems.isEmpty {
          try output.line("\(report.problems.count) problem(s) on \(report.remote)")
        }
      }
      if exitCode != 0 { throw ExitCode(exitCode) }
    }
  }
}
