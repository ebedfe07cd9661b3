import Foundation
import PondTestSupport
import Synchronization
import Testing

@testable import DeltaLog

/// Racers committing the same versions of one table at the same time: two Swift threads in this process,
/// using `DeltaTable.commit` over `LocalStorage`, and one separate Python process doing the same link()-based
/// protocol (temporary file, fsync, link to the final name, EEXIST = taken) against the Swift-created table.
///
/// Every round, each racer prepares its commit for version v on top of version v-1, then all meet at a
/// file-based barrier (`_race/<v>-<racer>` markers, so the racers start each attempt within a fraction of a
/// millisecond of each other, across processes), then all try to create version v. Exactly one must win each
/// version and the others must get "version taken"; the final log must replay with its hash chain intact
/// and its version v must be the claimed winner's commit.
@Suite("Commit race")
struct CommitRaceTests {
  static let rounds = 100
  static let racers = ["python", "swift0", "swift1"]

  static let pythonRacer = #"""
    import hashlib, json, os, sys, time, uuid
    root, rounds, name, racers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
    log = os.path.join(root, "_delta_log")
    barrier = os.path.join(root, "_race")
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

  /// Outcomes by racer, then by version: true = won, false = taken.
  final class Outcomes: Sendable {
    let results = Mutex<[String: [Int: Bool]]>([:])
    let failures = Mutex<[String]>([])
    func record(_ racer: String, _ version: Int, won: Bool) {
      results.withLock { $0[racer, default: [:]][version] = won }
    }
    func fail(_ message: String) { failures.withLock { $0.append(message) } }
  }

  static func waitAtBarrier(root: URL, version: Int, racer: String) throws {
    let barrier = root.appendingPathComponent("_race")
    let marker = barrier.appendingPathComponent("\(version)-\(racer)").path
    guard FileManager.default.createFile(atPath: marker, contents: nil) else {
      throw DeltaLogError(
        .storageFailure, version: Int64(version), "\(racer): cannot create \(marker)")
    }
    let deadline = Date().addingTimeInterval(30)
    while !racers.allSatisfy({
      FileManager.default.fileExists(
        atPath: barrier.appendingPathComponent("\(version)-\($0)").path)
    }) {
      guard Date() < deadline else {
        throw DeltaLogError(.storageFailure, version: Int64(version), "\(racer): barrier timeout")
      }
      usleep(100)
    }
  }

  static func swiftRacer(_ name: String, root: URL, outcomes: Outcomes) {
    let table = DeltaTable(storage: LocalStorage(root: root.path))
    do {
      for version in 1...rounds {
        let snapshot = try table.snapshot(at: Int64(version - 1))
        let add = AddFile(
          path: "race-\(name)-\(version).parquet", size: 1, modificationTime: DeltaTable.now(),
          sha256: String(repeating: "0", count: 64))
        try waitAtBarrier(root: root, version: version, racer: name)
        switch try table.commit(on: snapshot, adds: [add], operationParameters: ["racer": name]) {
        case .committed(let committed, _):
          guard committed == Int64(version) else {
            outcomes.fail("\(name) committed \(committed) instead of \(version)")
            return
          }
          outcomes.record(name, version, won: true)
        case .versionTaken(let taken):
          guard taken == Int64(version) else {
            outcomes.fail("\(name) was refused \(taken) instead of \(version)")
            return
          }
          outcomes.record(name, version, won: false)
        }
      }
    } catch {
      outcomes.fail("\(name): \(error)")
    }
  }

  @Test func exactlyOneWriterWinsEachVersion() throws {
    guard let python = TestSupport.python ?? TestSupport.which("python3") else {
      if TestSupport.isCI { Issue.record("python3 is required for the cross-process race test") }
      return
    }
    let root = try TestSupport.makeTemporaryDirectory("delta-race")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("_race"), withIntermediateDirectories: true)
    let table = DeltaTable(storage: LocalStorage(root: root.path))
    #expect(try table.create(schema: TableFixture.schema).isCommitted(version: 0))

    let outcomes = Outcomes()
    let done = DispatchSemaphore(value: 0)
    let pythonThread = Thread {
      do {
        let result = try TestSupport.run(
          python,
          [
            "-c", Self.pythonRacer, root.path, String(Self.rounds), "python",
            Self.racers.joined(separator: ","),
          ])
        if result.status != 0 {
          outcomes.fail(
            "python racer exited \(result.status): \(result.stdoutText) \(result.stderrText)")
        }
        for line in result.stdoutText.split(separator: "\n") {
          let parts = line.split(separator: " ")
          guard parts.count == 2, let version = Int(parts[0]) else { continue }
          outcomes.record("python", version, won: parts[1] == "won")
        }
      } catch {
        outcomes.fail("python racer: \(error)")
      }
      done.signal()
    }
    pythonThread.start()
    for name in ["swift0", "swift1"] {
      let thread = Thread {
        Self.swiftRacer(name, root: root, outcomes: outcomes)
        done.signal()
      }
      thread.start()
    }
    for _ in 0..<3 { done.wait() }

    let failures = outcomes.failures.withLock { $0 }
    #expect(failures.isEmpty, "\(failures)")
    let results = outcomes.results.withLock { $0 }
    var wins: [String: Int] = [:]
    for version in 1...Self.rounds {
      let winners = Self.racers.filter { results[$0]?[version] == true }
      let losers = Self.racers.filter { results[$0]?[version] == false }
      #expect(
        winners.count == 1 && losers.count == 2,
        "version \(version): won \(winners), taken \(losers)")
      if let winner = winners.first { wins[winner, default: 0] += 1 }
    }

    // The log is whole: contiguous, chained, and each version is its claimed winner's commit.
    let snapshot = try table.snapshot()
    #expect(snapshot.version == Int64(Self.rounds))
    #expect(snapshot.liveFiles.count == Self.rounds)
    for version in 1...Self.rounds {
      let racer = snapshot.commits[version].info?.operationParameters["racer"]
      #expect(
        racer != nil && results[racer ?? ""]?[version] == true,
        "version \(version) written by \(racer ?? "?")")
    }
    let leftovers = try FileManager.default.contentsOfDirectory(
      atPath: root.appendingPathComponent("_delta_log").path
    )
    .filter { !$0.hasSuffix(".json") || $0.hasPrefix("_") }
    #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    // Both implementations took part for real: each won some versions against the other.
    let swiftWins = (wins["swift0"] ?? 0) + (wins["swift1"] ?? 0)
    print("commit race: \(Self.rounds) rounds, wins \(wins)")
    #expect(swiftWins > 0 && (wins["python"] ?? 0) > 0, "wins \(wins)")
  }
}
