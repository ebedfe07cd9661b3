import Foundation
import PondTestSupport
import Testing

/// The field pipeline end to end, through the built binaries: HydroVu (the fake server) + Reduce + Site
/// resources on a station, `pond run` (which pushes), a restore on a lab, and sites built at each version on
/// both sides.
@Suite("pipeline end to end", .serialized)
struct PipelineEndToEndTests {
  /// 2026-01-01T00:00:00Z.
  static let start: Int64 = 1_767_225_600

  /// A station's pond with the HydroVu credentials in its environment.
  struct Station {
    let machine: Machine
    let fake: FakeHydroVu

    /// `pond`'s environment: the pond, the remote's credentials, HydroVu's client id and secret.
    var environment: [String: String] {
      var environment = ProcessInfo.processInfo.environment
      environment["POND"] = machine.root
      environment["HYDROVU_CLIENT_ID"] = FakeHydroVu.clientID
      environment["HYDROVU_CLIENT_SECRET"] = FakeHydroVu.clientSecret
      environment.merge(machine.remote.environment) { _, new in new }
      return environment
    }

    func run(_ arguments: [String]) throws -> PondBinary.Result {
      try PondBinary.run(arguments, environment: environment)
    }
  }

  static func resources(_ fake: FakeHydroVu, site: String, maxPoints: Int) -> String {
    """
    kind: HydroVu
    name: lake
    spec:
      base_url: \(fake.baseURL)
      client_id: ${env:HYDROVU_CLIENT_ID}
      client_secret: ${env:HYDROVU_CLIENT_SECRET}
      directory: /hydrovu
      start: 2026-01-01T00:00:00Z
      max_points_per_run: \(maxPoints)
      devices:
        - id: 100
          name: north
          scope: probe
        - id: 101
          name: south
          scope: probe
    ---
    kind: Reduce
    name: summaries
    spec:
      reduce:
        input: /hydrovu/*/readings
        output: /reduced/$1
        resolutions: [1h, 6h, 1d]
      columns:
        probe.Temperature.C: [avg, min, max]
        probe.Depth.m: [avg, min, max]
    ---
    kind: Site
    name: web
    spec:
      out: \(site)
      title: Lake stations
      series: /reduced/*
      info: /hydrovu/$1/device.json
    """
  }

