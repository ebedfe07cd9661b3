import ArgumentParser
import FoundationEssentials
import Pipeline
import PondFiles

extension Pond {
  struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "apply",
      abstract: "Store resource definitions (HydroVu, Inbox, Reduce, Site) in the pond.",
      discussion: """
        FILE holds one or more YAML documents separated by '---', each a resource:

          kind: Reduce                  # HydroVu, Inbox, Reduce or Site
          name: hourly                  # letters, digits, . _ -
          spec:
            reduce:
              input: /hydrovu/*/readings
              output: /reduced/$1
              resolutions: [1h, 6h, 1d]
            columns:
              lake.Temperature.C: avg, min, max

        All resources of the file are stored in one commit, at /etc/resources/<name>.yaml, each \
        with a UUID kept while its kind stays. A definition equal to the stored one commits \
        nothing. Secrets are written only as ${env:VAR} references, resolved when the resource \
        runs; a literal secret is refused. 'pond run' runs them. See docs/pipeline.md.
        """)

    @OptionGroup var pond: WritablePond

    @Option(name: .shortAndLong, help: "The YAML file of resources ('-' for standard input).")
    var file: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
      try reportingFailures("apply") { output in
        let bytes =
          file == "-"
          ? try OpenFile.standardInput().readToEnd() : try LocalFiles.readFile(file)
        let resources = try Resource.parse(
          String(decoding: bytes, as: UTF8.self), file: file == "-" ? "standard input" : file)
        guard !resources.isEmpty else {
          throw ValidationError("\(file) holds no resource (expected kind, name and spec)")
        }
        let store = try pond.open()
        let report = try ResourceStore.apply(
          resources, to: store, commandLine: Invocation.commandLine)
        if json {
          try printJSON(report, to: output)
          return
        }
        for resource in report.resources {
          try output.line(
            "\(resource.kind) \(resource.name) (\(resource.uuid)): \(resource.change.rawValue)")
        }
        guard let version = report.version else {
          try output.line("Nothing changed; the pond stays at version \(store.head)")
          return
        }
        output.confirm(
          "Applied \(report.resources.count) resource(s) as version \(version)", command: "apply",
          done: "the resources were committed as version \(version)")
      }
    }
  }

  struct Resources: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "resources",
      abstract: "List the pond's resources, or remove one.",
      subcommands: [ListResources.self, RemoveResource.self],
      defaultSubcommand: ListResources.self)
  }

  struct ListResources: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the resources (kind, name, UUID, inputs and outputs).")

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(help: "Print the list as JSON.")
    var json = false

    struct Row: Encodable {
      var name: String
      var kind: String
      var uuid: String
      var inputs: [String]
      var outputs: [String]
    }

    func run() throws {
      try reportingFailures("resources") { output in
        let store = try location.openForReading()
        let resources = try ResourceStore.list(
          in: try store.fileSystem(at: try at.version(in: store)))
        var rows: [Row] = []
        for resource in resources {
          let spec = try ResourceSpec(resource, environment: nil)
          rows.append(
            Row(
              name: resource.name, kind: resource.kind.rawValue, uuid: resource.uuid,
              inputs: spec.inputs, outputs: spec.outputs))
        }
        if json {
          try printJSON(rows, to: output)
          return
        }
        if rows.isEmpty {
          try output.line("No resources (add some with 'pond apply -f FILE.yaml')")
        }
        for row in rows {
          try output.line(
            "\(row.name)\t\(row.kind)\t\(row.uuid)\tin: "
              + (row.inputs.isEmpty ? "-" : row.inputs.joined(separator: ", ")) + "\tout: "
              + (row.outputs.isEmpty ? "-" : row.outputs.joined(separator: ", ")))
        }
      }
    }
  }

  struct RemoveResource: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rm",
      abstract: "Remove a resource's definition and its records (what it wrote stays).")

    @OptionGroup var pond: WritablePond

    @Argument(help: "The resource's name.")
    var name: String

    func run() throws {
      try reportingFailures("resources rm") { output in
        let store = try pond.open()
        let version = try ResourceStore.remove(
          name, from: store, commandLine: Invocation.commandLine)
        output.confirm(
          "Removed the resource \(name) as version \(version)", command: "resources rm",
          done: "the removal was committed as version \(version)")
      }
    }
  }

  struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "run",
      abstract: "Run the pond's resources: init, start, run in dependency order, then back up.",
      discussion: """
        Runs the named resources (default: all) of the pond. Each goes through Init (once per \
        definition: checks it and creates its output directories), Start (cheap checks: ${env:VAR} \
        references set, inputs present) and Run (its work; its output is one commit), in the order \
        their inputs and outputs give (a resource reading what another writes runs after it; a \
        cycle is refused naming its members). A failed resource commits nothing of its run (an \
        Inbox appending to a series commits file by file: those before the failure stay), and \
        those that depend on it are skipped. Then, when something was committed, Backup pushes to each of the \
        pond's remotes ('pond remote add'); --no-backup leaves that to the agent. A Reduce whose \
        definition changed recomputes its outputs on its next run (--rebuild forces it).

        Exit codes: 0 every resource ran (or had nothing new), 1 one failed or was skipped, or a \
        push failed (each is named).
        """)

    @OptionGroup var location: PondLocation

    @Argument(help: "The resources to run (default: all).")
    var names: [String] = []

    @Flag(inversion: .prefixedNo, help: "Push to the pond's remotes after the run.")
    var backup = true

    @Flag(
      help:
        "Reduces recompute their outputs from the start (after a failed redefinition, late data).")
    var rebuild = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
      try await reportingFailures("run") { output in
        let root = try location.path()
        let (names, backup, rebuild) = (names, backup, rebuild)
        let commandLine = Invocation.commandLine
        // SIGINT or SIGTERM (the agent stopping) cancels the run: a resource's temporary files go, and
        // what was not committed is not there (exit 130).
        let report = try await cancellingOnInterrupt {
          try await PipelineRun.run(
            pondRoot: root, names: names, environment: ProcessInfo.processInfo.environment,
            commandLine: commandLine, backup: backup, rebuild: rebuild, progress: Progress.show)
        }
        Progress.clear()
        if json {
          try printJSON(report, to: output)
        } else {
          if report.resources.isEmpty {
            try output.line("No resources to run (add some with 'pond apply -f FILE.yaml')")
          }
          for outcome in report.resources {
            let phase = outcome.phase.map { " in \($0)" } ?? ""
            try output.line(
              "\(outcome.kind) \(outcome.name): \(outcome.status.rawValue)\(phase): \(outcome.message)"
                + (outcome.version.map { " (version \($0))" } ?? ""))
          }
          for backup in report.backups {
            try output.line(
              "backup to \(backup.remote): \(backup.ok ? "ok" : "failed"): \(backup.message)")
          }
        }
        if report.failed {
          try output.flush()
          let names =
            report.resources.filter { $0.status == .failed || $0.status == .skipped }.map(\.name)
            + report.backups.filter { !$0.ok }.map { "backup to \($0.remote)" }
          StandardStream.printError("pond run: did not complete: " + names.joined(separator: ", "))
          throw ExitCode(1)
        }
      }
    }
  }
}
