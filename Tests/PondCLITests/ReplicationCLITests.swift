import Foundation
import PondTestSupport
import Testing

/// A remote for a test: a `file://` directory, or a fresh prefix in the local S3 server's bucket.
struct TestRemote: CustomStringConvertible {
  var url: String
  /// Added to every `pond` run's environment (the S3 server's credentials, region and endpoint).
  var environment: [String: String] = [:]
  /// The S3 flags `remote add` and `restore` need (`--allow-http` for the local server).
  var options: [String] = []
  /// For deltalake: the table URI and its storage options.
  var deltaOptions: [String: String] = [:]
  /// The `file://` directory, when it is one.
  var directory: String?

  var description: String { url }

  static func file(in directory: URL) throws -> TestRemote {
    let path = directory.appendingPathComponent("remote").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return TestRemote(url: "file://" + path, directory: path)
  }

  static func s3(rgw: Bool = false) throws -> TestRemote {
    let server: LocalS3Server
    if rgw {
      guard let found = LocalS3Server.rgw else {
        throw LocalS3Server.MissingServer(
          description: "POND_TEST_RGW_* are not set: run the tests through scripts/ceph/with-rgw.sh"
        )
      }
      server = found
    } else {
      server = try LocalS3Server.require()
    }
    let prefix = "replication-" + UUID().uuidString.lowercased().prefix(12)
    return TestRemote(
      url: "s3://\(server.bucket)/\(prefix)",
      environment: [
        "AWS_ACCESS_KEY_ID": server.accessKey, "AWS_SECRET_ACCESS_KEY": server.secretKey,
        "AWS_REGION": server.region, "AWS_ENDPOINT_URL": server.endpoint,
      ],
      options: ["--allow-http"],
      deltaOptions: [
        "AWS_ACCESS_KEY_ID": server.accessKey, "AWS_SECRET_ACCESS_KEY": server.secretKey,
        "AWS_REGION": server.region, "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
      ])
  }

  /// The remotes of a test: always `file://`; the local S3 server (moto) and Ceph's RADOS Gateway when they
  /// run (always under CI).
  static var kinds: [String] {
    ["file"] + (LocalS3Server.shouldRun ? ["s3"] : []) + (LocalS3Server.rgwShouldRun ? ["rgw"] : [])
  }

  static func make(_ kind: String, in directory: URL) throws -> TestRemote {
    switch kind {
    case "s3": try s3()
    case "rgw": try s3(rgw: true)
    default: try file(in: directory)
    }
  }
}

/// One machine's pond in a replication test: `pond` runs with `--pond` set to it and the remote's
/// environment.
struct Machine {
  let root: String
  let remote: TestRemote

  @discardableResult
  func run(_ arguments: [String]) throws -> PondBinary.Result {
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = root
    environment.merge(remote.environment) { _, new in new }
    return try PondBinary.run(arguments, environment: environment)
  }

  /// A new pond `name` in `directory` (`pond init` with `initArguments`) with `remote` added as `lake`.
  static func writer(
    _ name: String, in directory: URL, remote: TestRemote, initArguments: [String] = []
  ) throws -> Machine {
    let machine = Machine(root: directory.appendingPathComponent(name).path, remote: remote)
    try machine.okArguments(["init"] + initArguments)
    try machine.okArguments(["remote", "add", "lake", remote.url] + remote.options)
    return machine
  }

  /// Runs and requires exit 0; returns stdout.
  @discardableResult
  func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws
    -> String
  {
    try okArguments(arguments, sourceLocation: sourceLocation)
  }

  @discardableResult
  func okArguments(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws
    -> String
  {
    let result = try run(arguments)
    #expect(
      result.status == 0, "pond \(arguments.joined(separator: " ")) failed: \(result.stderr)",
      sourceLocation: sourceLocation)
    return result.stdout
  }
}

@Suite("replication: push, restore, pull, verify, promote")
struct ReplicationCLITests {
  /// The station's history: files small and large, directories, a series, a link, a move and a removal.
  static func commitHistory(_ station: Machine, in directory: URL, round: Int) throws {
    func hostFile(_ name: String, _ bytes: [UInt8]) -> String {
      let folder = directory.appendingPathComponent("host-\(round)")
      try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let path = folder.appendingPathComponent(name).path
      _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
      return path
    }
    let big = (0..<180_000).map { UInt8(truncatingIfNeeded: ($0 &+ round) &* 7919 >> 3) }
    try station.ok("mkdir", "-p", "/sensors/r\(round)")
    try station.ok(
      "copy", hostFile("a.csv", Array("t,v\n\(round),2\n".utf8)), hostFile("big.bin", big),
      "/sensors/r\(round)")
    try station.ok("copy", "--series", hostFile("s", Array("reading \(round)\n".utf8)), "/log")
    try station.ok("ln", "-s", "/sensors/r\(round)/a.csv", "/latest-\(round)")
    try station.ok("mv", "/sensors/r\(round)/big.bin", "/big-\(round).bin")
    try station.ok("rm", "/latest-\(round)")
  }

