import PondFiles
import Replication
public import TLogFS
import Tables
import TinyFS

/// `pond run`: the lifecycle of a pond's resources (docs/pipeline.md). Init (once per definition: check it,
/// create its directories), Start (cheap checks: references to the environment set, inputs present), Run
/// (the work, in dependency order, each resource's output one commit), then Backup (push to the pond's
/// remotes). A failed resource commits nothing of its run (an Inbox appending to a series of tables commits
/// file by file: the files before the failure stay, and its outcome gives their version); the resources that
/// depend on it are skipped.
public enum PipelineRun {
  /// What happened to one resource.
  public struct Outcome: Sendable, Encodable, Equatable {
    public enum Status: String, Sendable, Encodable { case ok, unchanged, failed, skipped }
    public var name: String
    public var kind: String
    public var status: Status
    /// The phase it failed in (init, start, run), when it failed.
    public var phase: String?
    /// What it did, or why it failed or was skipped.
    public var message: String
    /// The version its output was committed as.
    public var version: Int64?
  }

  /// One push of the Backup phase.
  public struct Backup: Sendable, Encodable, Equatable {
    public var remote: String
    public var ok: Bool
    public var message: String
  }

  public struct Report: Sendable, Encodable, Equatable {
    public var resources: [Outcome]
    public var backups: [Backup]
    /// True when a resource failed or was skipped, or a push failed.
    public var failed: Bool {
      resources.contains { $0.status == .failed || $0.status == .skipped }
        || backups.contains { !$0.ok }
    }
  }

  /// What a resource's work is given.
  public struct Context: Sendable {
    public var pondRoot: String
    public var commandLine: String
    public var environment: [String: String]
    /// Reduces recompute their outputs from the start (`pond run --rebuild`).
    public var rebuild = false
  }

  /// Runs the resources named (all when `names` is empty) of the pond at `pondRoot`, then pushes to its
  /// remotes when `backup` is true and something was committed. `progress` receives a line per step.
  /// - Throws: `PipelineError` before anything runs: an unknown name, a cycle among the resources.
  public static func run(
    pondRoot: String, names: [String], environment: [String: String], commandLine: String,
    backup: Bool = true, rebuild: Bool = false, progress: @Sendable (String) -> Void = { _ in }
  ) async throws -> Report {
    let reading = try PondStore(root: pondRoot, mode: .read)
    if let origin = try PondStore.origin(ofPond: pondRoot) {
      throw PipelineError(
        pondRoot,
        "is a read-only replica of \(origin); its resources run on the pond it replicates",
        hint: "'pond pull' brings their output here; 'pond site build' builds a site from it")
    }
    let all = try ResourceStore.list(in: try reading.fileSystem())
    var selected = all
    if !names.isEmpty {
      selected = []
      for name in names {
        guard let resource = all.first(where: { $0.name == name }) else {
          throw PipelineError(
            name, "no such resource in the pond",
            hint: all.isEmpty
              ? "apply one first with 'pond apply -f FILE.yaml'"
              : "the resources are " + all.map(\.name).joined(separator: ", "))
        }
        if !selected.contains(resource) { selected.append(resource) }
      }
    }
    let order = try ResourceGraph(selected.sorted { $0.name < $1.name }).order()
    let context = Context(
      pondRoot: pondRoot, commandLine: commandLine, environment: environment, rebuild: rebuild)
    var outcomes: [String: Outcome] = [:]
    var results: [Outcome] = []
    for (resource, checked, dependencies) in order {
      let blocked = dependencies.filter {
        outcomes[$0].map { $0.status == .failed || $0.status == .skipped } ?? false
      }
      var outcome: Outcome
      if !blocked.isEmpty {
        outcome = Outcome(
          name: resource.name, kind: resource.kind.rawValue, status: .skipped, phase: nil,
          message: "skipped: it depends on " + blocked.joined(separator: ", ")
            + ", which did not run", version: nil)
      } else {
        progress("\(resource.kind) \(resource.name): running")
        outcome = try await lifecycle(resource, checked, context: context)
      }
      outcomes[resource.name] = outcome
      results.append(outcome)
      progress("\(resource.kind) \(resource.name): \(outcome.status.rawValue): \(outcome.message)")
    }
    var backups: [Backup] = []
    if backup, results.contains(where: { $0.version != nil }) {
      let remotes: [RemoteSettings]
      do {
        remotes = try RemoteRegistry(pondRoot: pondRoot).remotes
      } catch {
        remotes = []
        backups.append(Backup(remote: "(the remotes file)", ok: false, message: "\(error)"))
      }
      for remote in remotes {
        progress("backup: pushing to \(remote.name)")
        do {
          let store = try remote.open(environment: environment)
          let report = try await Replicator(pondRoot: pondRoot, store: store).push()
          backups.append(
            Backup(
              remote: remote.name, ok: true,
              message: "pushed \(report.versionsPushed) version(s); the remote is at "
                + "\(report.remoteHead)"))
        } catch {
          backups.append(Backup(remote: remote.name, ok: false, message: "\(error)"))
        }
      }
    }
    return Report(resources: results, backups: backups)
  }

