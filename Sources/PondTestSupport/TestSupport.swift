public import Foundation

/// Helpers shared by the test targets: where the repository is, the interoperability Python, temporary
/// directories and subprocesses. Never linked into `pond`.
public enum TestSupport {
  /// The repository root (the directory holding Package.swift).
  public static let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
  }()

  /// True when running under CI (`CI=true`): checks that would otherwise be skipped must fail instead.
  public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// Whether tests that need the interop venv should run: when it exists, and always under CI, where a
  /// missing venv must fail the run instead of skipping. Use as `.enabled(if: TestSupport.interopEnabled, ...)`.
  public static var interopEnabled: Bool { python != nil || isCI }

  /// The Python of `.venv` that `make deps` prepares (or `$POND_TEST_PYTHON`), if it exists.
  public static var python: URL? {
    if let path = ProcessInfo.processInfo.environment["POND_TEST_PYTHON"] {
      return URL(fileURLWithPath: path)
    }
    let url = repositoryRoot.appendingPathComponent(".venv/bin/python")
    return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
  }

  /// A new empty directory under the system temporary directory; the caller removes it.
  public static func makeTemporaryDirectory(_ label: String = "pond-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The result of a finished subprocess.
  public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
  }

  /// Runs `executable` with `arguments` to completion, feeding `stdin` and collecting both outputs.
  ///
  /// - Parameter standardInput: a descriptor to give the process as its standard input instead of
  ///   `stdin` (a file opened at an offset, one end of a pipe the caller writes).
  public static func run(
    _ executable: URL, _ arguments: [String], stdin: Data? = nil,
    standardInput: FileHandle? = nil, environment: [String: String]? = nil,
    currentDirectory: URL? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = standardInput ?? (stdin == nil ? FileHandle.nullDevice : input)
    try process.run()
    let group = DispatchGroup()
    let box = DataBox()
    group.enter()
    DispatchQueue.global().async {
      box.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    if let stdin {
      group.enter()
      DispatchQueue.global().async {
        try? input.fileHandleForWriting.write(contentsOf: stdin)
        try? input.fileHandleForWriting.close()
        group.leave()
      }
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: outData, stderr: box.data)
  }

  /// Runs a Python script with the interoperability venv. Throws `Unavailable` when there is no venv
  /// (tests turn that into a failure under CI).
  public static func runPython(_ script: String, _ arguments: [String] = [], stdin: Data? = nil)
    throws
    -> ProcessResult
  {
    guard let python else { throw Unavailable(what: ".venv/bin/python (run `make deps`)") }
    return try run(python, ["-c", script] + arguments, stdin: stdin)
  }

  /// The end of a Python script that defines `main()` (and imports `os` and `sys`): runs it, prints a
  /// traceback on failure, flushes, and leaves with `os._exit`: pyarrow's and deltalake's threads can abort
  /// the interpreter's normal shutdown ("terminate called without an active exception") after the work is
  /// done, which would turn a correct run into a failure.
  public static let pythonMainTrailer = """

    try:
        main()
        rc = 0
    except BaseException as e:
        import traceback; traceback.print_exc()
        rc = 1
    sys.stdout.flush(); sys.stderr.flush()
    os._exit(rc)

    """

  /// A required external tool or environment is missing.
  public struct Unavailable: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "not available: \(what)" }
  }

  /// Finds an executable on PATH.
  public static func which(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
  }
}

/// Holds data written by one thread and read by another after a `DispatchGroup.wait()`.
private final class DataBox: @unchecked Sendable {
  // Safe: written once before group.leave(), read only after group.wait().
  var data = Data()

}

extension TestSupport {
  /// Starts `process` (a test server of ours that prints its port on its first line of output once it
  /// listens) and returns that port, or nil after terminating it when it printed none.
  public static func startPrintingPort(_ process: Process) throws -> Int? {
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    var line = Data()
    while true {
      let byte = out.fileHandleForReading.readData(ofLength: 1)
      if byte.isEmpty || byte == Data("\n".utf8) { break }
      line.append(byte)
    }
    guard let port = Int(String(decoding: line, as: UTF8.self)) else {
      process.terminate()
      return nil
    }
    return port
  }
}
