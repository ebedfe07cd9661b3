public import Foundation

/// A temporary directory for one test, removed when the last reference goes.
///
/// Not `Sendable`: one test uses it.
public final class ScratchDirectory {
  public let url: URL
  /// `url`'s path.
  public var root: String { url.path }

  public init(_ label: String = "pond-test") throws {
    url = try TestSupport.makeTemporaryDirectory(label)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// The path of `name` inside the directory.
  public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  /// Writes `bytes` to `name` inside the directory and returns its path.
  public func write(_ bytes: [UInt8], to name: String) throws -> String {
    let path = path(name)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  public func read(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
