import ArgumentParser
import Replication

extension Pond {
  /// `pond push [NAME]`: ships the local versions the remote lacks.
  struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "push",
      abstract: "Ship every local version the remote lacks, in order.",
      discussion: """
        For each version after the remote's head: the large files its rows name and its data file \
        (concurrently; skipped when already there with the right size), then its commit file, \
        written only if absent and only once all objects of its version are stored. A commit already \
        there with this pond's bytes is a resumed push; with other bytes the histories have \
        diverged: the push stops, changes nothing more, names the version and exits 3. So does a \
        remote holding another pond. Safe to interrupt and run again.

        NAME is a remote from 'pond remote add' or a URL; with none, the pond's only remote.
        Exit codes: 0 done (or nothing to do), 1 failed, 3 diverged.
        """)

    @OptionGroup var location: PondLocation

    @Argument(help: "The remote's name, or a URL (default: the only remote).")
    var remote: String?

    @OptionGroup var options: RemoteOptions
    @OptionGroup var transfer: TransferOptions

    func run() async throws {
      try await reportingFailures("push") { output in
        let root = try location.path()
        let settings = try options.resolve(remote, pondRoot: root)
        let report = try await transfer.replicator(pondRoot: root, remote: settings).push()
        Progress.clear()
        if transfer.json {
          try printJSON(report, to: output)
        } else if report.versionsPushed == 0 {
          let ahead = report.remoteHead > report.localHead
          try output.line(
            "Nothing to push: \(report.remote) is at version \(report.remoteHead)"
              + (ahead ? ", ahead of this pond (\(report.localHead))" : ", like this pond"))
        } else {
          let range = "\(report.remoteHeadBefore + 1)...\(report.remoteHead)"
          let all = report.versionsPushed == report.remoteHead - report.remoteHeadBefore
          try output.line(
            (all
              ? "Pushed versions \(range)" : "Pushed \(report.versionsPushed) of versions \(range)")
              + " to \(report.remote): "
              + "\(report.objectsUploaded) object(s), \(report.bytesUploaded) bytes"
              + (report.objectsPresent > 0 ? " (\(report.objectsPresent) already there)" : ""))
        }
      }
    }
  }
}
