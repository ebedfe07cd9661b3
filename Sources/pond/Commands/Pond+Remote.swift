import ArgumentParser
import FoundationEssentials
import ObjectStore
import Replication

extension Pond {
  /// `pond remote ...`: work with remotes (object stores holding a copy of a pond).
  struct Remote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remote",
      abstract: "Work with remotes: s3://bucket/prefix or file:///path.",
      subcommands: [Add.self, List.self, Remove.self, Check.self]
    )
  }
}

extension Pond.Remote {
  /// `pond remote add NAME URL`: records a remote in `$POND/local/remotes.yaml`.
  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add a remote the pond pushes to (or pulls from), by name.",
      discussion: """
        The remote is kept in $POND/local/remotes.yaml with its S3 settings, never with a secret: \
        credentials come from the AWS conventions when it is used (see 'pond remote check --help'). \
        Nothing is sent to the remote; 'pond remote check URL' tries it.
        """)

    @OptionGroup var location: PondLocation

    @Argument(help: "A short name for the remote, such as 'lab' or 'backup'.")
    var name: String

    @Argument(help: "The remote: s3://bucket/prefix or file:///path.")
    var url: String

    @OptionGroup var options: RemoteOptions

    func validate() throws {
      guard url.hasPrefix("s3://") || url.hasPrefix("file:///") else {
        throw ValidationError(
          "'\(url)' is not a remote URL: use s3://bucket/prefix or file:///path")
      }
    }

    func run() throws {
      try reportingFailures("remote add") { output in
        let pond = try location.openForReading()
        var registry = try RemoteRegistry(pondRoot: pond.root)
        try registry.add(options.settings(name: name, url: url))
        output.confirm(
          "Added remote \(name): \(url)", command: "remote add", done: "the remote was added")
      }
    }
  }

  /// `pond remote list`.
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the pond's remotes.")

    @OptionGroup var location: PondLocation

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      try reportingFailures("remote list") { output in
        let pond = try location.openForReading()
        let registry = try RemoteRegistry(pondRoot: pond.root)
        if json {
          try printJSON(registry.remotes, to: output)
          return
        }
        for remote in registry.remotes {
          var details: [String] = []
          if let endpoint = remote.endpoint { details.append("endpoint \(endpoint)") }
          if let region = remote.region { details.append("region \(region)") }
          if let profile = remote.profile { details.append("profile \(profile)") }
          let seen = registry.lastSeenHeads[remote.url].map { "last seen at version \($0)" }
          try output.line(
            ([remote.name, remote.url] + [
              (details + (seen.map { [$0] } ?? [])).joined(separator: ", ")
            ])
            .filter { !$0.isEmpty }.joined(separator: "\t"))
        }
      }
    }
  }

  /// `pond remote remove NAME`.
  struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remove",
      abstract: "Forget a remote (nothing on the remote is touched).")

    @OptionGroup var location: PondLocation

    @Argument(help: "The remote's name.")
    var name: String

    func run() throws {
      try reportingFailures("remote remove") { output in
        let pond = try location.openForReading()
        var registry = try RemoteRegistry(pondRoot: pond.root)
        let removed = try registry.remove(named: name)
        output.confirm(
          "Removed remote \(name) (\(removed.url)); nothing on it was changed",
          command: "remote remove", done: "the remote was removed")
      }
    }
  }

  /// `pond remote check URL`: proves the credentials and permissions work, with a probe object.
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Check that a remote can be listed, written, read and deleted.",
      discussion: """
        Lists the remote, then puts, reads back and deletes a small probe object under its \
        prefix, and says which of these work. The report goes to standard output; when any step \
        fails the last line says how many, the same line goes to standard error, and the exit status is 1.

        S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN \
        or the shared credentials and config files (AWS_PROFILE, or --profile; an explicit --profile \
        wins over the AWS_* keys); the region from \
        --region, AWS_REGION or the profile; the endpoint from --endpoint, AWS_ENDPOINT_URL or \
        the profile. Secrets are never printed.
        """
    )

    @Argument(help: "The remote: s3://bucket/prefix or file:///path.")
    var url: String

    @OptionGroup var options: RemoteOptions

    func run() async throws {
      try await reportingFailures("remote check") { output in
        let store: any ObjectStore
        do {
          store = try options.settings(name: url, url: url).open(
            environment: ProcessInfo.processInfo.environment,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(2))
          )
        } catch {
          try output.line("Cannot open remote \(url): \(error)")
          try output.flush()  // the report first, then the verdict on stderr
          StandardStream.printError("pond remote check: cannot open remote \(url): \(error)")
          throw ExitCode(1)
        }
        try output.line("Checking remote \(store.url)")
        if let s3 = store as? S3ObjectStore {
          try output.line("  region \(s3.region), bucket \(s3.bucket), prefix '\(s3.prefix)'")
        }

        var failures = 0
        var untried = 0
        func report(_ step: String, _ outcome: Result<String, any Error>) throws {
          switch outcome {
          case .success(let detail):
            try output.line(
              "  \(step.rightPadded(7)) ok\(detail.isEmpty ? "" : " (\(detail))")"
            )
          case .failure(let error):
            failures += 1
            try output.line(
              "  \(step.rightPadded(7)) FAILED: \(error)")
          }
        }
        func skip(_ step: String, _ reason: String) throws {
          untried += 1
          try output.line(
            "  \(step.rightPadded(7)) not tried: \(reason)")
        }

        let listed = await Result { try await store.list(prefix: "") }
        try report("list", listed.map { "\($0.count) object\($0.count == 1 ? "" : "s")" })

        let probeKey = ".pond-remote-check-\(UUID().uuidString.lowercased())"
        let probe = Array("pond remote check probe \(Date())\n".utf8)
        let put = await Result { try await store.put(probeKey, bytes: probe) }
        try report("put", put.map { "probe object \(probeKey)" })

        if case .success = put {
          let get = await Result { try await store.get(probeKey) }
          try report(
            "get",
            get.flatMap { bytes in
              bytes == probe
                ? .success("content verified") : .failure(ProbeMismatch(count: bytes.count))
            })
          let delete = await Result { try await store.delete(probeKey) }
          try report("delete", delete.map { "" })
          if case .success = delete,
            case .success(let info) = await Result(catching: { try await store.head(probeKey) }),
            info != nil
          {
            failures += 1
            try output.line(
              "  delete  FAILED: the probe object \(probeKey) is still there after delete")
          }
        } else {
          try skip("get", "put failed")
          try skip("delete", "put failed")
        }

        if failures == 0 && untried == 0 {
          try output.line(
            "All checks passed: \(store.url) can be listed, written, read and deleted.")
        } else {
          let notTried = untried == 0 ? "" : ", \(untried) not tried"
          let summary =
            "\(failures) check\(failures == 1 ? "" : "s") failed\(notTried) for \(store.url)."
          try output.line(summary)
          // The report above is the command's output (stdout); the verdict also goes to stderr so that a
          // script or cron job that keeps only errors still sees that the remote is not usable.
          try output.flush()
          StandardStream.printError("pond remote check: " + summary)
          throw ExitCode(1)
        }
      }
    }
  }
}

private struct ProbeMismatch: Error, CustomStringConvertible {
  var count: Int
  var description: String {
    "the probe object read back differs from what was written (\(count) bytes)"
  }
}

extension Result where Failure == any Error {
  fileprivate init(catching body: () async throws -> Success) async {
    do {
      self = .success(try await body())
    } catch {
      self = .failure(error)
    }
  }
}