  /// Init, Start and Run of one resource; a thrown error becomes a failed outcome naming its phase, except
  /// a cancellation (SIGINT or SIGTERM to `pond run`), which ends the run: what was not committed is not
  /// there.
  /// `checked` is the spec read without the environment (by the graph).
  static func lifecycle(_ resource: Resource, _ checked: ResourceSpec, context: Context)
    async throws
    -> Outcome
  {
    var phase = "init"
    func outcome(_ status: Outcome.Status, _ message: String, _ version: Int64?) -> Outcome {
      Outcome(
        name: resource.name, kind: resource.kind.rawValue, status: status,
        phase: status == .failed ? phase : nil, message: message, version: version)
    }
    do {
      let redefined = try initialize(resource, checked, context: context)
      phase = "start"
      let spec = try ResourceSpec(resource, environment: context.environment)
      try start(spec, context: context)
      phase = "run"
      var context = context
      // A Reduce whose definition changed recomputes its outputs (the old ones were made another way).
      context.rebuild = context.rebuild || redefined
      let (message, version, changed) = try await work(spec, resource, context)
      return outcome(changed ? .ok : .unchanged, message, version)
    } catch let error as Inbox.PartialFailure {
      return outcome(.failed, "\(error)", error.version)
    } catch {
      if Task.isCancelled || error is CancellationError { throw CancellationError() }
      return outcome(.failed, "\(error)", nil)
    }
  }

  /// Init: once per definition (its record `<state>/init` holds the definition it was made for), the
  /// directories the resource writes into are created, in one commit with the record. Returns true when an
  /// earlier definition had been initialised (the resource was redefined).
  static func initialize(_ resource: Resource, _ spec: ResourceSpec, context: Context) throws
    -> Bool
  {
    let record = resource.statePath + "/init"
    let reading = try PondStore(root: context.pondRoot, mode: .read).fileSystem()
    let existed = try reading.exists(record)
    let text = Array(resource.text.utf8)
    if existed, try reading.readFile(record) == text {
      return false
    }
    let store = try PondStore(root: context.pondRoot, mode: .write(wait: true))
    try store.change(commandLine: context.commandLine + " (init \(resource.name))") { fileSystem in
      for directory in spec.directories + [resource.statePath] where directory != "/" {
        if !(try fileSystem.exists(directory)) {
          try fileSystem.createDirectory(directory, withParents: true)
        }
      }
      try fileSystem.writeFile(record, contents: text)
    }
    return existed
  }

  /// Start: the inputs are there.
  static func start(_ spec: ResourceSpec, context: Context) throws {
    let fileSystem = try PondStore(root: context.pondRoot, mode: .read).fileSystem()
    switch spec {
    case .hydroVu:
      // The references to the credentials were replaced (a missing variable fails here) and the
      // configuration checked when the spec was read with the environment.
      break
    case .site(let configuration, _):
      guard !(try fileSystem.glob(configuration.series)).isEmpty else {
        throw PipelineError(
          configuration.series, "no series to publish matches in the pond yet",
          hint: "the Reduce that writes it must run first")
      }
    case .inbox(let configuration):
      let directory = PathPatterns.literalPrefix(of: PathPatterns.parent(of: configuration.source))
      guard (try? LocalFiles.status(directory)).flatMap({ $0 })?.isDirectory == true else {
        throw PipelineError(
          configuration.source, "its host directory \(directory) does not exist",
          hint: "create it, or correct spec.source")
      }
    case .reduce(let configuration):
      guard !(try fileSystem.glob(configuration.input)).isEmpty else {
        throw PipelineError(
          configuration.input, "no input matches in the pond yet",
          hint: "the resource that writes it must run first")
      }
    }
  }

