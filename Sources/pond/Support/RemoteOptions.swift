import ArgumentParser
import FoundationEssentials
import Glibc
import Replication

/// The S3 settings of a remote given on the command line (`remote check`, `remote add`, `restore`); unset ones
/// come from the AWS configuration when the remote is opened.
struct RemoteOptions: ParsableArguments {
  @Option(help: "S3 endpoint URL for S3-compatible services (MinIO, Ceph, Garage...).")
  var endpoint: String?

  @Option(help: "S3 region used for signing.")
  var region: String?

  @Option(help: "AWS profile of the shared credentials/config files.")
  var profile: String?

  @Flag(help: "Allow a plain http:// endpoint (only for a trusted local network).")
  var allowHTTP = false

  @Flag(help: "Address the bucket in the host name (bucket.endpoint) instead of the path.")
  var virtualHosted = false

  /// True when no S3 setting was given.
  var isEmpty: Bool {
    endpoint == nil && region == nil && profile == nil && !allowHTTP && !virtualHosted
  }

  /// The remote a command names: one of the pond's remotes by name (whose settings were recorded by `remote
  /// add`), or a URL with these settings; with neither, the pond's only remote or its origin.
  func resolve(_ remote: String?, pondRoot: String) throws -> RemoteSettings {
    let settings = try RemoteRegistry(pondRoot: pondRoot).resolve(remote)
    if isEmpty { return settings }
    guard settings.name == settings.url else {
      throw ValidationError(
        "S3 options apply to a URL; the remote '\(settings.name)' has its own (see 'pond remote list')"
      )
    }
    return self.settings(name: settings.name, url: settings.url)
  }

  /// The remote `url` with these settings, called `name`.
  func settings(name: String, url: String) -> RemoteSettings {
    RemoteSettings(
      name: name, url: url, endpoint: endpoint, region: region, profile: profile,
      allowHTTP: allowHTTP, virtualHosted: virtualHosted)
  }
}

/// `--concurrency` and `--json` of the commands that move objects.
struct TransferOptions: ParsableArguments {
  @Option(help: "How many objects move at once.")
  var concurrency = Replicator.defaultConcurrency

  @Flag(help: "Print the report as JSON.")
  var json = false

  func validate() throws {
    guard (1...256).contains(concurrency) else {
      throw ValidationError("--concurrency must be between 1 and 256")
    }
  }

  /// A replicator between the pond at `pondRoot` and `remote`, showing progress on a terminal.
  func replicator(pondRoot: String, remote: RemoteSettings) throws -> Replicator {
    let store = try remote.open(environment: ProcessInfo.processInfo.environment)
    return Replicator(
      pondRoot: pondRoot, store: store, concurrency: concurrency, progress: Progress.show)
  }
}

/// Progress lines on standard error, each replacing the last, only when standard error is a terminal.
enum Progress {
  static let isShown = isatty(STDERR_FILENO) == 1

  @Sendable static func show(_ line: String) {
    guard isShown else { return }
    StandardStream.printError("\r\u{1B}[K" + line, newline: false)
  }

  /// Clears the progress line before the report.
  static func clear() {
    if isShown { StandardStream.printError("\r\u{1B}[K", newline: false) }
  }
}
