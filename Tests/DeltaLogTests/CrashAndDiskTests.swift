import Foundation
import PondCrypto
import PondFiles
import PondTestSupport
import Testing

@testable import DeltaLog

#if canImport(Glibc)
  import Glibc
#endif

/// The log layer under a killed writer, a full disk and an unwritable table directory, with the writer in a
/// separate `DeltaLogProbe` process running pond's own code.
@Suite("Crashes and full disks", .serialized)
struct CrashAndDiskTests {
  /// Temporary files a killed writer may leave behind.
  static func temporaryFiles(in directory: URL) -> [String] {
    var found: [String] = []
    for sub in ["", "_delta_log"] {
      let path = sub.isEmpty ? directory.path : directory.appendingPathComponent(sub).path
      let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
      found += names.filter { TemporaryName.isTemporary($0) }.map {
        sub.isEmpty ? $0 : sub + "/" + $0
      }
    }
    return found
  }

  /// Checks that `f`'s table reads back with an intact chain, every version after 0 adds exactly one file,
  /// and every added file matches its add's size and SHA-256; returns the commits.
  @discardableResult
  static func expectWhole(_ f: TableFixture, _ context: String) throws -> [CommitFile] {
    let commits = try f.table.chainedCommits()
    for commit in commits.dropFirst() {
      #expect(
        commit.adds.count == 1,
        "\(context): version \(commit.version) adds \(commit.adds.count) files")
    }
    let bad = f.badDataFiles(commits)
    #expect(bad.isEmpty, "\(context): \(bad)")
    return commits
  }

  // MARK: - Killed writer

  @Test func killedWriterLeavesAWholeTable() throws {
    let f = try TableFixture()
    defer { f.remove() }
    #expect(try f.create().isCommitted(version: 0))
    let kills = 40
    // Every other commit streams this file in (DirectoryStore.put(_:contentsOf:), several chunks).
    let source = f.directory.deletingLastPathComponent().appendingPathComponent(
      f.directory.lastPathComponent + "-source.dat")
    defer { try? FileManager.default.removeItem(at: source) }
    try Data((0..<(OpenFile.copyChunkSize + 4097)).map { UInt8(truncatingIfNeeded: $0 >> 3) })
      .write(to: source)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var reported: Int64 = 0
    var killsWithLeftovers = 0
    var killsInCommitWrite = 0
    var seenLeftovers = Set<String>()
    var killsBeforeFirstCommit = 0
    var rounds = 0
    let start = Date()
    // At least `kills` rounds, and more (up to 5x) until some kill has landed inside a write: how often a
    // random delay hits a write depends on the machine's fsync speed, so the count adapts instead of failing.
    for round in 0..<(kills * 5) {
      if round >= kills && killsWithLeftovers > 0 { break }
      // Delays from 2 ms to 250 ms, in a fixed pseudo-random order: some kills land during start-up,
      // most in the middle of a data file write, a commit write, or between them.
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let delay = 2_000 + UInt32((state >> 33) % 248_000)
      let child = try DeltaLogProbe.Child(probe: [
        "commit-loop", "--table", f.directory.path, "--max-bytes", "262144", "--source",
        source.path,
      ])
      usleep(delay)
      #expect(Glibc.kill(child.pid, SIGKILL) == 0)
      let end = child.finish()
      #expect(end.signaled && end.status == SIGKILL, "kill \(round): \(end.status) \(end.stderr)")
      let lines = end.stdout.split(separator: "\n")
      if lines.isEmpty { killsBeforeFirstCommit += 1 }
      rounds += 1
      let leftovers = Set(Self.temporaryFiles(in: f.directory))
      let new = leftovers.subtracting(seenLeftovers)
      seenLeftovers = leftovers
      if !new.isEmpty { killsWithLeftovers += 1 }
      if new.contains(where: { $0.hasPrefix("_delta_log/" + TemporaryName.prefix) }) {
        killsInCommitWrite += 1
      }
      // Reading ignores the leftovers; every reported commit is durable and whole.
      let commits = try Self.expectWhole(f, "after kill \(round) at \(delay) µs")
      let latest = Int64(commits.count - 1)
      if let last = lines.last?.split(separator: " "), last.count == 3, let version = Int64(last[1])
      {
        #expect(version <= latest, "kill \(round): reported \(version) > \(latest)")
        #expect(commits.first { $0.adds.contains { $0.path == last[2] } }?.version == version)
        reported = max(reported, version)
      }
    }
    // After all the kills, a new writer still commits on top.
    let add = try f.dataFile("after-kills.bin", [1, 2, 3])
    let before = try f.table.latestVersion()
    #expect(try f.append([add]).isCommitted(version: before + 1))
    try Self.expectWhole(f, "after the final commit")
    let elapsed = Date().timeIntervalSince(start)
    print(
      "killed writer: \(rounds) kills in \(String(format: "%.1f", elapsed)) s, \(before) versions, "
        + "\(killsWithLeftovers) kills left a new temporary file (\(killsInCommitWrite) a commit's), "
        + "\(killsBeforeFirstCommit) before a first commit"
    )
    #expect(reported > 0 && before >= reported)
    // The kills landed in the middle of writes, not only between them (the point of the test).
    #expect(killsWithLeftovers > 0, "no kill left a temporary file: the kills missed every write")
  }

  // MARK: - Streaming put memory

  /// A 96 MiB file stored with the streaming put keeps the writer's peak memory far below the file's size;
  /// the whole-array put (the control) grows by more than half the file's size.
  @Test func streamingPutMemoryDoesNotGrowWithFileSize() throws {
    let f = try TableFixture()
    defer { f.remove() }
    #expect(try f.create().isCommitted(version: 0))
    let size = 96 << 20
    let source = f.directory.appendingPathComponent("source.dat")
    #expect(FileManager.default.createFile(atPath: source.path, contents: nil))
    let handle = try FileHandle(forWritingTo: source)
    let block = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 10) })
    for _ in 0..<(size >> 20) { try handle.write(contentsOf: block) }
    try handle.close()
    func peak(_ arguments: [String]) throws -> Int {
      let result = try DeltaLogProbe.run(
        ["commit-one", "--table", f.directory.path, "--report-rss", "yes"] + arguments)
      #expect(result.status == 0, "\(result.stderrText)")
      let line = result.stderrText.split(separator: "\n").first { $0.hasPrefix("maxrss ") }
      return Int(line?.dropFirst("maxrss ".count) ?? "") ?? -1
    }
    let tiny = f.directory.appendingPathComponent("tiny.dat")
    try Data([1, 2, 3]).write(to: tiny)
    let baseline = try peak(["--path", "tiny.bin", "--source", tiny.path])
    let streamed = try peak(["--path", "streamed.bin", "--source", source.path])
    let whole = try peak(["--path", "whole.bin", "--data-bytes", String(size)])
    print(
      "peak RSS: baseline (3-byte file) \(baseline >> 10) MiB, streaming put of 96 MiB "
        + "\(streamed >> 10) MiB, whole-array put \(whole >> 10) MiB")
    // The streaming copy holds one 1 MiB chunk; allow some slack for allocator noise.
    #expect(
      baseline > 0 && streamed - baseline < 8 << 10,
      "streaming \(streamed) KiB, baseline \(baseline) KiB")
    #expect(whole - baseline > size >> 11, "whole-array \(whole) KiB, baseline \(baseline) KiB")
    let commits = try Self.expectWhole(f, "after the large puts")
    #expect(commits.flatMap(\.adds).first { $0.path == "streamed.bin" }?.size == Int64(size))
  }

  // MARK: - Full disk (file-size limit)

  @Test func fileSizeLimitFailsCleanlyAndLiftingItRecovers() throws {
    let f = try TableFixture()
    defer { f.remove() }
    #expect(try f.create().isCommitted(version: 0))
    let table = f.directory.path

    // A data file larger than the limit: the put fails with EFBIG and leaves nothing.
    let big = try DeltaLogProbe.run([
      "commit-one", "--table", table, "--path", "big.bin", "--data-bytes", "200000",
      "--fsize-limit", "65536",
    ])
    #expect(big.status == 1)
    #expect(big.stderrText.contains("failed put"), "\(big.stderrText)")
    #expect(big.stderrText.contains("File too large (errno \(EFBIG))"), "\(big.stderrText)")
    #expect(!FileManager.default.fileExists(atPath: f.path("big.bin")))
    #expect(
      big.stderrText.contains("check ulimit -f"), "the error says what to do: \(big.stderrText)")

    // The same through the streaming put.
    let source = f.directory.appendingPathComponent("source.dat")
    try Data(repeating: 7, count: 200_000).write(to: source)
    let streamed = try DeltaLogProbe.run([
      "commit-one", "--table", table, "--path", "streamed.bin", "--source", source.path,
      "--fsize-limit", "65536",
    ])
    #expect(streamed.status == 1)
    #expect(streamed.stderrText.contains("failed put"), "\(streamed.stderrText)")
    #expect(streamed.stderrText.contains("File too large"), "\(streamed.stderrText)")

    // A small data file fits, but the commit file does not: the commit fails, naming version 1's file.
    let commit = try DeltaLogProbe.run([
      "commit-one", "--table", table, "--path", "small.bin", "--data-bytes", "100",
      "--fsize-limit", "300",
    ])
    #expect(commit.status == 1)
    #expect(commit.stderrText.contains("failed commit"), "\(commit.stderrText)")
    #expect(
      commit.stderrText.contains("at version 1 (_delta_log/00000000000000000001.json)"),
      "\(commit.stderrText)")
    #expect(commit.stderrText.contains("File too large"), "\(commit.stderrText)")
    #expect(
      commit.stderrText.contains("commit again"), "the error says what to do: \(commit.stderrText)")

    print("file-size limit errors:\n\(big.stderrText)\(streamed.stderrText)\(commit.stderrText)")
    // No torn version, no temporary file left; the table still reads back whole.
    #expect(Self.temporaryFiles(in: f.directory).isEmpty, "\(Self.temporaryFiles(in: f.directory))")
    #expect(try f.table.latestVersion() == 0)
    try Self.expectWhole(f, "after the failed writes")

    // Lifting the limit: the next commit works, and so does the streaming put of the big file.
    let lifted = try DeltaLogProbe.run([
      "commit-one", "--table", table, "--path", "small-again.bin", "--data-bytes", "100",
    ])
    #expect(lifted.status == 0 && lifted.stdoutText == "committed 1\n", "\(lifted.stderrText)")
    let liftedStream = try DeltaLogProbe.run([
      "commit-one", "--table", table, "--path", "streamed.bin", "--source", source.path,
    ])
    #expect(
      liftedStream.status == 0 && liftedStream.stdoutText == "committed 2\n",
      "\(liftedStream.stderrText)")
    let commits = try Self.expectWhole(f, "after lifting the limit")
    #expect(commits.flatMap(\.adds).first { $0.path == "streamed.bin" }?.size == 200_000)
  }

  // MARK: - Full disk (a real ENOSPC on a small tmpfs)

  @Test func fullTmpfsFailsCleanlyAndFreeingSpaceRecovers() throws {
    guard getuid() == 0 else {
      print("skipped: mounting a tmpfs needs root, and this test runs as uid \(getuid())")
      return
    }
    let mountPoint = try TestSupport.makeTemporaryDirectory("delta-tmpfs")
    defer { try? FileManager.default.removeItem(at: mountPoint) }
    let mounted = try TestSupport.run(
      URL(fileURLWithPath: "/bin/mount"),
      ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint.path])
    guard mounted.status == 0 else {
      if TestSupport.isCI { Issue.record("cannot mount a tmpfs: \(mounted.stderrText)") }
      print("skipped: cannot mount a tmpfs here: \(mounted.stderrText)")
      return
    }
    defer {
      let unmounted = try? TestSupport.run(URL(fileURLWithPath: "/bin/umount"), [mountPoint.path])
      #expect(unmounted?.status == 0, "umount \(mountPoint.path): \(unmounted?.stderrText ?? "")")
    }
    let f = TableFixture(directory: mountPoint.appendingPathComponent("table"))
    #expect(try f.create().isCommitted(version: 0))

    // A data file larger than the whole file system.
    do {
      try f.storage.put("huge.bin", bytes: [UInt8](repeating: 1, count: 512 << 10))
      Issue.record("expected ENOSPC")
    } catch {
      #expect(error.errno == .noSpace, "\(error)")
      #expect(error.description.contains("No space left on device (errno \(ENOSPC))"), "\(error)")
      print("tmpfs ENOSPC error: \(error)")
    }
    // Fill the disk, then the commit itself fails.
    let small = try f.dataFile("small.bin", [1, 2, 3])
    let commit = try CommitFile.next(
      after: try f.table.head(), adds: [small], timestamp: TableFixture.baseTime)
    let filler = mountPoint.appendingPathComponent("filler").path
    let fd = open(filler, O_WRONLY | O_CREAT, 0o644)
    let block = [UInt8](repeating: 0, count: 4096)
    while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    close(fd)
    do {
      _ = try f.table.write(commit)
      Issue.record("expected ENOSPC")
    } catch {
      #expect(error.kind == .storageFailure && error.version == 1, "\(error)")
      #expect(error.description.contains("No space left on device"), "\(error)")
    }
    #expect(Self.temporaryFiles(in: f.directory).isEmpty)
    #expect(try f.table.latestVersion() == 0)
    try Self.expectWhole(f, "on a full tmpfs")
    // Free the space: the same commit now works.
    unlink(filler)
    #expect(try f.table.write(commit).isCommitted(version: 1))
    try Self.expectWhole(f, "after freeing space")
  }

  // MARK: - Unwritable table directory

  @Test func unwritableTableDirectoryFailsClearly() throws {
    let f = try TableFixture()
    defer {
      chmod(f.directory.path, 0o755)
      chmod(f.path("_delta_log"), 0o755)
      f.remove()
    }
    #expect(try f.create().isCommitted(version: 0))
    // As root, permission bits do not bind: run the writer as `nobody` (uid 65534) instead.
    let asUser = getuid() == 0 ? ["--uid", "65534"] : []
    // (The system temporary directory, holding the table, is searchable by every user.)

    // The whole table read-only: storing the data file fails.
    chmod(f.directory.path, 0o555)
    chmod(f.path("_delta_log"), 0o555)
    let put = try DeltaLogProbe.run(
      ["commit-one", "--table", f.directory.path, "--path", "denied.bin", "--data-bytes", "10"]
        + asUser)
    #expect(put.status == 1)
    #expect(put.stderrText.contains("failed put"), "\(put.stderrText)")
    #expect(put.stderrText.contains("Permission denied (errno \(EACCES))"), "\(put.stderrText)")

    // Data directory writable, log read-only: the commit fails, naming version 1's file.
    chmod(f.directory.path, 0o777)
    let commit = try DeltaLogProbe.run(
      ["commit-one", "--table", f.directory.path, "--path", "denied.bin", "--data-bytes", "10"]
        + asUser)
    #expect(commit.status == 1)
    #expect(commit.stderrText.contains("failed commit"), "\(commit.stderrText)")
    #expect(
      commit.stderrText.contains("(_delta_log/00000000000000000001.json)"), "\(commit.stderrText)")
    #expect(commit.stderrText.contains("Permission denied"), "\(commit.stderrText)")
    #expect(try f.table.latestVersion() == 0)
    print("unwritable table errors:\n\(put.stderrText)\(commit.stderrText)")

    // Writable again: the commit works.
    chmod(f.path("_delta_log"), 0o777)
    let retry = try DeltaLogProbe.run(
      ["commit-one", "--table", f.directory.path, "--path", "allowed.bin", "--data-bytes", "10"]
        + asUser)
    #expect(retry.status == 0 && retry.stdoutText == "committed 1\n", "\(retry.stderrText)")
    if getuid() == 0 {
      // The writer really ran as `nobody`.
      let owner = try FileManager.default.attributesOfItem(atPath: f.path("allowed.bin"))[
        .ownerAccountID]
      #expect((owner as? NSNumber)?.intValue == 65534, "owner \(String(describing: owner))")
    }
    try Self.expectWhole(f, "after the permission errors")
  }
}
