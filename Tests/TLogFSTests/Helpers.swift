import Foundation
import PondTestSupport

@testable import TLogFS

/// A fresh pond in a temporary directory, and helpers around it.
struct TestPond {
  let directory: URL
  var root: String { directory.appendingPathComponent("pond").path }

  init() throws {
    directory = try TestSupport.makeTemporaryDirectory("tlogfs")
    try PondStore.create(
      root: directory.appendingPathComponent("pond").path, birthplace: "test",
      commandLine: "test init")
  }

  /// The pond already made in `directory` (at `directory/pond`).
  init(existing directory: URL) { self.directory = directory }

  func writer() throws -> PondStore { try PondStore(root: root, mode: .write(wait: false)) }
  func reader() throws -> PondStore { try PondStore(root: root, mode: .read) }

  /// Writes `bytes` to a new host file in the test directory and returns its path.
  func hostFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = directory.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  func readAll(_ store: PondStore, _ path: String, at version: Int64? = nil) throws -> [UInt8] {
    var result: [UInt8] = []
    try store.streamFile(path, try store.fileSystem(at: version)) { result += $0 }
    return result
  }

  /// Flips one byte of the file at `path` (at `offset`, or the middle).
  static func flipByte(_ path: String, at offset: Int? = nil) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let position = offset ?? bytes.count / 2
    bytes[position] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  func largeFiles() throws -> [String] {
    let directory = root + "/data/_large_files"
    return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
      $0.hasPrefix("sha256=")
    }
  }

  func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

/// Deterministic pseudo-random bytes (xorshift), so large files compress poorly and differ by seed.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var state = seed | 1
  var result = [UInt8](repeating: 0, count: count)
  for index in 0..<count {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    result[index] = UInt8(truncatingIfNeeded: state)
  }
  return result
}