  /// Run: the kind's work: what it did, the version it committed, and whether it did anything.
  static func work(_ spec: ResourceSpec, _ resource: Resource, _ context: Context) async throws
    -> (String, Int64?, Bool)
  {
    switch spec {
    case .hydroVu(let configuration):
      let report = try await HydroVuCollector(configuration).run(
        pond: context.pondRoot, commandLine: context.commandLine)
      let rows = report.devices.reduce(0) { $0 + $1.rows }
      let active = report.devices.filter(\.active).count
      return (
        report.version == nil
          ? "no new reading from \(active) device(s)"
          : "collected \(rows) reading time(s) from \(active) device(s) into \(configuration.directory)",
        report.version, report.version != nil
      )
    case .site(let configuration, let out):
      let root = context.pondRoot
      let report = try await BlockingPool.shared.run {
        try SiteBuilder.build(
          configuration, from: try PondStore(root: root, mode: .read), into: out)
      }
      return (
        "built \(out) from version \(report.version): \(report.series) series, \(report.files) files "
          + "(\(report.written) written, \(report.kept) kept, \(report.removed) removed)", nil,
        report.written + report.removed > 0
      )
    case .inbox(let configuration):
      let (copied, version) = try Inbox.run(
        configuration, resource: resource, pondRoot: context.pondRoot,
        commandLine: context.commandLine)
      return (
        copied.isEmpty
          ? "no new file matches \(configuration.source)"
          : "copied \(copied.count) new file(s) into \(configuration.destination)", version,
        version != nil
      )
    case .reduce(let configuration):
      let store = try PondStore(root: context.pondRoot, mode: .write(wait: true))
      let report = try TableReduce.run(
        configuration, on: store, rebuild: context.rebuild, commandLine: context.commandLine)
      let rows = report.inputs.reduce(0) { $0 + $1.rows }
      return (
        report.version == nil
          ? "nothing new to reduce"
          : "reduced \(report.inputs.count) input(s), \(rows) rows", report.version,
        report.version != nil
      )
    }
  }
}

/// The order of resources: B depends on A when something A writes may be what B reads (their paths'
/// literal prefixes overlap); cycles are refused naming their members.
struct ResourceGraph {
  let resources: [Resource]
  let specs: [ResourceSpec]

  init(_ resources: [Resource]) throws {
    self.resources = resources
    specs = try resources.map { resource in
      do {
        return try ResourceSpec(resource, environment: nil)
      } catch {
        throw PipelineError(resource.name, "\(error)")
      }
    }
  }

  /// The names of the resources `index` depends on.
  func dependencies(of index: Int) -> [String] {
    resources.indices.filter { other in
      other != index
        && specs[other].outputs.contains { output in
          specs[index].inputs.contains { PathPatterns.overlap(output, $0) }
        }
    }.map { resources[$0].name }
  }

  /// Each resource with its spec and its dependencies, dependencies first (otherwise by name).
  func order() throws -> [(Resource, ResourceSpec, [String])] {
    let dependencies = resources.indices.map { self.dependencies(of: $0) }
    var done = Set<String>()
    var result: [(Resource, ResourceSpec, [String])] = []
    while result.count < resources.count {
      guard
        let next = resources.indices.first(where: {
          !done.contains(resources[$0].name) && dependencies[$0].allSatisfy(done.contains)
        })
      else {
        // Only the resources on a cycle are named: those that can reach themselves through the
        // dependencies left (others may only wait for one).
        let stuck = Set(
          resources.indices.filter { !done.contains(resources[$0].name) }.map { resources[$0].name }
        )
        let left = Dictionary(
          uniqueKeysWithValues: resources.indices.map {
            (resources[$0].name, dependencies[$0].filter(stuck.contains))
          })
        func reachesItself(_ name: String) -> Bool {
          var seen = Set<String>()
          var frontier = left[name] ?? []
          while let next = frontier.popLast() {
            if next == name { return true }
            if seen.insert(next).inserted { frontier += left[next] ?? [] }
          }
          return false
        }
        let cycle = resources.map(\.name).filter { stuck.contains($0) && reachesItself($0) }.map {
          name in
          name + " (needs "
            + (left[name] ?? []).filter { reachesItself($0) }.joined(separator: ", ") + ")"
        }
        throw PipelineError(
          nil, "the resources depend on each other in a cycle: " + cycle.joined(separator: "; "),
          hint: "an output of each is an input of the next; change an input or output path")
      }
      done.insert(resources[next].name)
      result.append((resources[next], specs[next], dependencies[next]))
    }
    return result
  }
}
