import Foundation
import PondTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Host files for a multi-file copy: 12 small files and one large one whose bytes depend on `seed`.
private func makeSource(in pond: CLIPond, seed: Int) throws -> String {
  let source = pond.directory.appendingPathComponent("source-\(seed)").path
  try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
  for index in 0..<12 {
    _ = FileManager.default.createFile(
      atPath: source + "/small-\(index).txt", contents: Data("seed \(seed) file \(index)\n".utf8))
  }
  var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
  var large = [UInt8](repeating: 0, count: 3 << 20)
  for index in large.indices {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    large[index] = UInt8(truncatingIfNeeded: state)
  }
  _ = FileManager.default.createFile(atPath: source + "/large.bin", contents: Data(large))
  return source
}

/// The number of versions `pond log` reports.
private func versionCount(_ pond: CLIPond) throws -> Int {
  try pond.ok("log").split(separator: "\n").count
}

@Suite("pond crash safety", .serialized)
struct PondCrashTests {
  @Test("SIGKILL at 50 moments of a copy leaves the whole commit or none of it, and fsck passes")
  func killDuringCopy() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    // Measure one uninterrupted copy.
    let warmup = try makeSource(in: pond, seed: 0)
    let start = Date()
    try pond.ok("copy", warmup, "/warmup")
    let duration = Date().timeIntervalSince(start)
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    var committed = 0
    var absent = 0
    for attempt in 1...50 {
      let source = try makeSource(in: pond, seed: attempt)
      let before = try versionCount(pond)
      let process = Process()
      process.executableURL = PondBinary.url
      process.arguments = ["copy", source, "/run-\(attempt)"]
      process.environment = environment
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      // Spread the kills over 0...1.1 times the measured duration; the last one waits 3 times it, so that
      // at least one copy commits even when the machine is slower than during the warm-up.
      let fraction = attempt == 50 ? 3.0 : 1.1 * Double(attempt - 1) / 49
      Thread.sleep(forTimeInterval: duration * fraction)
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let fsck = try pond.run("fsck")
      #expect(fsck.status == 0, "attempt \(attempt): \(fsck.stdout)")
      let after = try versionCount(pond)
      if after == before {
        absent += 1
        #expect(try pond.run("list", "/run-\(attempt)").status == 1, "attempt \(attempt)")
      } else {
        committed += 1
        #expect(after == before + 1, "attempt \(attempt)")
        let out = pond.directory.appendingPathComponent("out-\(attempt)").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try pond.ok("copy", "--out", "/run-\(attempt)", out)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
          #expect(
            FileManager.default.contents(atPath: out + "/run-\(attempt)/" + name)
              == FileManager.default.contents(atPath: source + "/" + name),
            "attempt \(attempt): \(name)")
        }
        try? FileManager.default.removeItem(atPath: out)
      }
      try? FileManager.default.removeItem(atPath: source)
    }
    // The delays span the copy, so some kills land before the commit and some after.
    #expect(absent > 0)
    #expect(committed > 0)
  }
}

@Suite("pond on full and read-only disks", .serialized)
struct PondDiskTests {
  @Test("a full disk fails the copy clearly and leaves the pond consistent")
  func fullDisk() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    let done = try TestSupport.withTmpfs(size: "2m", in: pond.directory) { mountPoint -> Bool in
      let root = mountPoint + "/pond"
      var environment = ProcessInfo.processInfo.environment
      environment["POND"] = root
      let run = { (arguments: [String]) in try PondBinary.run(arguments, environment: environment) }
      #expect(try run(["init"]).status == 0)
      #expect(try run(["copy", pond.hostFile("small", [1, 2, 3]), "/small"]).status == 0)
      let source = try makeSource(in: pond, seed: 1)  // 3 MiB of incompressible bytes: does not fit
      let result = try run(["copy", source, "/big"])
      #expect(result.status == 1)
      #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
      #expect(result.stderr.contains("disk is full"), "\(result.stderr)")
      let fsck = try run(["fsck"])
      #expect(fsck.status == 0, "\(fsck.stdout)")
      #expect(try run(["list", "/"]).stdout == "/small\n")
      #expect(try run(["cat", "/small"]).stdout == "\u{1}\u{2}\u{3}")
      return true
    }
    if done == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }

  @Test("a read-only pond can be read but not changed, with a clear error")
  func readOnlyPond() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    let done = try TestSupport.withTmpfs(size: "8m", in: pond.directory) { mountPoint -> Bool in
      let root = mountPoint + "/pond"
      var environment = ProcessInfo.processInfo.environment
      environment["POND"] = root
      let run = { (arguments: [String]) in try PondBinary.run(arguments, environment: environment) }
      #expect(try run(["init"]).status == 0)
      #expect(try run(["copy", pond.hostFile("f", [65]), "/f"]).status == 0)
      let remount = try TestSupport.run(
        URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,ro", mountPoint])
      try #require(remount.status == 0)
      let write = try run(["mkdir", "/d"])
      #expect(write.status == 1)
      #expect(write.stderr.contains(root + "/local/lock"), "\(write.stderr)")
      #expect(write.stderr.contains("Read-only file system"), "\(write.stderr)")
      #expect(try run(["cat", "/f"]).stdout == "A")
      #expect(try run(["fsck"]).status == 0)
      // The index, up to date, is read as it is; without one, each command builds a temporary one.
      let status = try run(["status"]).stdout
      #expect(status.contains("up to date (local/index.sqlite (read-only medium))"), "\(status)")
      let mount = URL(fileURLWithPath: "/bin/mount")
      try #require(try TestSupport.run(mount, ["-o", "remount,rw", mountPoint]).status == 0)
      for suffix in ["", "-wal", "-shm"] { unlink(root + "/local/index.sqlite" + suffix) }
      try #require(try TestSupport.run(mount, ["-o", "remount,ro", mountPoint]).status == 0)
      let rebuilt = try run(["status"]).stdout
      #expect(
        rebuilt.contains(
          "rebuilt from the log (a temporary file (\(root)/local is on a read-only medium"),
        "\(rebuilt)")
      #expect(try run(["cat", "/f"]).stdout == "A")
      return true
    }
    if done == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }
}
