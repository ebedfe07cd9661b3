import Foundation
import PondTestSupport
import Testing

/// A pond in a temporary directory driven through the built `pond` binary.
struct CLIPond {
  let directory: URL
  var root: String { directory.appendingPathComponent("pond").path }

  init() throws {
    directory = try TestSupport.makeTemporaryDirectory("pond-cli")
  }

  /// Runs `pond ARGS` with POND set to this pond.
  @discardableResult
  func run(_ arguments: String...) throws -> PondBinary.Result {
    try runArguments(arguments)
  }

  func runArguments(_ arguments: [String], pondVariable: Bool = true) throws -> PondBinary.Result {
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pondVariable ? root : nil
    return try PondBinary.run(arguments, environment: environment)
  }

  /// Runs and requires exit 0, returning stdout.
  @discardableResult
  func ok(_ arguments: String...) throws -> String {
    let result = try runArguments(arguments)
    #expect(result.status == 0, "pond \(arguments) failed: \(result.stderr)")
    return result.stdout
  }

  func hostFile(_ name: String, _ bytes: [UInt8]) -> String {
    let path = directory.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  func json(_ arguments: String...) throws -> Any {
    let result = try runArguments(arguments)
    #expect(result.status == 0, "pond \(arguments) failed: \(result.stderr)")
    return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
  }

  func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

@Suite("pond commands")
struct PondCommandTests {
  @Test("init, mkdir, copy, list, cat, rm, mv, ln -s, log and fsck work together")
  func everydaySession() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    #expect(try pond.ok("init", "--birthplace", "lab-7").contains("Created pond"))
    try pond.ok("mkdir", "-p", "/raw/2026")
    let csv = pond.hostFile("a.csv", Array("t,v\n1,2\n".utf8))
    let big = pond.hostFile(
      "big.bin", (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) })
    try pond.ok("copy", csv, big, "/raw/2026")
    #expect(try pond.ok("list", "/raw/2026") == "/raw/2026/a.csv\n/raw/2026/big.bin\n")
    #expect(try pond.ok("list", "/**/*.csv") == "/raw/2026/a.csv\n")
    let none = try pond.run("list", "/**/*.nothing")
    #expect(none.status == 1)
    #expect(
      none.stderr.contains("/**/*.nothing: no pond path matches the pattern"), "\(none.stderr)")
    #expect(try pond.ok("list", "-l", "/raw/2026/a.csv").contains("file"))
    #expect(try pond.ok("cat", "/raw/2026/a.csv") == "t,v\n1,2\n")
    try pond.ok("ln", "-s", "/raw/2026/a.csv", "/latest")
    #expect(try pond.ok("cat", "/latest") == "t,v\n1,2\n")
    try pond.ok("mv", "/raw/2026/big.bin", "/raw")
    #expect(try pond.ok("list", "/raw") == "/raw/2026\n/raw/big.bin\n")
    try pond.ok("rm", "/raw/2026/a.csv")
    #expect(try pond.ok("cat", "--at", "3", "/raw/2026/a.csv") == "t,v\n1,2\n")
    let log = try pond.ok("log")
    let lines = log.split(separator: "\n")
    try #require(lines.count == 6)
    #expect(lines[0].hasPrefix("0\t"))
    #expect(lines[1].contains("pond mkdir -p /raw/2026"))
    #expect(lines[2].contains("/raw/2026/big.bin"))
    #expect(lines[5].contains("pond rm /raw/2026/a.csv"))
    #expect(lines[5].hasSuffix("\t-/raw/2026/a.csv"))
    #expect(lines[4].contains("-/raw/2026/big.bin"))
    #expect(lines[4].contains("\t/raw/big.bin") || lines[4].contains(" /raw/big.bin"))
    // Copy out, from the latest version and from an older one.
    let out = pond.directory.appendingPathComponent("out").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try pond.ok("copy", "--out", "/raw/big.bin", out)
    #expect(
      FileManager.default.contents(atPath: out + "/big.bin")
        == FileManager.default.contents(atPath: big))
    try pond.ok("copy", "--out", "--at", "2", "/raw/2026/*.csv", out)
    #expect(FileManager.default.contents(atPath: out + "/a.csv") == Data("t,v\n1,2\n".utf8))
    let fsck = try pond.run("fsck")
    #expect(fsck.status == 0)
    #expect(fsck.stdout.contains("no problems"))
  }

  @Test(
    "names beginning with a combining mark: mv into a directory and list patterns work by bytes")
  func combiningMarks() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("mkdir", "-p", "/e/e", "/h")
    let name = "\u{301}x"
    try pond.ok("copy", pond.hostFile("f", [1]), "/e/" + name)
    try pond.ok("mv", "/e/" + name, "/h/")
    #expect(try pond.ok("list", "/h") == "/h/" + name + "\n")
    #expect(try pond.run("list", "/e/e").stdout == "")
    try pond.ok("copy", pond.hostFile("g", [2]), "/h/x\u{301}")
    #expect(try pond.ok("list", "/h/?\u{301}") == "/h/x\u{301}\n")
  }

  @Test("--json on list, log, describe, show and status")
  func jsonOutputs() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let file = pond.hostFile("x", Array("xyz".utf8))
    try pond.ok("copy", file, "/x")
    try pond.ok("copy", file, "/x")
    let list = try #require(try pond.json("list", "--json", "/") as? [[String: Any]])
    #expect(list.count == 1)
    #expect(list[0]["path"] as? String == "/x")
    #expect(list[0]["version"] as? Int == 2)
    let log = try #require(try pond.json("log", "--json") as? [[String: Any]])
    #expect(log.count == 3)
    #expect((log[1]["command"] as? String)?.hasPrefix("pond copy") == true)
    let describe = try #require(try pond.json("describe", "--json", "/x") as? [[String: Any]])
    let versions = try #require(describe[0]["versions"] as? [[String: Any]])
    #expect(versions.count == 2)
    #expect(
      versions[0]["sha256"] as? String
        == "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282")
    let show = try #require(try pond.json("show", "--json", "--at", "1") as? [[String: Any]])
    #expect(show.count == 2)
    #expect(Set(show.compactMap { $0["entry_type"] as? String }) == ["directory", "file"])
    let status = try #require(try pond.json("status", "--json") as? [String: Any])
    #expect(status["headVersion"] as? Int == 2)
    #expect(status["files"] as? Int == 1)
    let old = try #require(try pond.json("status", "--json", "--at", "0") as? [String: Any])
    #expect(old["files"] as? Int == 0)
    #expect(try pond.ok("describe", "/x").contains("sha256 3608bca1"))
    #expect(try pond.ok("show").contains("file"))
    #expect(try pond.ok("status").contains("version 2 of 2"))
  }

  @Test("series: copy --series appends and cat concatenates")
  func series() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("copy", "--series", pond.hostFile("1", Array("a\n".utf8)), "/log")
    try pond.ok("copy", "--series", pond.hostFile("2", Array("b\n".utf8)), "/log")
    #expect(try pond.ok("cat", "/log") == "a\nb\n")
    #expect(try pond.ok("cat", "--at", "1", "/log") == "a\n")
    let show = try #require(try pond.json("show", "--json") as? [[String: Any]])
    let row = try #require(show.first { $0["entry_type"] as? String == "series" })
    #expect(row["content"] as? String == Data("b\n".utf8).base64EncodedString())
    #expect(row["size"] as? Int == 4)
  }

  @Test("errors name the path, say what to do, exit 1, and write nothing")
  func errors() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    let notYet = try pond.run("list")
    #expect(notYet.status == 1)
    #expect(notYet.stderr.contains("pond init"))
    try pond.ok("init")
    let again = try pond.run("init")
    #expect(again.status == 1)
    #expect(again.stderr.contains("already exists"))
    let head = try pond.ok("log").split(separator: "\n").count
    let cases: [([String], String)] = [
      (["mkdir", "/a/b"], "/a"),
      (["copy", pond.directory.path + "/missing.txt", "/x"], "missing.txt"),
      (["cat", "/nope"], "/nope"),
      (["rm", "/nope"], "/nope"),
      (["mv", "/nope", "/b"], "/nope"),
      (["cat", "--at", "99", "/"], "99"),
      (["list", "--at", "last tuesday"], "ISO 8601"),
      (["describe", "/nope"], "/nope"),
      (["show", "--at", "5"], "version 5"),
    ]
    for (arguments, mention) in cases {
      let result = try pond.runArguments(arguments)
      #expect(result.status == 1, "pond \(arguments)")
      #expect(result.stderr.contains(mention), "pond \(arguments): \(result.stderr)")
    }
    try pond.ok("mkdir", "/d")
    try pond.ok("copy", pond.hostFile("f", [1]), "/d/f")
    let notEmpty = try pond.run("rm", "/d")
    #expect(notEmpty.status == 1)
    #expect(notEmpty.stderr.contains("rm -r"))
    try pond.ok("rm", "-r", "/d")
    // A multi-file copy with one bad source writes nothing.
    let good = pond.hostFile("good", [1])
    let partial = try pond.run("copy", good, pond.directory.path + "/absent", "/")
    #expect(partial.status == 1)
    #expect(try pond.ok("list", "/") == "")
    #expect(try pond.ok("log").split(separator: "\n").count == head + 3)
    // Usage errors exit 64.
    #expect(try pond.run("ln", "/a", "/b").status == 64)
    #expect(try pond.run("copy", "/only-one").status == 64)
    #expect(try pond.runArguments(["list"], pondVariable: false).status == 64)
    #expect(try pond.run("frobnicate").status == 64)
  }

  @Test("a second writer fails with the holder's PID, or waits with --wait")
  func lock() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let flock = try #require(TestSupport.which("flock"), "flock(1) is needed to hold the lock")
    let holder = Process()
    holder.executableURL = flock
    holder.arguments = [pond.root + "/local/lock", "sleep", "2"]
    try holder.run()
    defer { if holder.isRunning { holder.terminate() } }
    Thread.sleep(forTimeInterval: 0.4)
    let busy = try pond.run("mkdir", "/a")
    #expect(busy.status == 1)
    #expect(busy.stderr.contains("being changed"))
    #expect(busy.stderr.contains("--wait"))
    // Readers do not block.
    #expect(try pond.run("list").status == 0)
    let waited = try pond.run("mkdir", "--wait", "/a")
    #expect(waited.status == 0)
    #expect(try pond.ok("list") == "/a\n")
  }

  @Test("fsck exits 2 and names the problem")
  func fsckProblems() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("copy", pond.hostFile("f", Array(repeating: 65, count: 100)), "/f")
    let data = pond.root + "/data"
    let part = try #require(
      try FileManager.default.contentsOfDirectory(atPath: data).sorted().last {
        $0.hasPrefix("part-")
      })
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: data + "/" + part)))
    bytes[bytes.count / 2] ^= 1
    try Data(bytes).write(to: URL(fileURLWithPath: data + "/" + part))
    let result = try pond.run("fsck")
    #expect(result.status == 2)
    #expect(result.stdout.contains("problem: data/\(part)"))
  }
}
