import Foundation
import PondTestSupport
import Testing

@testable import DeltaLog

@Suite("LocalStorage")
struct LocalStorageTests {
  let directory: URL
  let storage: LocalStorage

  init() throws {
    directory = try TestSupport.makeTemporaryDirectory("delta-storage")
    storage = LocalStorage(root: directory.path)
  }

  @Test func writeIfAbsentWritesOnceAndNeverOverwrites() throws {
    let key = "_delta_log/00000000000000000000.json"
    #expect(
      try storage.writeIfAbsent(key, Array("first\n".utf8), modificationTime: nil) == .written)
    #expect(
      try storage.writeIfAbsent(key, Array("second\n".utf8), modificationTime: nil)
        == .alreadyExists)
    #expect(try storage.read(key) == Array("first\n".utf8))
    // No temporary files are left behind, by the winner or by the loser.
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/_delta_log")
    #expect(names == ["00000000000000000000.json"])
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func writeIfAbsentSetsTheModificationTime() throws {
    let key = "_delta_log/00000000000000000001.json"
    let time: Int64 = 1_767_225_780_123
    #expect(try storage.writeIfAbsent(key, [1, 2, 3], modificationTime: time) == .written)
    let entry = try #require(try storage.stat(key))
    #expect(entry == StorageEntry(key: key, size: 3, modificationTime: time))
    let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/" + key)
    let date = try #require(attributes[.modificationDate] as? Date)
    #expect(Int64((date.timeIntervalSince1970 * 1000).rounded()) == time)
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func listReturnsOnlyDirectChildrenWithThePrefix() throws {
    try storage.put("_delta_log/a.json", [1])
    try storage.put("_delta_log/ab.json", [1, 2])
    try storage.put("_delta_log/sub/a.json", [1])
    try storage.put("b.parquet", [1, 2, 3])
    let log = try storage.list(prefix: "_delta_log/").map(\.key).sorted()
    #expect(log == ["_delta_log/a.json", "_delta_log/ab.json"])
    #expect(try storage.list(prefix: "_delta_log/ab").map(\.key) == ["_delta_log/ab.json"])
    #expect(try storage.list(prefix: "b").map(\.size) == [3])
    #expect(try storage.list(prefix: "missing/").isEmpty)
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func putReplacesAtomicallyAndCreatesDirectories() throws {
    try storage.put("data/2026/x.parquet", [1, 2])
    try storage.put("data/2026/x.parquet", [3])
    #expect(try storage.read("data/2026/x.parquet") == [3])
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/data/2026")
    #expect(names == ["x.parquet"])
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func rangedReads() throws {
    try storage.put("x", Array(0..<100))
    #expect(try storage.read("x", offset: 10, length: 5) == [10, 11, 12, 13, 14])
    #expect(try storage.read("x", offset: 98, length: 5) == [98, 99])
    #expect(try storage.read("x", offset: 200, length: 5) == [])
    do {
      _ = try storage.read("y", offset: 0, length: 1)
      Issue.record("expected notFound")
    } catch {
      #expect(error.code == .notFound)
    }
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func missingObjects() throws {
    #expect(try storage.stat("nope") == nil)
    do {
      _ = try storage.read("nope")
      Issue.record("expected notFound")
    } catch {
      #expect(error.code == .notFound && error.key == "nope")
    }
    try? FileManager.default.removeItem(at: directory)
  }

  @Test(arguments: ["", "/abs", "a//b", "../x", "a/./b", "a/"])
  func invalidKeysAreRejected(_ key: String) throws {
    do {
      try storage.put(key, [1])
      Issue.record("expected invalidKey for '\(key)'")
    } catch {
      #expect(error.code == .invalidKey)
    }
    try? FileManager.default.removeItem(at: directory)
  }

  @Test func ioErrorsNameTheKey() throws {
    // A regular file where the log directory should be.
    try storage.put("_delta_log", [0])
    do {
      _ = try storage.writeIfAbsent("_delta_log/x.json", [1], modificationTime: nil)
      Issue.record("expected an I/O error")
    } catch {
      #expect(error.code == .io && error.key == "_delta_log/x.json")
      #expect(error.message.contains("errno"))
    }
    try? FileManager.default.removeItem(at: directory)
  }
}
