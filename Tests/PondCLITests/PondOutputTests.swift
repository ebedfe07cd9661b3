import Foundation
import PondTestSupport
import Testing

/// How a `pond` process run with its standard output elsewhere ended.
private struct Ending {
  var status: Int32
  var reason: Process.TerminationReason
  var stderr: String
}

/// Runs `pond ARGS` (POND set to `pond`) with standard output to `output`, waiting at most `timeout` seconds.
private func run(
  _ pond: CLIPond, _ arguments: [String], output: Any, timeout: TimeInterval = 60
) throws -> Ending {
  var environment = ProcessInfo.processInfo.environment
  environment["POND"] = pond.root
  let process = Process()
  process.executableURL = PondBinary.url
  process.arguments = arguments
  process.environment = environment
  process.standardOutput = output
  let errors = pond.directory.appendingPathComponent("stderr-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
  let errorHandle = try FileHandle(forWritingTo: errors)
  process.standardError = errorHandle
  try process.run()
  try errorHandle.close()
  let deadline = Date().addingTimeInterval(timeout)
  while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
  if process.isRunning {
    process.terminate()
    process.waitUntilExit()
    Issue.record("pond \(arguments) did not end within \(timeout) s")
  }
  return Ending(
    status: process.terminationStatus, reason: process.terminationReason,
    stderr: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
}

/// A pond with a few versions, a 3 MiB file `/big`, a small file `/small` and a link `/link`.
private func makePond() throws -> CLIPond {
  let pond = try CLIPond()
  try pond.ok("init")
  var state: UInt32 = 2_463_534_242
  let big = (0..<(3 << 20)).map { _ in
    state ^= state << 13
    state ^= state >> 17
    state ^= state << 5
    return UInt8(truncatingIfNeeded: state)
  }
  try pond.ok("copy", pond.hostFile("big", big), "/big")
  try pond.ok("copy", pond.hostFile("small", Array("small\n".utf8)), "/small")
  try pond.ok("ln", "-s", "/small", "/link")
  return pond
}

@Suite("pond standard output: full disk, closed pipe, stable JSON keys, text escapes")
struct PondOutputTests {
  static let fullDiskCommands: [[String]] = [
    ["cat", "/big"], ["cat", "/small"], ["list", "--json"], ["list"], ["log"], ["log", "--json"],
    ["show", "--json"], ["describe", "/big"], ["status", "--json"], ["fsck"],
  ]

  @Test("writing to a full disk fails with exit 1 and says so", arguments: fullDiskCommands)
  func fullDisk(arguments: [String]) throws {
    let full = try #require(
      FileHandle(forWritingAtPath: "/dev/full"), "/dev/full is needed to simulate a full disk")
    defer { try? full.close() }
    let pond = try makePond()
    defer { pond.cleanup() }
    let ending = try run(pond, arguments, output: full)
    #expect(ending.reason == .exit, "pond \(arguments) was killed: \(ending.stderr)")
    #expect(ending.status == 1, "pond \(arguments): \(ending.stderr)")
    #expect(
      ending.stderr.hasPrefix("pond \(arguments[0]): standard output: "),
      "pond \(arguments): \(ending.stderr)")
    #expect(ending.stderr.contains("the disk is full"), "pond \(arguments): \(ending.stderr)")
    #expect(!ending.stderr.contains("Fatal error"))
  }

  @Test(
    "init and copy on a full disk commit, warn that their line was lost, and exit 0 (1 means no change)"
  )
  func fullDiskAfterACommit() throws {
    let full = try #require(
      FileHandle(forWritingAtPath: "/dev/full"), "/dev/full is needed to simulate a full disk")
    defer { try? full.close() }
    let pond = try CLIPond()
    defer { pond.cleanup() }
    let created = try run(pond, ["init"], output: full)
    #expect(created.status == 0, "\(created.stderr)")
    #expect(created.stderr.hasPrefix("pond init: warning: standard output: "), "\(created.stderr)")
    #expect(created.stderr.contains("the pond was created"), "\(created.stderr)")
    let copied = try run(pond, ["copy", pond.hostFile("f", [1, 2]), "/f"], output: full)
    #expect(copied.status == 0, "\(copied.stderr)")
    #expect(copied.stderr.contains("the disk is full"), "\(copied.stderr)")
    #expect(copied.stderr.contains("the copy was committed as version 1"), "\(copied.stderr)")
    #expect(try pond.ok("list") == "/f\n")
  }

  @Test("a closed standard output (>&-) is an error, and no pond file receives the output")
  func closedOutput() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let shell = try #require(TestSupport.which("sh"), "sh is needed to close a descriptor")
    for arguments in [["log"], ["cat", "/small"], ["mkdir", "/made-with-stdout-closed"]] {
      var environment = ProcessInfo.processInfo.environment
      environment["POND"] = pond.root
      let result = try TestSupport.run(
        shell, ["-c", "exec \"$0\" \"$@\" >&-", PondBinary.url.path] + arguments,
        environment: environment)
      if arguments[0] == "mkdir" {
        // Nothing to print: the command succeeds, and the pond is intact.
        #expect(result.status == 0, "\(result.stderrText)")
      } else {
        #expect(result.status == 1, "pond \(arguments): \(result.stderrText)")
        #expect(result.stderrText.contains("standard output is closed"), "\(result.stderrText)")
      }
    }
    #expect(try pond.ok("list") == "/big\n/link\n/made-with-stdout-closed\n/small\n")
    #expect(try pond.run("fsck").status == 0)
  }

  @Test(
    "piping into 'head -c1' ends promptly, quietly, without a crash",
    arguments: [["cat", "/big"], ["list", "/**"], ["list", "--json", "/**"], ["log", "--json"]])
  func brokenPipe(arguments: [String]) throws {
    let head = try #require(TestSupport.which("head"), "head(1) is needed")
    let pond = try makePond()
    defer { pond.cleanup() }
    // Far more output than the pipe holds (64 KiB) for the listings too: 3000 names of 90 bytes in 2 versions.
    if arguments[0] != "cat" {
      let long = String(repeating: "x", count: 80)
      for batch in 0..<2 {
        let made = try pond.runArguments(["mkdir"] + (0..<1500).map { "/d\(batch)-\($0)-\(long)" })
        #expect(made.status == 0, "\(made.stderr)")
      }
      #expect(try pond.ok("status").contains("3001 directories"))
    }
    let pipe = Pipe()
    let reader = Process()
    reader.executableURL = head
    reader.arguments = ["-c1"]
    reader.standardInput = pipe
    reader.standardOutput = FileHandle.nullDevice
    try reader.run()
    let start = Date()
    let ending = try run(pond, arguments, output: pipe, timeout: 30)
    try pipe.fileHandleForReading.close()
    reader.waitUntilExit()
    #expect(Date().timeIntervalSince(start) < 30)
    #expect(reader.terminationStatus == 0)
    #expect(ending.reason == .exit, "pond \(arguments) was killed by signal \(ending.status)")
    #expect(ending.status == 1, "pond \(arguments): \(ending.stderr)")
    #expect(ending.stderr.isEmpty, "pond \(arguments): \(ending.stderr)")
  }

  @Test("every --json object has all its keys, with null where there is no value")
  func jsonKeysAreStable() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let list = try #require(try pond.json("list", "--json", "/") as? [[String: Any]])
    #expect(list.count == 3)
    for entry in list {
      #expect(
        Set(entry.keys) == ["path", "type", "size", "version", "nodeID", "symlinkTarget"])
    }
    let file = try #require(list.first { $0["path"] as? String == "/small" })
    #expect(file["symlinkTarget"] is NSNull)
    let link = try #require(list.first { $0["path"] as? String == "/link" })
    #expect(link["symlinkTarget"] as? String == "/small")

    let described = try #require(
      try pond.json("describe", "--json", "/small", "/link") as? [[String: Any]])
    #expect(described.count == 2)
    for report in described {
      #expect(Set(report.keys) == ["path", "nodeID", "type", "symlinkTarget", "versions"])
      for version in report["versions"] as? [[String: Any]] ?? [] {
        #expect(
          Set(version.keys) == [
            "version", "txn", "time", "size", "sha256", "storage", "parentID", "table",
          ])
      }
    }
    #expect(described[0]["symlinkTarget"] is NSNull)
    #expect(described[1]["symlinkTarget"] as? String == "/small")

    let rowKeys: Set<String> = [
      "part_id", "node_id", "version", "txn", "timestamp", "entry_type", "content", "size",
      "sha256", "blob", "table_rows", "table_schema", "time_column", "time_min", "time_max",
    ]
    // Version 1 wrote the large file (content null, blob set); version 2 a small one (the reverse).
    let large = try #require(try pond.json("show", "--json", "--at", "1") as? [[String: Any]])
    let small = try #require(try pond.json("show", "--json", "--at", "2") as? [[String: Any]])
    for row in large + small { #expect(Set(row.keys) == rowKeys) }
    let blobRow = try #require(large.first { $0["entry_type"] as? String == "file" })
    #expect(blobRow["content"] is NSNull)
    #expect((blobRow["blob"] as? String)?.hasPrefix("_large_files/") == true)
    let inlineRow = try #require(small.first { $0["entry_type"] as? String == "file" })
    #expect(inlineRow["blob"] is NSNull)
    #expect(inlineRow["content"] as? String == Data("small\n".utf8).base64EncodedString())

    let log = try #require(try pond.json("log", "--json") as? [[String: Any]])
    #expect(log.count == 4)
    for entry in log { #expect(Set(entry.keys) == ["version", "time", "command", "changed"]) }

    let status = try #require(try pond.json("status", "--json") as? [String: Any])
    #expect(
      Set(status.keys) == [
        "pond", "pondID", "birthplace", "formatVersion", "version", "headVersion", "time",
        "directories", "files", "series", "tables", "symlinks", "bytes", "index", "agent",
      ])
    #expect((status["agent"] as? [Any])?.isEmpty == true, "no agent ever ran on this pond")
    let fsck = try #require(try pond.json("fsck", "--json") as? [String: Any])
    #expect(
      Set(fsck.keys) == [
        "versions", "dataFiles", "rows", "largeFiles", "problems", "notes", "removed",
      ]
    )
  }

  @Test("the recorded command line is shell-quoted, and the shell reads it back as the same words")
  func recordedCommandLineIsQuoted() throws {
    let bash = try #require(TestSupport.which("bash"), "bash is needed to parse the recorded line")
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let names = [
      "/plain-name_1.csv", "/semi;colon", "/pipe|amp&", "/less<more>", "/paren(s)", "/dollar$HOME",
      "/back\\slash", "/back`tick`", "/it's", "/\"quoted\"", "/new\nline", "/tab\there", "/a b",
      "/star*", "/~tilde", "/#hash", "/bang!", "/brace{x,y}", "/été",
    ]
    let made = try pond.runArguments(["mkdir"] + names)
    #expect(made.status == 0, "\(made.stderr)")
    let log = try #require(try pond.json("log", "--json") as? [[String: Any]])
    let command = try #require(log.last?["command"] as? String)
    #expect(!command.contains("\n") && !command.contains("\t"), "\(command)")
    #expect(command.hasPrefix("pond mkdir /plain-name_1.csv '/semi;colon' "))
    // bash parses the line back into the same words.
    let script = "set -- \(command.dropFirst("pond ".count)); printf '%s\\0' \"$@\""
    let parsed = try TestSupport.run(bash, ["-c", script])
    #expect(parsed.status == 0, "\(parsed.stderrText)")
    let words = parsed.stdoutText.split(separator: "\0", omittingEmptySubsequences: false)
      .dropLast().map(String.init)
    #expect(words == ["mkdir"] + names)
  }

  @Test("pond log text escapes tabs and newlines in names and commands; --json keeps them")
  func logTextEscapes() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("mkdir", "/tab\there", "/new\nline")
    let lines = try pond.ok("log").split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 3)  // two versions and the final newline
    let fields = lines[1].split(separator: "\t", omittingEmptySubsequences: false)
    #expect(fields.count == 4, "\(lines[1])")
    #expect(
      fields.last == #"/tab\there/ /new\nline/"# || fields.last == #"/new\nline/ /tab\there/"#)
    #expect(fields[2] == #"pond mkdir $'/tab\there' $'/new\nline'"#)
    let log = try #require(try pond.json("log", "--json") as? [[String: Any]])
    #expect(Set(log[1]["changed"] as? [String] ?? []) == ["/tab\there/", "/new\nline/"])
  }

  @Test("rm / says the root can never be removed, with or without -r")
  func removingTheRoot() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("mkdir", "/d")
    for arguments in [["rm", "/"], ["rm", "-r", "/"], ["rm", "/d/.."]] {
      let result = try pond.runArguments(arguments)
      #expect(result.status == 1)
      #expect(result.stderr.contains("root directory"), "pond \(arguments): \(result.stderr)")
      #expect(!result.stderr.contains("use 'pond rm -r'"), "pond \(arguments): \(result.stderr)")
    }
    #expect(try pond.ok("list") == "/d\n")
  }

  @Test("copy --out rejects --wait; copy says when it committed nothing")
  func copyMessages() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let out = try TestSupport.makeTemporaryDirectory("pond-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let wait = try pond.run("copy", "--out", "--wait", "/", out.path)
    #expect(wait.status == 64)
    #expect(wait.stderr.contains("--wait only applies"))
    let empty = pond.directory.appendingPathComponent("empty").path
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    #expect(try pond.ok("copy", empty, "/empty").contains("as version 1"))
    let again = try pond.ok("copy", empty, "/")
    #expect(again.hasPrefix("Nothing to copy"), "\(again)")
    #expect(again.contains("stays at version 1"))
    #expect(try pond.ok("log").split(separator: "\n").count == 2)
  }
}
