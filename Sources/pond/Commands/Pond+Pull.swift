import ArgumentParser
import FoundationEssentials
import PondTime
import Replication
import TLogFS

extension Pond {
  /// `pond pull [NAME]`: brings a read-only replica up to its remote.
  struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "pull",
      abstract: "Install the remote's new versions into this read-only replica.",
      discussion: """
        Fetches the versions after the replica's head and installs them in order under the writer \
        lock: each commit is checked onto the one before it, its objects are fetched and checked \
        against their SHA-256, and only then is its commit file installed, so a reader never sees a \
        partial version. With --follow, keeps pulling every --interval until SIGINT or SIGTERM; a poll \
        that finds nothing new costs one request.

        NAME is a remote from 'pond remote add' or a URL; with none, the replica's origin.
        Exit codes: 0 done, 1 failed, 3 the remote's history does not continue this replica's.
        """)

    @OptionGroup var location: PondLocation

    @Argument(help: "The remote's name, or a URL (default: the replica's origin).")
    var remote: String?

    @Flag(help: "Keep pulling until interrupted.")
    var follow = false

    @Option(help: "With --follow, the time between polls (e.g. 500ms, 2s, 1m).")
    var interval = "2s"

    @OptionGroup var options: RemoteOptions
    @OptionGroup var transfer: TransferOptions

    func validate() throws {
      guard let interval = Duration(text: interval), interval > .zero else {
        throw ValidationError("--interval '\(interval)' is not a duration such as 500ms, 2s or 1m")
      }
    }

    func run() async throws {
      try await reportingFailures("pull") { output in
        let root = try location.path()
        // A replica follows the URL it was restored from unless told otherwise.
        let settings = try options.resolve(
          remote ?? PondStore.origin(ofPond: root), pondRoot: root)
        let replicator = try transfer.replicator(pondRoot: root, remote: settings)
        guard follow else {
          try report(try await replicator.pull(), to: output, quiet: false)
          return
        }
        // A failure that a later poll may not meet (the network, the server) is reported and the polling goes
        // on; one that needs a person (another history, a promoted pond, bad input) ends it.
        let interval = self.interval
        let polls = polling(every: Duration(text: interval)!) { () async throws -> PullReport? in
          do {
            return try await replicator.pull()
          } catch let error as ReplicationError
            where error.code == .diverged || error.code == .invalidArgument
          {
            throw error
          } catch let error as CancellationError {
            throw error
          } catch {
            Progress.clear()
            StandardStream.printError("pond pull: \(error); trying again in \(interval)")
            return nil
          }
        }
        for try await pulled in polls {
          guard let pulled else { continue }
          try report(pulled, to: output, quiet: true)
          try output.flush()
        }
      }
    }

    private func report(_ report: PullReport, to output: StandardOutput, quiet: Bool) throws {
      Progress.clear()
      if quiet && report.versionsInstalled == 0 { return }
      if transfer.json {
        try printJSON(report, to: output)
      } else if report.versionsInstalled == 0 {
        try output.line("Up to date: version \(report.head), like \(report.remote)")
      } else {
        try output.line(
          "Installed versions \(report.headBefore + 1)...\(report.head) from \(report.remote): "
            + "\(report.objectsFetched) object(s), \(report.bytesFetched) bytes")
      }
    }
  }
}