  /// For every version: `list -l --at v '/**'`, `show --at v --json` and `cat --at v` of every file read the
  /// same on both machines; `log` is identical, and the two `data/` trees are byte-identical.
  static func expectSameEverywhere(_ station: Machine, _ lab: Machine) throws {
    let head = try #require(
      Int(try station.ok("log").split(separator: "\n").last!.split(separator: "\t").first!))
    #expect(try station.ok("log") == (try lab.ok("log")))
    for version in 0...head {
      let at = String(version)
      let listing = try station.ok("list", "-l", "--at", at, "/**")
      #expect(listing == (try lab.ok("list", "-l", "--at", at, "/**")), "version \(version)")
      #expect(
        try station.ok("show", "--at", at, "--json") == (try lab.ok("show", "--at", at, "--json")))
      for path in try station.ok("list", "--at", at, "/**").split(separator: "\n") {
        let result = try station.run(["cat", "--at", at, String(path)])
        guard result.status == 0 else { continue }  // a directory
        #expect(
          result.stdout == (try lab.ok("cat", "--at", at, String(path))), "\(path) at \(version)")
      }
    }
    #expect(try treeFiles(station.root + "/data") == (try treeFiles(lab.root + "/data")))
  }

  /// Every file below `root` by relative path, with its bytes.
  static func treeFiles(_ root: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let path = enumerator?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let full = root + "/" + path
      if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files[path] = try Data(contentsOf: URL(fileURLWithPath: full))
      }
    }
    return files
  }

  @Test(
    "time travel across machines: push, restore, more commits, pull; every version reads the same",
    arguments: TestRemote.kinds)
  func timeTravelAcrossMachines(kind: String) throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-replication")
    defer { try? FileManager.default.removeItem(at: directory) }
    let remote = try TestRemote.make(kind, in: directory)
    let station = try Machine.writer(
      "station", in: directory, remote: remote, initArguments: ["--birthplace", "station"])
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: remote)
    try Self.commitHistory(station, in: directory, round: 1)
    #expect(try station.ok("push").contains("Pushed versions 0...6"))
    #expect(try station.ok("push").contains("Nothing to push"))
    try lab.okArguments(["restore", remote.url] + remote.options)
    try Self.expectSameEverywhere(station, lab)
    // Restored as it was at version 3, by number and by the time version 3 was committed.
    let lines = try station.ok("log").split(separator: "\n")
    let time = String(lines[3].split(separator: "\t")[1])
    for (name, flag, value) in [("by-version", "--version", "3"), ("by-time", "--at", time)] {
      let past = Machine(root: directory.appendingPathComponent(name).path, remote: remote)
      try past.okArguments(["restore", flag, value, remote.url] + remote.options)
      #expect(try past.ok("log").split(separator: "\n") == Array(lines[0...3]), "\(flag) \(value)")
      #expect(try past.ok("fsck").contains("no problems"))
    }
    #expect(try lab.run(["mkdir", "/x"]).stderr.contains("read-only replica of \(remote.url)"))

    try Self.commitHistory(station, in: directory, round: 2)
    #expect(try lab.ok("pull").contains("Up to date: version 6"))
    let pushed = try station.ok("push", "--json")
    #expect(pushed.contains("\"versionsPushed\" : 6"), "\(pushed)")
    #expect(try lab.ok("pull").contains("Installed versions 7...12"))
    try Self.expectSameEverywhere(station, lab)
    #expect(try station.ok("verify").contains("In sync: both at version 12"))
    #expect(try station.ok("verify", "--deep").contains("In sync"))
    #expect(try lab.ok("fsck").contains("no problems"))

    if TestSupport.interopEnabled {
      try Self.expectDeltalakeReads(remote, like: station)
    }
  }

  /// deltalake reads the remote at every version, and its rows equal `pond show --at v --json`.
  static func expectDeltalakeReads(_ remote: TestRemote, like station: Machine) throws {
    let script = #"""
      import json, os, sys
      import pyarrow as pa
      from deltalake import DeltaTable
      uri, options = sys.argv[1], json.loads(sys.argv[2])
      latest = DeltaTable(uri, storage_options=options).version()
      out = {}
      for version in range(latest + 1):
          table = DeltaTable(uri, version=version, storage_options=options).to_pyarrow_table()
          out[str(version)] = sorted("%s|%s|%s" % (r["node_id"], r["txn"], r["sha256"]) for r in table.to_pylist())
      print(json.dumps(out))
      sys.stdout.flush()
      os._exit(0)
      """#
    let uri = remote.directory ?? remote.url
    let options = String(
      decoding: try JSONSerialization.data(withJSONObject: remote.deltaOptions), as: UTF8.self)
    let result = try TestSupport.runPython(script, [uri, options])
    try #require(result.status == 0, "deltalake failed: \(result.stderrText)")
    let versions = try #require(
      try JSONSerialization.jsonObject(with: result.stdout) as? [String: [String]])
    var cumulative: [String] = []
    for version in 0..<versions.count {
      let shown = try #require(
        try JSONSerialization.jsonObject(
          with: Data(try station.ok("show", "--at", String(version), "--json").utf8))
          as? [[String: Any]])
      cumulative += shown.map { "\($0["node_id"]!)|\($0["txn"]!)|\($0["sha256"]!)" }
      #expect(versions[String(version)] == cumulative.sorted(), "version \(version)")
    }
  }

  @Test(
    "fencing: two writers with one history push different versions; exactly one wins each round",
    arguments: TestRemote.kinds)
  func fencing(kind: String) throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-fencing")
    defer { try? FileManager.default.removeItem(at: directory) }
    let remote = try TestRemote.make(kind, in: directory)
    let first = try Machine.writer("first", in: directory, remote: remote)
    let second = Machine(root: directory.appendingPathComponent("second").path, remote: remote)
    try first.ok("push")
    try second.okArguments(["restore", remote.url] + remote.options)
    try second.ok("promote")
    let note = directory.appendingPathComponent("note").path
    _ = FileManager.default.createFile(atPath: note, contents: Data("n".utf8))
    for round in 1...6 {
      // Both commit a different version on the same head, then push at the same time.
      try first.ok("copy", note, "/first-\(round)")
      try second.ok("copy", note, "/second-\(round)")
      let results = try [first, second].concurrentMap { try $0.run(["push"]) }
      let winners = results.filter { $0.status == 0 }
      let losers = results.filter { $0.status == 3 }
      #expect(winners.count == 1 && losers.count == 1, "round \(round): \(results.map(\.stderr))")
      let version = round
      for loser in losers {
        #expect(loser.stderr.contains("diverged at version \(version)"), "\(loser.stderr)")
      }
      // The loser adopts the winner's history: a fresh restore and promote, then both carry on.
      let loser = results[0].status == 0 ? second : first
      let winner = results[0].status == 0 ? first : second
      try FileManager.default.removeItem(atPath: loser.root)
      try loser.okArguments(["restore", remote.url] + remote.options)
      try loser.ok("promote")
      #expect(try loser.ok("log") == (try winner.ok("log")))
      // The remote holds one history: the winner's, checked end to end.
      #expect(try winner.ok("verify", "--deep").contains("In sync"))
    }
    #expect(try first.ok("verify").contains("In sync"))
    #expect(try first.ok("verify", "--deep").contains("In sync"))
  }
}

extension ReplicationCLITests {
  @Test("pull --follow installs new versions as they are pushed, and SIGTERM ends it with exit 0")
  func follow() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-follow")
    defer { try? FileManager.default.removeItem(at: directory) }
    let remote = try TestRemote.file(in: directory)
    let station = try Machine.writer("station", in: directory, remote: remote)
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: remote)
    try station.ok("push")
    try lab.ok("restore", remote.url)
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = lab.root
    let process = Process()
    process.executableURL = PondBinary.url
    process.arguments = ["pull", "--follow", "--interval", "100ms"]
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    for round in 1...3 {
      try Self.commitHistory(station, in: directory, round: round)
      try station.ok("push")
      let expected = try station.ok("log")
      let deadline = Date().addingTimeInterval(20)
      while try lab.ok("log") != expected, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
      #expect(try lab.ok("log") == expected, "round \(round)")
    }
    let stopped = Date()
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(Date().timeIntervalSince(stopped) < 5)
    let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(printed.contains("Installed versions 1..."), "\(printed)")
    #expect(try lab.ok("fsck").contains("no problems"))
  }
}

extension ReplicationCLITests {
  @Test(
    "a series whose appends are large files (each body holds its append, the row the series' size)")
  func largeSeriesAppends() throws {
    let directory = try TestSupport.makeTemporaryDirectory("pond-series")
    defer { try? FileManager.default.removeItem(at: directory) }
    let remote = try TestRemote.file(in: directory)
    let station = try Machine.writer("station", in: directory, remote: remote)
    let lab = Machine(root: directory.appendingPathComponent("lab").path, remote: remote)
    for round in 1...3 {
      let chunk = directory.appendingPathComponent("chunk-\(round)").path
      let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ round) >> 3) }
      _ = FileManager.default.createFile(atPath: chunk, contents: Data(bytes))
      try station.ok("copy", "--series", chunk, "/series.bin")
      if round == 2 {
        try station.ok("push")
        try lab.ok("restore", remote.url)
      }
    }
    try station.ok("push")
    try lab.ok("pull")
    #expect(try station.ok("verify", "--deep").contains("In sync: both at version 3"))
    #expect(try lab.ok("cat", "/series.bin") == (try station.ok("cat", "/series.bin")))
    #expect(try lab.ok("fsck").contains("no problems"))
    try Self.expectSameEverywhere(station, lab)
  }
}

extension Array where Element: Sendable {
  /// `map` with every element's transform running at the same time (one thread each).
  func concurrentMap<Result>(_ transform: @Sendable (Element) throws -> Result) throws -> [Result] {
    let results = UnsafeMutableBufferPointer<Swift.Result<Result, any Error>?>.allocate(
      capacity: count)
    defer { results.deallocate() }
    results.initialize(repeating: nil)
    nonisolated(unsafe) let slots = results
    DispatchQueue.concurrentPerform(iterations: count) { index in
      slots[index] = Swift.Result { try transform(self[index]) }
    }
    return try results.map { try $0!.get() }
  }
}
