import Foundation
import PondTestSupport
import Testing

/// Damage on the remote and bad input: each refused with a clear error naming the key or the cause, and
/// nothing installed or half-written locally.
@Suite("replication: damage and bad input")
struct ReplicationFailureTests {
  /// A station with round 1 of the history (versions 0...6; the large file arrives in version 2), pushed to a
  /// `file://` remote.
  static func pushedStation(in directory: URL) throws -> Machine {
    let remote = try TestRemote.file(in: directory)
    let station = try Machine.writer("station", in: directory, remote: remote)
    try ReplicationCLITests.commitHistory(station, in: directory, round: 1)
    try station.ok("push")
    return station
  }

  /// The names in `directory`.
  static func names(_ directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
  }

  static func flipByte(_ path: String, at offset: Int = 40) throws {
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes[min(offset, bytes.count - 1)] ^= 0x01
    try bytes.write(to: URL(fileURLWithPath: path))
  }

  enum Damage: String, CaseIterable, CustomStringConvertible {
    case flippedDataFile, flippedLargeFile, flippedCommit, missingDataFile, missingLargeFile
    var description: String { rawValue }
  }

  @Test(
    "damage in version 2 of the remote: restore and pull refuse naming the key; verify --deep reports it",
    arguments: Damage.allCases)
  func damagedRemote(damage: Damage) throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-damage")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let remoteRoot = try #require(station.remote.directory)
    // A replica at version 1, made before the damage.
    let replica = Machine(
      root: directory.appendingPathComponent("replica").path, remote: station.remote)
    try replica.ok("restore", "--version", "1", station.remote.url)
    #expect(try replica.ok("log").split(separator: "\n").count == 2)

