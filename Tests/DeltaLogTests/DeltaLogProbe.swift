import Foundation
import PondTestSupport

/// Runs the built `DeltaLogProbe` executable: pond's own Delta log code in a separate process.
enum DeltaLogProbe {
  /// The probe next to the test bundle, or `$DELTALOG_PROBE_BIN` when set.
  static var url: URL {
    if let path = ProcessInfo.processInfo.environment["DELTALOG_PROBE_BIN"] {
      return URL(fileURLWithPath: path)
    }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // The test runner may live inside a bundle directory (`X.xctest/...`); walk up to the build folder.
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("DeltaLogProbe").path),
      dir.path != "/"
    {
      dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("DeltaLogProbe")
  }

  /// Runs the probe to completion.
  static func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
    try TestSupport.run(url, arguments)
  }

  /// A started child process whose output is collected when it ends.
  final class Child {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private let group = DispatchGroup()
    private let output = Output()

    /// Collected output; written by the reader threads before `group` is left, read only after.
    private final class Output: @unchecked Sendable {
      var stdout = Data()
      var stderr = Data()
    }

    init(_ executable: URL, _ arguments: [String]) throws {
      process.executableURL = executable
      process.arguments = arguments
      process.standardOutput = out
      process.standardError = err
      process.standardInput = FileHandle.nullDevice
      try process.run()
      let output = output
      let outHandle = out.fileHandleForReading
      let errHandle = err.fileHandleForReading
      group.enter()
      DispatchQueue.global().async { [group] in
        output.stdout = outHandle.readDataToEndOfFile()
        group.leave()
      }
      group.enter()
      DispatchQueue.global().async { [group] in
        output.stderr = errHandle.readDataToEndOfFile()
        group.leave()
      }
    }

    convenience init(probe arguments: [String]) throws {
      try self.init(DeltaLogProbe.url, arguments)
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the end; returns the status (or signal), stdout and stderr.
    func finish() -> (status: Int32, signaled: Bool, stdout: String, stderr: String) {
      process.waitUntilExit()
      group.wait()
      return (
        process.terminationStatus, process.terminationReason == .uncaughtSignal,
        String(decoding: output.stdout, as: UTF8.self),
        String(decoding: output.stderr, as: UTF8.self)
      )
    }
  }
}
