import ArgumentParser
import PondTime
import Replication

extension Pond {
  /// `pond restore URL`: makes a new pond from a remote.
  struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "restore",
      abstract: "Create the pond from a remote, at its head or at a version or time.",
      discussion: """
        Creates the pond named by --pond / POND (a new or empty directory) from the remote: fetches \
        commits 0...N, checks the hash chain, fetches every object they reference and checks each \
        against its SHA-256, writes everything into a temporary directory beside the destination, and \
        moves it into place only when complete and durable. Never over an existing pond. The new pond \
        is a read-only replica of the URL (its remote 'origin'): 'pond pull' updates it, 'pond \
        promote' makes it writable.
        """)

    @OptionGroup var location: PondLocation

    @Argument(help: "The remote: s3://bucket/prefix or file:///path.")
    var url: String

    @Option(help: "Restore the pond as it was at this version.")
    var version: Int64?

    @Option(help: "Restore the pond as it was at this time (ISO 8601, e.g. 2026-11-24T20:15:00Z).")
    var at: String?

    @OptionGroup var options: RemoteOptions
    @OptionGroup var transfer: TransferOptions

    func validate() throws {
      if version != nil && at != nil { throw ValidationError("give --version or --at, not both") }
      if let at, UTCMilliseconds(iso8601: at) == nil {
        throw ValidationError("--at '\(at)' is not an ISO 8601 time such as 2026-11-24T20:15:00Z")
      }
    }

    func run() async throws {
      try await reportingFailures("restore") { output in
        let settings = options.settings(name: "origin", url: url)
        let replicator = try transfer.replicator(pondRoot: try location.path(), remote: settings)
        let version = version
        let until = at.flatMap { UTCMilliseconds(iso8601: $0)?.rawValue }
        // Ctrl-C cancels the restore, which then removes its unfinished directory.
        let report = try await cancellingOnInterrupt {
          try await replicator.restore(settings: settings, version: version, until: until)
        }
        Progress.clear()
        if transfer.json {
          try printJSON(report, to: output)
          return
        }
        output.confirm(
          "Restored \(report.pond) at version \(report.version) from \(report.remote): "
            + "\(report.objectsFetched) object(s), \(report.bytesFetched) bytes; a read-only replica",
          command: "restore", done: "the pond was restored")
      }
    }
  }
}
