import Foundation
import PondTestSupport
import Testing

@testable import ObjectStore

@Suite("file:// object store")
final class FileObjectStoreTests {
  let dir: URL
  let store: FileObjectStore

  init() throws {
    dir = try TestSupport.makeTemporaryDirectory("pond-file-store")
    store = try FileObjectStore(root: dir.appendingPathComponent("remote"), createIfMissing: true)
  }
  deinit {
    try? FileManager.default.removeItem(at: dir)
  }

  @Test func putGetHeadListDelete() async throws {
    try await StoreConformance.putGetHeadListDelete(store, prefix: "")
  }

  @Test func ranges() async throws {
    try await StoreConformance.ranges(store, prefix: "")
  }

  @Test func putIfAbsent() async throws {
    try await StoreConformance.putIfAbsent(store, prefix: "")
  }

  @Test func files() async throws {
    try await StoreConformance.files(store, prefix: "")
  }

  @Test func listing() async throws {
    try await StoreConformance.listing(store, prefix: "")
  }

  @Test func oddKeys() async throws {
    try await StoreConformance.oddKeysRoundTrip(store, prefix: "")
  }

  @Test func invalidKeys() async throws {
    try await StoreConformance.invalidKeys(store)
  }

  @Test func layoutIsPlainFilesAndNoTemporariesRemain() async throws {
    try await store.put("_delta_log/00000000000000000000.json", bytes: Array("{}".utf8))
    _ = try await store.putIfAbsent("_delta_log/00000000000000000000.json", bytes: [1])
    let onDisk = dir.appendingPathComponent("remote/_delta_log/00000000000000000000.json")
    #expect(try Data(contentsOf: onDisk) == Data("{}".utf8))
    let names = try FileManager.default.contentsOfDirectory(
      atPath: onDisk.deletingLastPathComponent().path)
    #expect(names == ["00000000000000000000.json"])
    // Temporary-file names are reserved.
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.put("x/.pond-tmp-123", bytes: [1])
    }
    #expect(error.kind == .invalidArgument)
    // Deleting the last object removes its now-empty directories.
    try await store.delete("_delta_log/00000000000000000000.json")
    #expect(!FileManager.default.fileExists(atPath: onDisk.deletingLastPathComponent().path))
  }
}
