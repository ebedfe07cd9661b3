import Foundation
import PondFiles
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

  @Test func putIfAbsent() async throws {
    try await StoreConformance.putIfAbsent(store, prefix: "")
  }

  @Test func files() async throws {
    try await StoreConformance.files(store, prefix: "")
  }

  @Test func listing() async throws {
    try await StoreConformance.listing(store, prefix: "")
  }

  @Test func pagedListingOf2500Objects() async throws {
    try await StoreConformance.pagedListing(store, prefix: "")
  }

  @Test func downloadsArePublishedDurably() async throws {
    try await StoreConformance.durableDownload(store, prefix: "")
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

  @Test func putIfAbsentCanStampTheModificationTime() async throws {
    let time: Int64 = 1_600_000_000_500
    let key = "_delta_log/00000000000000000003.json"
    #expect(try await store.putIfAbsent(key, bytes: [1], modificationTime: time) == .created)
    #expect(try await store.putIfAbsent(key, bytes: [2], modificationTime: time) == .alreadyExists)
    let onDisk = try #require(try LocalFiles.status(store.root.path + "/" + key))
    #expect(onDisk.modificationTime == time)
    #expect(try await store.head(key)?.lastModified == Date(timeIntervalSince1970: 1_600_000_000))
  }

  @Test func openingNeverCreatesTheRootUnlessAsked() throws {
    let missing = dir.appendingPathComponent("usb-not-mounted/lake")
    let error = try #require(throws: ObjectStoreError.self) {
      try FileObjectStore(root: missing)
    }
    #expect(error.kind == .notFound)
    #expect(
      error.message
        == "directory \(missing.path) does not exist (is the disk mounted? create it first)")
    #expect(!FileManager.default.fileExists(atPath: missing.deletingLastPathComponent().path))
    let created = try FileObjectStore(root: missing, createIfMissing: true)
    var isDirectory: ObjCBool = false
    #expect(FileManager.default.fileExists(atPath: missing.path, isDirectory: &isDirectory))
    #expect(isDirectory.boolValue)
    #expect(created.url == "file://" + missing.path)
  }

  @Test func aFileIsNotADirectory() throws {
    let file = dir.appendingPathComponent("plain")
    try Data("x".utf8).write(to: file)
    let error = try #require(throws: ObjectStoreError.self) { try FileObjectStore(root: file) }
    #expect(error.message.contains("is not a directory"))
    let below = try #require(throws: ObjectStoreError.self) {
      try FileObjectStore(root: file.appendingPathComponent("sub"))
    }
    #expect(below.message.contains("Not a directory"))
  }

  @Test func listingAPrefixThatWasNeverWrittenIsEmpty() async throws {
    #expect(try await store.list(prefix: "nothing/here/").isEmpty)
  }

  @Test func directoryThatCannotBeOpenedFailsTheListing() async throws {
    // A symbolic link to itself: opening it fails with ELOOP even for root. Object stores never create
    // links; this stands for any directory that cannot be read (permissions, I/O errors).
    try await store.put("ok/a", bytes: [1])
    let loop = dir.appendingPathComponent("remote/loop")
    #expect(symlink(loop.path, loop.path) == 0)
    let error = try await #require(throws: ObjectStoreError.self) {
      try await store.list(prefix: "loop/")
    }
    #expect(error.kind == .localIO)
    #expect(error.operation == "list")
    #expect(error.message.contains("cannot read directory \(loop.path)"), "\(error)")
    #expect(error.description.contains(store.url))
    // A prefix whose directory does not exist is simply empty.
    #expect(try await store.list(prefix: "missing/").isEmpty)
  }

  @Test(
    .enabled(if: getuid() != 0, "root reads any directory: an unreadable one cannot be made"))
  func unreadableDirectoryFailsTheListingInsteadOfShorteningIt() async throws {
    try await store.put("open/a", bytes: [1])
    try await store.put("locked/b", bytes: [2])
    let locked = dir.appendingPathComponent("remote/locked")
    #expect(chmod(locked.path, 0) == 0)
    defer { chmod(locked.path, 0o755) }
    let error = try await #require(throws: ObjectStoreError.self) { try await store.list() }
    #expect(error.kind == .localIO)
    #expect(error.message.contains("cannot read directory \(locked.path)"), "\(error)")
  }
}