  /// Every file under `directory` (relative paths) with its bytes.
  static func tree(_ directory: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let base = URL(fileURLWithPath: directory)
    let walker = FileManager.default.enumerator(atPath: directory)
    while let relative = walker?.nextObject() as? String {
      let url = base.appendingPathComponent(relative)
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files[relative] = try Data(contentsOf: url)
      }
    }
    return files
  }

  @Test(
    "apply HydroVu + Reduce + Site, pond run (twice: max_points_per_run), push, restore: sites built --at every version are byte-identical on both ponds"
  )
  func stationAndLab() throws {
    let fake = try FakeHydroVu(
      devices: 2, parameters: 3, start: Self.start, end: Self.start + 3 * 86_400,
      options: ["--page-size", "100"])
    defer { fake.stop() }
    let directory = try TestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let remote = try TestRemote.make("file", in: directory)
    let station = Station(
      machine: Machine(root: directory.appendingPathComponent("station").path, remote: remote),
      fake: fake)
    try station.machine.ok("init")
    try station.machine.okArguments(["remote", "add", "backup", remote.url] + remote.options)
    let siteOut = directory.appendingPathComponent("station-site").path
    let file = directory.appendingPathComponent("resources.yaml")
    try Self.resources(fake, site: siteOut, maxPoints: 200).write(
      to: file, atomically: true, encoding: .utf8)
    try station.machine.ok("apply", "-f", file.path)

    let first = try station.run(["run"])
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    #expect(
      first.stdout.contains("HydroVu lake: ok: collected 400 reading time(s) from 2 device(s)"),
      "\(first.stdout)")
    #expect(first.stdout.contains("Reduce summaries: ok"), "\(first.stdout)")
    #expect(first.stdout.contains("Site web: ok: built \(siteOut)"), "\(first.stdout)")
    #expect(first.stdout.contains("backup to backup: ok"), "\(first.stdout)")
    let second = try station.run(["run"])
    #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
    // 3 days of 15-minute readings and the end itself: 289 times per device, 200 then 89.
    #expect(second.stdout.contains("collected 178 reading time(s)"), "\(second.stdout)")
    let third = try station.run(["run", "--json"])
    let report = try JSONSerialization.jsonObject(with: Data(third.stdout.utf8)) as? [String: Any]
    let statuses = (report?["resources"] as? [[String: Any]])?.map { $0["status"] as? String }
    #expect(statuses == ["unchanged", "unchanged", "unchanged"], "\(third.stdout)")

    // The readings are HydroVu's, each time once.
    let counted = try station.machine.ok(
      "query", "--format", "csv", "--table", "r=/hydrovu/north/readings",
      "SELECT count(*), count(DISTINCT time), sum(\"probe.Temperature.C\") FROM r")
    let expectedSum = fake.times(from: Self.start).reduce(0.0) {
      $0 + FakeHydroVu.value(location: 100, parameter: 1, time: $1)
    }
    let fields = counted.split(whereSeparator: \.isNewline).last?.split(separator: ",") ?? []
    #expect(fields.count == 3 && fields[0] == "289" && fields[1] == "289", "\(counted)")
    #expect(
      abs((Double(fields.last ?? "") ?? 0) - expectedSum) < 1e-6 * abs(expectedSum), "\(counted)")

    // The lab restores the pond from the bucket the run pushed to.
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: remote)
    let restored = try lab.run(["restore", remote.url] + remote.options)
    #expect(restored.status == 0, "\(restored.stderr)")
    let head = Int(
      try station.machine.ok("log").split(separator: "\n").last!.split(separator: "\t")[0])!
    #expect(
      Int(try lab.ok("log").split(separator: "\n").last!.split(separator: "\t")[0]) == head)

    // At every version that holds reduced series, both sides build the same site.
    var built = 0
    var previous: [String: Data]?
    for version in 0...head {
      let stationOut = directory.appendingPathComponent("s-\(version)").path
      let labOut = directory.appendingPathComponent("l-\(version)").path
      let arguments = [
        "site", "build", "--at", String(version), "--title", "Lake stations", "--series",
        "/reduced/*",
        "--info", "/hydrovu/$1/device.json",
      ]
      let onStation = try station.run(arguments + [stationOut])
      let onLab = try lab.run(arguments + [labOut])
      #expect(onStation.status == onLab.status, "\(onStation.stderr) | \(onLab.stderr)")
      guard onStation.status == 0 else { continue }
      built += 1
      let stationTree = try Self.tree(stationOut)
      let labTree = try Self.tree(labOut)
      #expect(!stationTree.isEmpty)
      #expect(stationTree == labTree, "version \(version): the sites differ")
      if version == head {
        // The Site resource built the head's site into its own directory: the same bytes.
        #expect(try Self.tree(siteOut) == stationTree)
      }
      previous = stationTree
    }
    #expect(built >= 2, "sites were built at \(built) version(s)")
    #expect(previous?.keys.contains("index.html") == true)
  }

  /// A station whose pond holds the HydroVu resource alone, against a fake server of two days in pages of 7.
  final class CollectingStation {
    let fake: FakeHydroVu
    let directory: URL
    let station: Station

    init(maxPoints: Int) throws {
      fake = try FakeHydroVu(
        devices: 2, parameters: 3, start: PipelineEndToEndTests.start,
        end: PipelineEndToEndTests.start + 2 * 86_400, options: ["--page-size", "7"])
      directory = try TestSupport.makeTemporaryDirectory()
      let remote = try TestRemote.make("file", in: directory)
      station = Station(
        machine: Machine(root: directory.appendingPathComponent("station").path, remote: remote),
        fake: fake)
      try station.machine.ok("init")
      let file = directory.appendingPathComponent("resources.yaml")
      let yaml = PipelineEndToEndTests.resources(
        fake, site: directory.appendingPathComponent("site").path, maxPoints: maxPoints)
      // The collector alone.
      try yaml.components(separatedBy: "---")[0].write(to: file, atomically: true, encoding: .utf8)
      try station.machine.ok("apply", "-f", file.path)
    }

    deinit {
      fake.stop()
      try? FileManager.default.removeItem(at: directory)
    }

    var logLength: Int { get throws { try station.machine.ok("log").split(separator: "\n").count } }

    /// Starts `pond run lake --no-backup` with the second device's data stalled, and returns once the
    /// request stalls (nil, with an issue recorded, when it never does).
    func startStalledRun(standardError: FileHandle = .nullDevice) async throws -> Process? {
      try await fake.arm("stall", match: "/locations/101/data", seconds: 60)
      let process = Process()
      process.executableURL = PondBinary.url
      process.arguments = ["run", "lake", "--no-backup"]
      process.environment = station.environment
      process.standardOutput = FileHandle.nullDevice
      process.standardError = standardError
      try process.run()
      let deadline = Date().addingTimeInterval(30)
      while try await fake.stats().stalled < 1 {
        guard Date() < deadline else {
          Issue.record("the run never reached the stalled request")
          kill(process.processIdentifier, SIGKILL)
          return nil
        }
        try await Task.sleep(for: .milliseconds(50))
      }
      return process
    }
  }

  @Test(
    "pond run killed with SIGKILL mid-collection commits nothing; the next run resumes without gaps or duplicates"
  )
  func killedRun() async throws {
    let collecting = try CollectingStation(maxPoints: 30)
    let (fake, station) = (collecting.fake, collecting.station)
    let first = try station.run(["run", "lake"])
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    let head = try collecting.logLength
    guard let process = try await collecting.startStalledRun() else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    #expect(try collecting.logLength == head)
    // No lock is left behind: a writer goes ahead at once.
    try station.machine.ok("mkdir", "/after")
    try await fake.clearFaults()
    var runs = 0
    while runs < 10 {
      runs += 1
      let next = try station.run(["run", "lake", "--json"])
      #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
      if next.stdout.contains("\"unchanged\"") { break }
    }
    for (id, name) in [(Int64(100), "north"), (101, "south")] {
      let csv = try station.machine.ok(
        "query", "--format", "csv", "--table", "r=/hydrovu/\(name)/readings",
        "SELECT count(*), count(DISTINCT time), sum(\"probe.Depth.m\") FROM r")
      let fields = csv.split(whereSeparator: \.isNewline).last?.split(separator: ",") ?? []
      let times = fake.times(from: Self.start)
      let sum = times.reduce(0.0) { $0 + FakeHydroVu.value(location: id, parameter: 2, time: $1) }
      #expect(
        fields.count == 3 && Int(fields[0]) == times.count && Int(fields[1]) == times.count,
        "\(csv)")
      #expect(abs((Double(fields.last ?? "") ?? 0) - sum) < 1e-6 * abs(sum), "\(csv)")
    }
  }

  @Test(
    "SIGTERM to pond run mid-collection (the agent stopping): exit 130, nothing committed, no temporary file left"
  )
  func terminatedRun() async throws {
    // The first device is read and written to local/ before the second stalls.
    let collecting = try CollectingStation(maxPoints: 1000)
    let (fake, station) = (collecting.fake, collecting.station)
    let head = try collecting.logLength
    let errors = collecting.directory.appendingPathComponent("run.err")
    FileManager.default.createFile(atPath: errors.path, contents: nil)
    guard
      let process = try await collecting.startStalledRun(
        standardError: try FileHandle(forWritingTo: errors))
    else { return }
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    kill(process.processIdentifier, SIGTERM)
    let stopped = Date().addingTimeInterval(15)
    while process.isRunning && Date() < stopped { try await Task.sleep(for: .milliseconds(50)) }
    #expect(!process.isRunning, "pond run did not stop within 15 s of SIGTERM")
    process.waitUntilExit()
    #expect(process.terminationStatus == 130)
    #expect(try String(contentsOf: errors, encoding: .utf8).contains("pond run: interrupted"))
    // Init's commit only.
    #expect(try collecting.logLength == head + 1)
    let local = try FileManager.default.contentsOfDirectory(atPath: station.machine.root + "/local")
    #expect(!local.contains { $0.hasPrefix(".pond-tmp-") }, "\(local)")
    try await fake.clearFaults()
    let next = try station.run(["run", "lake"])
    #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
    #expect(next.stdout.contains("collected 386 reading time(s)"), "\(next.stdout)")
  }
}
