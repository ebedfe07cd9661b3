import Foundation
import PondTestSupport

/// Runs the built `pond` executable as a subprocess, as a user would.
struct PondBinary {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The `pond` binary next to the test bundle, or `$POND_BIN` when set.
  static var url: URL {
    if let path = ProcessInfo.processInfo.environment["POND_BIN"] {
      return URL(fileURLWithPath: path)
    }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // The test runner may live inside a bundle directory (`X.xctest/...`); walk up to the build folder.
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("pond").path),
      dir.path != "/"
    {
      dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("pond")
  }

  /// Runs `pond` with `arguments` (and `stdin` or `standardInput`, if given) to completion.
  static func run(
    _ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil,
    standardInput: FileHandle? = nil, currentDirectory: URL? = nil
  ) throws -> Result {
    let result = try TestSupport.run(
      url, arguments, stdin: stdin, standardInput: standardInput, environment: environment,
      currentDirectory: currentDirectory)
    return Result(status: result.status, stdout: result.stdoutText, stderr: result.stderrText)
  }
}
