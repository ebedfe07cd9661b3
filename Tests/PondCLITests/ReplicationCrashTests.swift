import Foundation
import PondTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// SIGKILL of push, restore and pull at many moments: the remote never holds a commit without its objects,
/// a restore leaves its destination absent or complete, a replica stays fsck-clean, and the next run completes.
@Suite("replication crash safety", .serialized)
struct ReplicationCrashTests {
  /// A station with 3 rounds of history (19 versions, 3 large files) and a `file://` remote.
  static func station(in directory: URL) throws -> Machine {
    let remote = try TestRemote.file(in: directory)
    let station = try Machine.writer("station", in: directory, remote: remote)
    for round in 1...3 {
      try ReplicationCLITests.commitHistory(station, in: directory, round: round)
    }
    return station
  }

  /// `station(in:)` pushed to its remote, a directory `labs` for restores, and how long a whole restore takes.
  static func pushedStation(in directory: URL) throws -> (Machine, labs: URL, restore: TimeInterval)
  {
    let station = try station(in: directory)
    try station.ok("push")
    let labs = directory.appendingPathComponent("labs")
    try FileManager.default.createDirectory(at: labs, withIntermediateDirectories: true)
    let full = try duration {
      try Machine(root: labs.appendingPathComponent("warmup").path, remote: station.remote).ok(
        "restore", station.remote.url)
    }
    return (station, labs, full)
  }

  /// Runs `pond arguments` for `machine` and sends it `signal` (SIGKILL unless told) after `delay` seconds (if
  /// still running); returns how it ended.
  @discardableResult
  static func killed(
    _ machine: Machine, _ arguments: [String], after delay: TimeInterval, signal: Int32 = SIGKILL
  ) throws -> (reason: Process.TerminationReason, status: Int32) {
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = machine.root
    environment.merge(machine.remote.environment) { _, new in new }
    let process = Process()
    process.executableURL = PondBinary.url
    process.arguments = arguments
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    Thread.sleep(forTimeInterval: delay)
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    return (process.terminationReason, process.terminationStatus)
  }

  /// How long `body` takes.
  static func duration(_ body: () throws -> Void) rethrows -> TimeInterval {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
  }

  /// The delay of attempt `attempt` of `attempts`: spread over 0...1.1 times `duration`.
  static func delay(_ attempt: Int, of attempts: Int, _ duration: TimeInterval) -> TimeInterval {
    duration * 1.1 * Double(attempt - 1) / Double(attempts - 1)
  }

  @Test(
    "SIGKILL at 50 moments of a push: every commit on the remote has its objects; the next push completes"
  )
  func killDuringPush() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-kill-push")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.station(in: directory)
    let remoteRoot = try #require(station.remote.directory)
    func emptyRemote() throws {
      try FileManager.default.removeItem(atPath: remoteRoot)
      try FileManager.default.createDirectory(atPath: remoteRoot, withIntermediateDirectories: true)
    }
    let full = try Self.duration { try station.ok("push") }
    var partial = 0
    for attempt in 1...50 {
      try emptyRemote()
      try Self.killed(station, ["push"], after: Self.delay(attempt, of: 50, full))
      // Whatever the remote holds is whole: each commit chains and has every object, verified.
      let verify = try station.run(["verify", "--deep"])
      #expect(verify.status == 0, "attempt \(attempt): \(verify.stdout)\(verify.stderr)")
      if !verify.stdout.contains("In sync") { partial += 1 }
      try station.ok("push")
      #expect(try station.ok("verify", "--deep").contains("In sync: both at version 18"))
    }
    #expect(partial > 0, "no kill landed before the push ended")
  }

  @Test("SIGKILL at 30 moments of a restore: the destination is absent or complete and fsck-clean")
  func killDuringRestore() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-kill-restore")
    defer { try? FileManager.default.removeItem(at: directory) }
    let (station, labs, full) = try Self.pushedStation(in: directory)
    let log = try station.ok("log")
    var absent = 0
    var complete = 0
    for attempt in 1...30 {
      let lab = Machine(
        root: labs.appendingPathComponent("lab-\(attempt)").path, remote: station.remote)
      // Over twice the warm-up's time: a restore on a busy machine can take longer than the warm-up did, and
      // both outcomes (absent, complete) must be seen.
      try Self.killed(
        lab, ["restore", station.remote.url], after: Self.delay(attempt, of: 30, 2 * full))
      if FileManager.default.fileExists(atPath: lab.root) {
        complete += 1
        #expect(try lab.ok("fsck").contains("no problems"), "attempt \(attempt)")
        #expect(try lab.ok("log") == log, "attempt \(attempt)")
      } else {
        absent += 1
      }
    }
    #expect(absent > 0 && complete > 0, "absent \(absent), complete \(complete)")
  }

  @Test(
    "SIGINT at 15 moments of a restore: exit 130 (or 0 once done), the destination absent or complete, no temporary directory left"
  )
  func interruptRestore() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-interrupt-restore")
    defer { try? FileManager.default.removeItem(at: directory) }
    let (station, labs, full) = try Self.pushedStation(in: directory)
    var interrupted = 0
    for attempt in 1...15 {
      let lab = Machine(
        root: labs.appendingPathComponent("lab-\(attempt)").path, remote: station.remote)
      let ended = try Self.killed(
        lab, ["restore", station.remote.url], after: Self.delay(attempt, of: 15, full),
        signal: SIGINT)
      let names = try FileManager.default.contentsOfDirectory(atPath: labs.path)
      #expect(!names.contains { $0.hasPrefix(".pond-tmp-") }, "attempt \(attempt): \(names)")
      if ended.reason == .exit && ended.status == 130 {
        interrupted += 1
        #expect(!FileManager.default.fileExists(atPath: lab.root), "attempt \(attempt)")
      } else if FileManager.default.fileExists(atPath: lab.root) {
        #expect(ended.reason == .exit && ended.status == 0, "attempt \(attempt): \(ended)")
        #expect(try lab.ok("fsck").contains("no problems"), "attempt \(attempt)")
      }
    }
    #expect(interrupted > 0, "no SIGINT landed while the restore ran")
  }

  @Test("SIGKILL at 20 moments of a pull: the replica stays fsck-clean and the next pull completes")
  func killDuringPull() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-kill-pull")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.station(in: directory)
    try station.ok("push")
    let log = try station.ok("log")
    let replica = Machine(
      root: directory.appendingPathComponent("replica").path, remote: station.remote)
    func freshReplica() throws {
      try? FileManager.default.removeItem(atPath: replica.root)
      try replica.ok("restore", "--version", "1", station.remote.url)
    }
    try freshReplica()
    let full = try Self.duration { try replica.ok("pull") }
    var partial = 0
    for attempt in 1...20 {
      try freshReplica()
      try Self.killed(replica, ["pull"], after: Self.delay(attempt, of: 20, full))
      #expect(try replica.ok("fsck").contains("no problems"), "attempt \(attempt)")
      if try replica.ok("log") != log { partial += 1 }
      try replica.ok("pull")
      #expect(try replica.ok("log") == log, "attempt \(attempt)")
    }
    #expect(partial > 0, "no kill landed before the pull ended")
  }
}
