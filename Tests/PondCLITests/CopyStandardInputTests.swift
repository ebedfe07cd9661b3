import Foundation
import PondTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `pond copy -` and sources read to their end rather than by their size (`/dev/stdin`, `/proc`).
@Suite("pond copy from standard input")
struct CopyStandardInputTests {
  /// Deterministic bytes of every value, `count` of them.
  static func bytes(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 1_664_525 &+ 1_013_904_223
      return UInt8(truncatingIfNeeded: state >> 24)
    }
  }

  /// `pond ARGS` on `pond` with `input` piped to its standard input.
  static func run(_ pond: CLIPond, _ arguments: [String], input: [UInt8]) throws
    -> PondBinary.Result
  {
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    return try PondBinary.run(arguments, environment: environment, stdin: Data(input))
  }

  /// The raw bytes `pond cat PATH` prints.
  static func cat(_ pond: CLIPond, _ path: String) throws -> [UInt8] {
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    let result = try TestSupport.run(PondBinary.url, ["cat", path], environment: environment)
    #expect(result.status == 0, "pond cat \(path): \(result.stderrText)")
    return [UInt8](result.stdout)
  }

  static func versions(_ pond: CLIPond) throws -> Int {
    try pond.ok("log").split(separator: "\n").count
  }

  @Test(
    "a file from standard input holds exactly the bytes piped, small or large",
    arguments: [0, 1, 5_000, 65_535, 65_536, 1_500_000])
  func fileFromStandardInput(size: Int) throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let input = Self.bytes(size, seed: UInt32(size))
    let result = try Self.run(pond, ["copy", "-", "/piped.bin"], input: input)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.contains("Copied 1 file(s), \(size) bytes, as version 1"), "\(result.stdout)")
    #expect(try Self.cat(pond, "/piped.bin") == input)
    // The large ones went through the large-file store, and fsck re-hashes them.
    #expect(try pond.run("fsck").status == 0)
  }

  /// The memory of one `pond copy -` of 256 MiB, measured by `wait4` (Foundation's `Process` reaps its
  /// children itself, so Python runs it).
  @Test(
    "256 MiB through standard input in bounded memory",
    .enabled(if: TestSupport.interopEnabled, "needs .venv/bin/python (make deps)"))
  func largeInputInBoundedMemory() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let script = """
      import os, subprocess, sys
      env = dict(os.environ, POND=sys.argv[2])
      p = subprocess.Popen([sys.argv[1], "copy", "-", "/big"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, env=env)
      chunk = bytes(range(256)) * 4096
      for i in range(256):
          p.stdin.write(chunk[i:] + chunk[:i])
      p.stdin.close()
      out = p.stdout.read()
      _, status, usage = os.wait4(p.pid, 0)
      print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, out.decode().strip())
      """
    let result = try TestSupport.runPython(script, [PondBinary.url.path, pond.root])
    #expect(result.status == 0, "\(result.stderrText)")
    let fields = result.stdoutText.split(separator: " ", maxSplits: 2)
    try #require(fields.count == 3, "\(result.stdoutText)")
    #expect(fields[0] == "0", "\(result.stdoutText)")
    let maxResidentKiB = try #require(Int(fields[1]))
    #expect(maxResidentKiB < 96 << 10, "pond copy - of 256 MiB used \(maxResidentKiB) KiB")
    #expect(fields[2].contains("268435456 bytes"), "\(result.stdoutText)")
    #expect(try pond.ok("list", "-l", "/big").contains("268435456"))
  }

  @Test("--series - appends standard input each time; cat returns the concatenation")
  func seriesFromStandardInput() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    var expected: [UInt8] = []
    for (index, size) in [120, 70_000, 1, 1_200_000, 3_000].enumerated() {
      let input = Self.bytes(size, seed: UInt32(index + 7))
      let result = try Self.run(pond, ["copy", "--series", "-", "/log"], input: input)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout.contains("\(size) bytes, as version \(index + 1)"), "\(result.stdout)")
      expected += input
    }
    #expect(try Self.cat(pond, "/log") == expected)
    #expect(try pond.ok("list", "-l", "/log").contains("series"))
  }

  @Test("/dev/stdin as a named source is read to its end, as - is")
  func devStdin() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let input = Self.bytes(300_000, seed: 3)
    let result = try Self.run(pond, ["copy", "/dev/stdin", "/from-dev"], input: input)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("300000 bytes"), "\(result.stdout)")
    #expect(try Self.cat(pond, "/from-dev") == input)
  }

  @Test("a /proc file, whose stat size is 0, is copied with its real content")
  func procFiles() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let version = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/proc/version")))
    try #require(!version.isEmpty)
    try #require(
      try FileManager.default.attributesOfItem(atPath: "/proc/version")[.size] as? Int == 0)
    #expect(
      try pond.ok("copy", "/proc/version", "/version").contains("\(version.count) bytes"))
    #expect(try Self.cat(pond, "/version") == version)
    // /proc/cpuinfo's MHz lines may change between two reads: its size is what the pond reports.
    let output = try pond.ok("copy", "/proc/cpuinfo", "/cpuinfo")
    let copied = try Self.cat(pond, "/cpuinfo")
    #expect(copied.count > 0)
    #expect(output.contains("Copied 1 file(s), \(copied.count) bytes"), "\(output)")
    #expect(String(decoding: copied, as: UTF8.self).contains("processor"))
  }

  @Test("the forms that cannot work are refused, naming what to do, and nothing is committed")
  func refusedForms() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("mkdir", "/dir")
    let host = pond.hostFile("a.txt", Array("a\n".utf8))
    let cases: [(arguments: [String], message: String)] = [
      (["copy", "-", "/dir"], "/dir: is a directory: standard input has no name to copy into it"),
      (["copy", "-", "/new/"], "/new/: ends with '/': standard input has no name"),
      (["copy", "-", "/"], "standard input has no name to copy into it; name the pond file"),
      (["copy", "-", host, "/dir"], "-: standard input cannot be copied with other sources"),
      (["copy", "-", "-", "/f"], "-: standard input can be read only once"),
      (["copy", "--series", host, "-", "/dir"], "copy standard input by itself"),
    ]
    for (arguments, message) in cases {
      let result = try Self.run(pond, arguments, input: Array("data\n".utf8))
      #expect(result.status == 1, "\(arguments)")
      #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
    }
    #expect(try Self.versions(pond) == 2)
  }

  @Test("copy --help says that - reads standard input")
  func help() throws {
    let help = try PondBinary.run(["copy", "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("A source - reads standard input to its end"), "\(help.stdout)")
    #expect(help.stdout.contains("(- for standard input)"), "\(help.stdout)")
  }

  @Test("a socket named as a source, and a FIFO inside a copied directory, are refused naming them")
  func unreadableSources() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let tree = pond.directory.appendingPathComponent("tree")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    let fifo = tree.appendingPathComponent("pipe").path
    try #require(mkfifo(fifo, 0o644) == 0)
    let inTree = try pond.run("copy", tree.path, "/tree")
    #expect(inTree.status == 1)
    #expect(
      inTree.stderr.contains("\(fifo): is a FIFO or a device inside a copied directory"),
      "\(inTree.stderr)")

    let socketPath = pond.directory.appendingPathComponent("s.sock").path
    let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    try #require(listener >= 0)
    defer { close(listener) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      let path = Array(socketPath.utf8)
      raw.copyBytes(from: path.prefix(raw.count - 1))
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    try #require(bound == 0)
    let named = try pond.run("copy", socketPath, "/s")
    #expect(named.status == 1)
    #expect(named.stderr.contains("\(socketPath): is a socket"), "\(named.stderr)")
    #expect(try Self.versions(pond) == 1)
  }

  @Test("standard input that is a directory is refused")
  func directoryAsStandardInput() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let directory = try #require(FileHandle(forReadingAtPath: pond.directory.path))
    defer { try? directory.close() }
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    let result = try PondBinary.run(
      ["copy", "-", "/f"], environment: environment, standardInput: directory)
    #expect(result.status == 1)
    #expect(result.stderr.contains("standard input: is a directory"), "\(result.stderr)")
    #expect(try Self.versions(pond) == 1)
  }

  /// Standard input that fails after 2 MiB: this process's own memory through `/proc/self/mem`, at a
  /// mapping of 2 MiB followed by an unmapped hole (reading there is EIO), handed to `pond`.
  @Test("a read error after 2 MiB of standard input commits nothing and says so")
  func readErrorCommitsNothing() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let length = 3 << 20
    let mapping = try #require(
      mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    try #require(mapping != MAP_FAILED)
    memset(mapping, 0x61, length)
    try #require(munmap(mapping + (2 << 20), 1 << 20) == 0)
    defer { munmap(mapping, 2 << 20) }
    let memory = open("/proc/self/mem", O_RDONLY)
    try #require(memory >= 0, "cannot open /proc/self/mem: errno \(errno)")
    let handle = FileHandle(fileDescriptor: memory, closeOnDealloc: true)
    try #require(lseek(memory, off_t(Int(bitPattern: mapping)), SEEK_SET) >= 0)

    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    for arguments in [["copy", "-", "/f"], ["copy", "--series", "-", "/s"]] {
      try #require(lseek(memory, off_t(Int(bitPattern: mapping)), SEEK_SET) >= 0)
      let result = try PondBinary.run(arguments, environment: environment, standardInput: handle)
      #expect(result.status == 1, "\(arguments)")
      #expect(
        result.stderr.contains("standard input: cannot read"), "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains("nothing was copied"), "\(result.stderr)")
    }
    #expect(try Self.versions(pond) == 1)
    // The body being written was removed with the failure.
    let check = try pond.run("fsck")
    #expect(check.status == 0)
    #expect(!check.stdout.contains("unfinished"), "\(check.stdout)")
    // The same bytes up to the hole, ended normally, are committed.
    let whole = [UInt8](repeating: 0x61, count: 2 << 20)
    #expect(try Self.run(pond, ["copy", "-", "/f"], input: whole).status == 0)
    #expect(try Self.cat(pond, "/f") == whole)
  }

  @Test("pond killed while reading standard input commits nothing")
  func killedWhileReading() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let process = Process()
    process.executableURL = PondBinary.url
    process.arguments = ["copy", "--series", "-", "/log"]
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    process.environment = environment
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Each write returns once pond has taken all but a pipe's buffer of it: pond is mid-way.
    let chunk = Data(Self.bytes(1 << 20))
    for _ in 0..<3 { try input.fileHandleForWriting.write(contentsOf: chunk) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    try? input.fileHandleForWriting.close()
    #expect(process.terminationReason == .uncaughtSignal)
    #expect(try Self.versions(pond) == 1)
    #expect(try pond.run("cat", "/log").status == 1)
    #expect(try pond.run("fsck").status == 0)
  }
}
