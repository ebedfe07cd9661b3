import ArgumentParser
import FoundationEssentials
import ObjectStore

extension Pond {
  /// `pond remote ...`: work with remotes (object stores holding a copy of a pond).
  struct Remote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remote",
      abstract: "Work with remotes: s3://bucket/prefix or file:///path.",
      subcommands: [Check.self]
    )
  }
}

extension Pond.Remote {
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

    func run() async throws {
      try await reportingFailures("remote check") { output in
        let environment = ProcessInfo.processInfo.environment
        let options = S3Options(
          endpoint: endpoint, region: region, addressing: virtualHosted ? .virtualHosted : nil,
          allowHTTP: allowHTTP,
          retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(2)))
        let store: any ObjectStore
        do {
          store = try ObjectStores.open(
            url, options: options, profile: profile, environment: environment)
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