    let commit = remoteRoot + "/_delta_log/00000000000000000002.json"
    let add = try #require(
      String(decoding: try Data(contentsOf: URL(fileURLWithPath: commit)), as: UTF8.self)
        .split(separator: "\n").first { $0.contains("\"add\"") })
    let dataKey = try #require(add.split(separator: "\"").first { $0.hasPrefix("part-") })
    let largeKey = try #require(
      try FileManager.default.contentsOfDirectory(atPath: remoteRoot + "/_large_files").first)
    let damagedKey: String
    switch damage {
    case .flippedDataFile:
      damagedKey = String(dataKey)
      try Self.flipByte(remoteRoot + "/" + damagedKey)
    case .flippedLargeFile:
      damagedKey = "_large_files/" + largeKey
      try Self.flipByte(remoteRoot + "/" + damagedKey)
    case .flippedCommit:
      damagedKey = "_delta_log/00000000000000000002.json"
      try Self.flipByte(commit, at: 10)
    case .missingDataFile:
      damagedKey = String(dataKey)
      try FileManager.default.removeItem(atPath: remoteRoot + "/" + damagedKey)
    case .missingLargeFile:
      damagedKey = "_large_files/" + largeKey
      try FileManager.default.removeItem(atPath: remoteRoot + "/" + damagedKey)
    }

    // Restore refuses, naming the key; nothing is left beside the destination.
    let before = Self.names(directory)
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: station.remote)
    let restore = try lab.run(["restore", station.remote.url])
    #expect(restore.status == 1, "\(damage): \(restore.stderr)")
    #expect(restore.stderr.contains(damagedKey), "\(damage): \(restore.stderr)")
    #expect(Self.names(directory) == before, "restore left files behind")

    // Pull refuses at version 2, naming the key; the replica stays at version 1 and fsck-clean.
    let pull = try replica.run(["pull"])
    #expect(pull.status == 1, "\(damage): \(pull.stderr)")
    #expect(pull.stderr.contains(damagedKey), "\(damage): \(pull.stderr)")
    #expect(try replica.ok("log").split(separator: "\n").count == 2)
    #expect(try replica.ok("fsck").contains("no problems"))

    // verify --deep names it (a flipped commit also breaks the chain of the version after it).
    let verify = try station.run(["verify", "--deep"])
    #expect(verify.status == 2, "\(verify.stdout)\(verify.stderr)")
    #expect(verify.stdout.contains("problem: " + damagedKey), "\(verify.stdout)")
  }

  @Test("a gap in the remote's log: restore refuses naming the missing commit; verify reports it")
  func gapInTheLog() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-gap")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let remoteRoot = try #require(station.remote.directory)
    try FileManager.default.removeItem(atPath: remoteRoot + "/_delta_log/00000000000000000003.json")
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: station.remote)
    let restore = try lab.run(["restore", station.remote.url])
    #expect(restore.status == 1)
    #expect(restore.stderr.contains("00000000000000000003.json"), "\(restore.stderr)")
    #expect(!FileManager.default.fileExists(atPath: lab.root))
    let verify = try station.run(["verify"])
    #expect(verify.status == 2, "\(verify.stdout)")
    #expect(verify.stdout.contains("version 3 is missing"), "\(verify.stdout)")
    // verify forgot the head it had seen, so the next push lists the remote and fills the gap: the commit is
    // written again with the same bytes.
    try station.ok("push")
    #expect(try station.ok("verify", "--deep").contains("In sync: both at version 6"))
  }

  /// A second writer's pond with the station's history up to `version`, promoted.
  static func secondWriter(_ station: Machine, upTo version: Int, in directory: URL) throws
    -> Machine
  {
    let writer = Machine(
      root: directory.appendingPathComponent("writer-2").path, remote: station.remote)
    try writer.ok("restore", "--version", String(version), station.remote.url)
    try writer.ok("promote")
    return writer
  }

  @Test(
    "another history on the remote: pull and verify exit 3 naming the version; nothing is installed"
  )
  func divergedRemote() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-diverged")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: station.remote)
    try lab.ok("restore", station.remote.url)
    // A second writer rewrites version 6 on the remote and adds version 7 on top of it.
    let writer = try Self.secondWriter(station, upTo: 5, in: directory)
    let note = directory.appendingPathComponent("note").path
    _ = FileManager.default.createFile(atPath: note, contents: Data("n".utf8))
    try writer.ok("copy", note, "/rewritten-6")
    try writer.ok("copy", note, "/rewritten-7")
    let remoteRoot = try #require(station.remote.directory)
    try FileManager.default.removeItem(atPath: remoteRoot + "/_delta_log/00000000000000000006.json")
    try writer.ok("push")
    let log = try lab.ok("log")
    let pull = try lab.run(["pull"])
    #expect(pull.status == 3, "\(pull.stderr)")
    #expect(
      pull.stderr.contains("00000000000000000007.json does not follow this pond's version 6"),
      "\(pull.stderr)")
    #expect(try lab.ok("log") == log)
    #expect(try lab.ok("fsck").contains("no problems"))
    let verify = try station.run(["verify"])
    #expect(verify.status == 3, "\(verify.stdout)")
    #expect(verify.stdout.contains("Diverged at version 6"), "\(verify.stdout)")
  }

  @Test("a gap followed by another pond's commits is not filled: push exits 3 and writes nothing")
  func gapBeforeAnotherHistory() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-gap-foreign")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let remoteRoot = try #require(station.remote.directory)
    // The remote: the station's versions 0...2, no 3, and another writer's 4...6.
    let writer = try Self.secondWriter(station, upTo: 2, in: directory)
    let note = directory.appendingPathComponent("note").path
    _ = FileManager.default.createFile(atPath: note, contents: Data("n".utf8))
    for index in 3...6 { try writer.ok("copy", note, "/other-\(index)") }
    for version in 3...6 {
      let name = String(format: "_delta_log/%020d.json", version)
      try FileManager.default.removeItem(atPath: remoteRoot + "/" + name)
      if version > 3 {
        try FileManager.default.copyItem(
          atPath: writer.root + "/data/" + name, toPath: remoteRoot + "/" + name)
      }
    }
    for name in try FileManager.default.contentsOfDirectory(atPath: writer.root + "/data")
    where name.hasPrefix("part-")
      && !FileManager.default.fileExists(atPath: remoteRoot + "/" + name)
    {
      try FileManager.default.copyItem(
        atPath: writer.root + "/data/" + name, toPath: remoteRoot + "/" + name)
    }
    let before = try Self.names(URL(fileURLWithPath: remoteRoot + "/_delta_log"))
    let push = try station.run(["push"])
    #expect(push.status == 3, "\(push.stderr)")
    #expect(push.stderr.contains("diverged at version 4"), "\(push.stderr)")
    #expect(try Self.names(URL(fileURLWithPath: remoteRoot + "/_delta_log")) == before)
  }

  @Test("a local data file that does not match its commit is not pushed")
  func damagedLocalObject() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-local-damage")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let note = directory.appendingPathComponent("note").path
    _ = FileManager.default.createFile(atPath: note, contents: Data("n".utf8))
    try station.ok("copy", note, "/seven")
    let dataFile = try #require(
      try FileManager.default.contentsOfDirectory(atPath: station.root + "/data").first {
        $0.hasPrefix("part-00000000000000000007-")
      })
    try Self.flipByte(station.root + "/data/" + dataFile)
    let push = try station.run(["push"])
    #expect(push.status == 1)
    #expect(
      push.stderr.contains("data/\(dataFile)")
        && push.stderr.contains("does not match the sha256 its commit (version 7) records"),
      "\(push.stderr)")
    let remoteRoot = try #require(station.remote.directory)
    #expect(
      !FileManager.default.fileExists(atPath: remoteRoot + "/_delta_log/00000000000000000007.json"))
    #expect(!FileManager.default.fileExists(atPath: remoteRoot + "/" + dataFile))
  }

  @Test("a local large file that does not match its name is not pushed")
  func damagedLocalLargeFile() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-local-large-damage")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let big = directory.appendingPathComponent("new-big").path
    _ = FileManager.default.createFile(
      atPath: big, contents: Data((0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 13 >> 2) }))
    let before = Set(
      try FileManager.default.contentsOfDirectory(atPath: station.root + "/data/_large_files"))
    try station.ok("copy", big, "/new-big")
    let body = try #require(
      Set(try FileManager.default.contentsOfDirectory(atPath: station.root + "/data/_large_files"))
        .subtracting(before).first)
    try Self.flipByte(station.root + "/data/_large_files/" + body, at: 100)
    let push = try station.run(["push"])
    #expect(push.status == 1)
    #expect(
      push.stderr.contains("this pond's _large_files/\(body) does not match its commit"),
      "\(push.stderr)")
    let remoteRoot = try #require(station.remote.directory)
    #expect(
      !FileManager.default.fileExists(atPath: remoteRoot + "/_delta_log/00000000000000000007.json"))
    #expect(!FileManager.default.fileExists(atPath: remoteRoot + "/_large_files/" + body))
  }

  @Test("bad input: each refused with a clear error, nothing half-written")
  func badInput() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-bad-input")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let url = station.remote.url

    // Restore onto an existing pond, or a directory that holds other things.
    let onto = try station.run(["restore", url])
    #expect(onto.status == 1)
    #expect(onto.stderr.contains("a pond already exists"), "\(onto.stderr)")
    let busy = directory.appendingPathComponent("busy")
    try FileManager.default.createDirectory(at: busy, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
      atPath: busy.appendingPathComponent("x").path, contents: Data())
    let notEmpty = try station.run(["restore", "--pond", busy.path, url])
    #expect(notEmpty.stderr.contains("not an empty directory"), "\(notEmpty.stderr)")
    #expect(Self.names(busy) == ["x"])

    // A URL that is not a remote of a pond, a directory that does not exist, a version it does not have.
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: station.remote)
    let empty = directory.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let notARemote = try lab.run(["restore", "file://" + empty.path])
    #expect(notARemote.stderr.contains("holds no pond"), "\(notARemote.stderr)")
    let missing = try lab.run([
      "restore", "file://" + directory.appendingPathComponent("nope").path,
    ])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("does not exist"), "\(missing.stderr)")
    let noVersion = try lab.run(["restore", "--version", "99", url])
    #expect(noVersion.stderr.contains("has no version 99; its head is 6"), "\(noVersion.stderr)")
    #expect(!FileManager.default.fileExists(atPath: lab.root))
    #expect(
      try lab.run(["restore", "--version", "1", "--at", "2026-01-01T00:00:00Z", url]).status == 64)

    // A replica neither pushes nor takes writes; a writable pond does not pull; promote needs a replica.
    try lab.ok("restore", url)
    let push = try lab.run(["push"])
    #expect(push.status == 1)
    #expect(push.stderr.contains("read-only replica of \(url)"), "\(push.stderr)")
    for write in [["mkdir", "/x"], ["rm", "/log"], ["mv", "/log", "/log2"]] {
      let refused = try lab.run(write)
      #expect(refused.status == 1)
      #expect(refused.stderr.contains("'pond promote' makes it writable"), "\(refused.stderr)")
    }
    #expect(try station.run(["pull"]).stderr.contains("is not a replica"))
    #expect(try station.run(["promote"]).stderr.contains("is not a replica"))
    #expect(try station.run(["push", "nosuch"]).stderr.contains("no remote named 'nosuch'"))
    let taken = try station.run(["remote", "add", "lake", url])
    #expect(taken.stderr.contains("a remote named 'lake' already exists"), "\(taken.stderr)")
    #expect(try station.run(["remote", "add", "x", "ftp://h/p"]).status == 64)

    // Another pond's remote: refused as diverged at version 0, nothing written.
    let other = Machine(
      root: directory.appendingPathComponent("other").path, remote: station.remote)
    try other.ok("init")
    let foreign = try other.run(["push", url])
    #expect(foreign.status == 3)
    #expect(foreign.stderr.contains("holds another pond"), "\(foreign.stderr)")
    #expect(try station.ok("verify", "--deep").contains("In sync"))
  }

  @Test(
    "bad S3 input: wrong credentials and a missing bucket are clear errors; nothing is written",
    .enabled(if: LocalS3Server.shouldRun))
  func badS3Input() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-bad-s3")
    defer { try? FileManager.default.removeItem(at: directory) }
    var remote = try TestRemote.s3()
    let station = Machine(root: directory.appendingPathComponent("station").path, remote: remote)
    try station.ok("init")
    try station.run(["remote", "add", "lake", remote.url] + remote.options)
    try station.ok("push")
    remote.environment["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
    let wrong = Machine(root: station.root, remote: remote)
    let push = try wrong.run(["push"])
    #expect(push.status == 1)
    #expect(push.stderr.contains("SignatureDoesNotMatch"), "\(push.stderr)")
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: remote)
    let restore = try lab.run(["restore", remote.url, "--allow-http"])
    #expect(restore.stderr.contains("SignatureDoesNotMatch"), "\(restore.stderr)")
    #expect(!FileManager.default.fileExists(atPath: lab.root))
    let bucket = "s3://no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())/p"
    try station.run(["remote", "add", "nobucket", bucket] + remote.options)
    let noBucket = try station.run(["push", "nobucket"])
    #expect(noBucket.status == 1)
    #expect(noBucket.stderr.contains("NoSuchBucket"), "\(noBucket.stderr)")
  }

  @Test("a full disk during restore: a clear error naming ENOSPC, and no destination")
  func fullDiskDuringRestore() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-restore-full")
    defer { try? FileManager.default.removeItem(at: directory) }
    let station = try Self.pushedStation(in: directory)
    let random = directory.appendingPathComponent("random.bin")
    try Data((0..<400_000).map { _ in UInt8.random(in: 0...255) }).write(to: random)
    try station.ok("copy", random.path, "/random.bin")
    try station.ok("push")
    let done = try TestSupport.withTmpfs(size: "200k", in: directory) { mountPoint -> Bool in
      let lab = Machine(root: mountPoint + "/lab", remote: station.remote)
      let restore = try lab.run(["restore", station.remote.url])
      #expect(restore.status == 1)
      #expect(restore.stderr.contains("No space left on device"), "\(restore.stderr)")
      #expect(Self.names(URL(fileURLWithPath: mountPoint)) == [])
      return true
    }
    if done == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }
}
