import Foundation
import PondFiles
import PondTestSupport
import Testing

@testable import DeltaLog

/// Writers in separate processes committing the same versions of one table at the same time.
///
/// The core race is Swift against Swift: two (or three) `DeltaLogProbe race` processes, each running pond's
/// own `DeltaTable.write` over `DirectoryStore`. A second test adds a Python process doing the same link()-based
/// protocol (temporary file, fsync, link to the final name, EEXIST = taken), which shows the protocol is
/// interoperable with another implementation.
///
/// Every round, each racer prepares its commit for version v on top of version v-1, then all meet at a
/// file-based barrier (`<barrier>/<v>-<racer>` markers, so the racers start each attempt within a fraction of
/// a millisecond of each other), then all try to create version v. Exactly one must win each version and the
/// others must get "version taken"; the final log must read back with its hash chain intact and its version v
/// must be the claimed winner's commit.
@Suite("Commit race")
struct CommitRaceTests {
  static let rounds = 100

  static let pythonRacer = #"""
    import hashlib, json, os, sys, time, uuid
    root, rounds, name, racers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
    barrier = sys.argv[5]
    log = os.path.join(root, "_delta_log")
    def key(v): return os.path.join(log, "%020d.json" % v)
    def marker(v, r): return os.path.join(barrier, "%d-%s" % (v, r))
    def wait_all(v):
        open(marker(v, name), "w").close()
        deadline = time.monotonic() + 30
        while not all(os.path.exists(marker(v, r)) for r in racers):
            if time.monotonic() > deadline:
                print("barrier timeout at %d" % v, flush=True)
                os._exit(2)
            time.sleep(0.0001)
    out = []
    for v in range(1, rounds + 1):
        prev = open(key(v - 1), "rb").read()
        prev_ts = json.loads(prev.splitlines()[0])["commitInfo"]["timestamp"]
        ts = max(int(time.time() * 1000), prev_ts + 1)
        lines = [
            {"commitInfo": {"timestamp": ts, "operation": "WRITE", "operationParameters": {"racer": name},
                            "readVersion": v - 1, "engineInfo": "python-racer",
                            "pond.prevCommitSha256": hashlib.sha256(prev).hexdigest()}},
            {"add": {"path": "race-%s-%d.parquet" % (name, v), "partitionValues": {}, "size": 1,
                     "modificationTime": ts, "dataChange": True, "tags": {"sha256": "0" * 64}}},
        ]
        data = "".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines).encode()
        tmp = os.path.join(log, "_commit_%s.json.tmp" % uuid.uuid4())
        wait_all(v)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.utime(fd, ns=(ts * 1000000, ts * 1000000))
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, key(v))
            out.append("%d won" % v)
        except FileExistsError:
            out.append("%d taken" % v)
        finally:
            os.unlink(tmp)
        dfd = os.open(log, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
    print("\n".join(out), flush=True)
    os._exit(0)
    """#

  /// Parses racers' "<version> won|taken" lines: racer -> version -> won.
  static func outcomes(_ output: String) -> [Int: Bool] {
    var result: [Int: Bool] = [:]
    for line in output.split(separator: "\n") {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let version = Int(parts[0]) else { continue }
      result[version] = parts[1] == "won"
    }
    return result
  }

  /// Runs `swiftRacers` probe processes (and a Python racer when `python` is given) over a new table, and
  /// checks the outcome; returns the wins per racer.
  static func race(swiftRacers: Int, python: URL?) throws -> [String: Int] {
    let root = try TestSupport.makeTemporaryDirectory("delta-race")
    defer { try? FileManager.default.removeItem(at: root) }
    let tableDirectory = root.appendingPathComponent("table")
    let barrier = root.appendingPathComponent("barrier")
    try FileManager.default.createDirectory(at: barrier, withIntermediateDirectories: true)
    let table = DeltaTable(storage: DirectoryStore(root: tableDirectory.path))
    let zero = try CommitFile.first(
      schema: TableFixture.schema, configuration: [:], id: "race", adds: [],
      timestamp: TableFixture.baseTime)
    #expect(try table.write(zero).isCommitted(version: 0))

    let swiftNames = (0..<swiftRacers).map { "swift\($0)" }
    let racers = swiftNames + (python == nil ? [] : ["python"])
    var children: [(String, DeltaLogProbe.Child)] = []
    for name in swiftNames {
      children.append(
        (
          name,
          try DeltaLogProbe.Child(probe: [
            "race", "--table", tableDirectory.path, "--versions", String(rounds), "--barrier",
            barrier.path, "--id", name, "--racers", racers.joined(separator: ","),
          ])
        ))
    }
    if let python {
      children.append(
        (
          "python",
          try DeltaLogProbe.Child(
            python,
            [
              "-c", pythonRacer, tableDirectory.path, String(rounds), "python",
              racers.joined(separator: ","), barrier.path,
            ])
        ))
    }
    var results: [String: [Int: Bool]] = [:]
    for (name, child) in children {
      let end = child.finish()
      #expect(
        end.status == 0 && !end.signaled, "\(name) exited \(end.status): \(end.stderr)")
      results[name] = outcomes(end.stdout)
    }

    var wins: [String: Int] = [:]
    for version in 1...rounds {
      let winners = racers.filter { results[$0]?[version] == true }
      let losers = racers.filter { results[$0]?[version] == false }
      #expect(
        winners.count == 1 && losers.count == racers.count - 1,
        "version \(version): won \(winners), taken \(losers)")
      if let winner = winners.first { wins[winner, default: 0] += 1 }
    }

    // The log is whole: contiguous, chained, and each version is its claimed winner's commit.
    let commits = try table.chainedCommits()
    #expect(commits.count == rounds + 1)
    #expect(commits.flatMap(\.adds).count == rounds)
    for version in 1...rounds {
      let commit = try table.commit(Int64(version))
      let racer = commit.info?.operationParameters["racer"]
      #expect(
        racer != nil && results[racer ?? ""]?[version] == true,
        "version \(version) written by \(racer ?? "?")")
      let add = commit.adds.first?.path
      #expect(
        add == "race-\(racer ?? "?")-\(version).parquet",
        "version \(version) adds \(add ?? "nothing")")
    }
    let leftovers = try FileManager.default.contentsOfDirectory(
      atPath: tableDirectory.appendingPathComponent("_delta_log").path
    )
    .filter { !$0.hasSuffix(".json") || $0.hasPrefix("_") }
    #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    return wins
  }

  @Test func twoSwiftProcessesRace() throws {
    let wins = try Self.race(swiftRacers: 2, python: nil)
    print("commit race, 2 Swift processes: \(Self.rounds) rounds, wins \(wins)")
    // Both processes took part for real: each won some versions against the other.
    #expect((wins["swift0"] ?? 0) > 0 && (wins["swift1"] ?? 0) > 0, "wins \(wins)")
  }

  @Test func threeSwiftProcessesRace() throws {
    let wins = try Self.race(swiftRacers: 3, python: nil)
    print("commit race, 3 Swift processes: \(Self.rounds) rounds, wins \(wins)")
    #expect(wins.values.reduce(0, +) == Self.rounds, "wins \(wins)")
  }

  @Test func swiftAndPythonProcessesRace() throws {
    guard let python = TestSupport.python ?? TestSupport.which("python3") else {
      if TestSupport.isCI { Issue.record("python3 is required for the Swift/Python race test") }
      return
    }
    let wins = try Self.race(swiftRacers: 2, python: python)
    print("commit race, 2 Swift + 1 Python processes: \(Self.rounds) rounds, wins \(wins)")
    let swiftWins = (wins["swift0"] ?? 0) + (wins["swift1"] ?? 0)
    #expect(swiftWins > 0 && (wins["python"] ?? 0) > 0, "wins \(wins)")
  }
}
