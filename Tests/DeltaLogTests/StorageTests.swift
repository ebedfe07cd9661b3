import Foundation
import PondFiles
import PondTestSupport
import Testing

@testable import DeltaLog

/// The `Storage` the log is written through: the local directory store.
@Suite("Storage on a directory")
struct StorageTests {
  let directory: URL
  let storage: DirectoryStore

  init() throws {
    directory = try TestSupport.makeTemporaryDirectory("delta-storage")
    storage = DirectoryStore(root: directory.path)
  }

  @Test func putIfAbsentWritesOnceAndNeverOverwrites() throws {
    let key = "_delta_log/00000000000000000000.json"
    #expect(
      try storage.putIfAbsent(key, bytes: Array("first\n".utf8), modificationTime: nil) == .created)
    #expect(
      try storage.putIfAbsent(key, bytes: Array("second\n".utf8), modificationTime: nil)
        == .alreadyExists)
    #expect(try storage.read(key) == Array("first\n".utf8))
    // No temporary files are left behind, by the winner or by the loser.
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/_delta_log")
    #expect(names == ["00000000000000000000.json"])
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func putIfAbsentSetsTheModificationTime() throws {
    let key = "_delta_log/00000000000000000001.json"
    let time: Int64 = 1_767_225_780_123
    #expect(try storage.putIfAbsent(key, bytes: [1, 2, 3], modificationTime: time) == .created)
    let entry = try #require(try storage.status(key))
    #expect(entry == DirectoryObject(key: key, size: 3, modificationTime: time))
    let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/" + key)
    let date = try #require(attributes[.modificationDate] as? Date)
    #expect(Int64((date.timeIntervalSince1970 * 1000).rounded()) == time)
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func listReturnsOnlyDirectChildrenWithThePrefix() throws {
    try storage.put("_delta_log/a.json", bytes: [1])
    try storage.put("_delta_log/ab.json", bytes: [1, 2])
    try storage.put("_delta_log/sub/a.json", bytes: [1])
    try storage.put("b.parquet", bytes: [1, 2, 3])
    func list(_ prefix: String) throws -> [DirectoryObject] {
      try storage.list(prefix: prefix, startAfter: nil, limit: 1000, recursive: false).entries
    }
    let log = try list("_delta_log/").map(\.key).sorted()
    #expect(log == ["_delta_log/a.json", "_delta_log/ab.json"])
    #expect(try list("_delta_log/ab").map(\.key) == ["_delta_log/ab.json"])
    #expect(try list("b").map(\.size) == [3])
    #expect(try list("missing/").isEmpty)
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func putReplacesAtomicallyAndCreatesDirectories() throws {
    try storage.put("data/2026/x.parquet", bytes: [1, 2])
    try storage.put("data/2026/x.parquet", bytes: [3])
    #expect(try storage.read("data/2026/x.parquet") == [3])
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/data/2026")
    #expect(names == ["x.parquet"])
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func missingObjects() throws {
    #expect(try storage.status("nope") == nil)
    do {
      _ = try storage.read("nope")
      Issue.record("expected notFound")
    } catch {
      #expect(error.errno == .noSuchFileOrDirectory && error.path.hasSuffix("/nope"))
    }
    try? FileManager.default.removeItem(at: directory)
  }

  @Test(arguments: ["", "/abs", "a//b", "../x", "a/./b", "a/", ".pond-tmp-x"])
  func invalidKeysAreRejected(_ key: String) throws {
    do {
      try storage.put(key, bytes: [1])
      Issue.record("expected invalidKey for '\(key)'")
    } catch {
      #expect(error.errno == .invalidArgument)
    }
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func ioErrorsNameTheKey() throws {
    // A regular file where the log directory should be.
    try storage.put("_delta_log", bytes: [0])
    do {
      _ = try storage.putIfAbsent("_delta_log/x.json", bytes: [1], modificationTime: nil)
      Issue.record("expected an I/O error")
    } catch {
      #expect(error.errno == .notDirectory || error.errno == .fileExists, "\(error)")
      #expect(error.path.contains("_delta_log"))
      #expect(error.description.contains("errno"))
    }
    try? FileManager.default.removeItem(at: directory)
  }
}
