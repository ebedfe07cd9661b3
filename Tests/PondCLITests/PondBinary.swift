import Foundation

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

  static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting so a large output cannot deadlock the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
