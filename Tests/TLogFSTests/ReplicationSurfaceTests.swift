import DeltaLog
import Foundation
import PondCrypto
import PondFiles
import PondTestSupport
import Testing
import TinyFS

@testable import TLogFS

/// The public surface replication builds on: the objects of a version, rows from a data file's bytes, the
/// writer lock, and adopting a `data/` installed from elsewhere.
@Suite("TLogFS replication surface")
struct ReplicationSurfaceTests {
  /// A pond with a small file, a large file (twice, under two names) and a series append.
  static func populated() throws -> TestPond {
    let pond = try TestPond()
    let big = try pond.hostFile("big", (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    let store = try pond.writer()
    try store.change(commandLine: "one") { fs in
      try fs.writeFile("/small", contents: Array("hello".utf8))
    }
    _ = try store.copyIn(hostSources: [big], to: "/big", series: false, commandLine: "two")
    _ = try store.copyIn(hostSources: [big], to: "/again", series: false, commandLine: "three")
    return pond
  }

  @Test("the objects of a version: its commit, its data file, the large files its rows name")
  func objectsOfAVersion() throws {
    let pond = try Self.populated()
    defer { pond.cleanup() }
    let store = try pond.reader()
    #expect(store.head == 3)
    let data = pond.root + "/data/"
    for version in Int64(0)...3 {
      let objects = try store.objects(ofVersion: version)
      #expect(objects.commitKey == PondLayout.commitKey(version: version))
      let file = try #require(objects.dataFile)
      let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: data + file.key)))
      #expect(Int64(bytes.count) == file.size)
      #expect(SHA256Digest(hashing: bytes) == file.sha256)
      // The rows, read from the data file's bytes alone, name the same large files.
      let rows = try Oplog.rows(ofDataFile: bytes, key: file.key)
      #expect(rows.allSatisfy { $0.transaction == version })
      #expect(Set(rows.compactMap(\.blob)).sorted() == objects.largeFiles.map(\.key))
      for key in objects.largeFiles.map(\.key) {
        let sha = try #require(PondLayout.sha256(ofLargeFileKey: key))
        #expect(FileManager.default.fileExists(atPath: data + key), "\(key) of version \(version)")
        #expect(PondLayout.largeFileKey(sha256: sha) == key)
      }
      #expect(objects.largeFiles.map(\.key).count == (version >= 2 ? 1 : 0))
    }
    #expect(throws: PondError.self) { try store.objects(ofVersion: 4) }
    #expect(throws: PondError.self) { try Oplog.rows(ofDataFile: [1, 2, 3], key: "x") }
  }

  @Test(
    "a data/ installed byte for byte from elsewhere is adopted: same id, same bytes at every version"
  )
  func adoptInstalledData() throws {
    let pond = try Self.populated()
    defer { pond.cleanup() }
    let copy = pond.directory.appendingPathComponent("copy").path
    try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
    try FileManager.default.copyItem(atPath: pond.root + "/data", toPath: copy + "/data")
    let original = try pond.reader()
    let adopted = try PondStore.adopt(root: copy)
    #expect(try adopted.metadata().id == original.metadata().id)
    #expect(adopted.head == original.head)
    #expect(adopted.persistence.indexWasRebuilt)
    for version in Int64(0)...original.head {
      for path in ["/small", "/big", "/again"] {
        let exists = try original.fileSystem(at: version).exists(path)
        #expect(try adopted.fileSystem(at: version).exists(path) == exists)
        if exists {
          #expect(
            try pond.readAll(adopted, path, at: version)
              == pond.readAll(original, path, at: version))
        }
      }
    }
    // A writer can take over the adopted pond.
    let writer = try PondStore(root: copy, mode: .write(wait: false))
    try writer.change(commandLine: "after") { fs in try fs.writeFile("/new", contents: [1]) }
    #expect(writer.head == original.head + 1)
  }

  @Test("adoption refuses what is not a whole pond of this format, naming why")
  func adoptRefuses() throws {
    let pond = try Self.populated()
    defer { pond.cleanup() }
    let empty = pond.directory.appendingPathComponent("empty").path
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
    #expect {
      _ = try PondStore.adopt(root: empty)
    } throws: { ($0 as? PondError)?.code == .notAPond }
    // A Delta table that pond did not make.
    let foreign = pond.directory.appendingPathComponent("foreign").path
    let table = DeltaTable(storage: DirectoryStore(root: foreign + "/data"))
    _ = try table.write(
      CommitFile.first(
        schema: try DeltaSchema([.init("x", .long)]), configuration: [:], id: "foreign", adds: [],
        timestamp: 1))
    #expect {
      _ = try PondStore.adopt(root: foreign)
    } throws: { ($0 as? PondError)?.code == .notAPond }
    // A data file that does not match its add.
    let damaged = pond.directory.appendingPathComponent("damaged").path
    try FileManager.default.createDirectory(atPath: damaged, withIntermediateDirectories: false)
    try FileManager.default.copyItem(atPath: pond.root + "/data", toPath: damaged + "/data")
    let file = try #require(try pond.reader().objects(ofVersion: 1).dataFile)
    try TestPond.flipByte(damaged + "/data/" + file.key)
    #expect {
      _ = try PondStore.adopt(root: damaged)
    } throws: { ($0 as? PondError)?.code == .corrupt }
  }

  @Test("the writer lock is public: held, a writer fails fast; released, it proceeds")
  func writerLock() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    do {
      let lock = try PondLock(pondRoot: pond.root, wait: false)
      #expect(lock.path == pond.root + "/" + PondLayout.lockFile)
      #expect {
        _ = try PondStore(root: pond.root, mode: .write(wait: false))
      } throws: { ($0 as? PondError)?.code == .locked }
      withExtendedLifetime(lock) {}
    }
    _ = try PondStore(root: pond.root, mode: .write(wait: false))
  }
}

/// Errors carry the system's errno, so that a caller (the agent) can tell a full disk from other failures
/// without reading the message.
@Suite("TLogFS error codes", .serialized)
struct ErrorCodeTests {
  @Test("a full disk is .noSpace; a read-only medium is .readOnlyFileSystem")
  func systemErrorsAreTyped() throws {
    let directory = try TestSupport.makeTemporaryDirectory("tlogfs-errno")
    defer { try? FileManager.default.removeItem(at: directory) }
    let done = try TestSupport.withTmpfs(size: "1m", in: directory) { mountPoint -> Bool in
      let root = mountPoint + "/pond"
      try PondStore.create(root: root, birthplace: "test", commandLine: "init")
      let big = directory.appendingPathComponent("big").path
      // Incompressible, larger than the disk: the large file's body cannot be written.
      var generator = SystemRandomNumberGenerator()
      _ = FileManager.default.createFile(
        atPath: big,
        contents: Data((0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }))
      do {  // the store (and its lock file) closed before the remount
        let store = try PondStore(root: root, mode: .write(wait: false))
        do {
          _ = try store.copyIn(hostSources: [big], to: "/big", series: false, commandLine: "copy")
          Issue.record("a 2 MiB copy fitted on a 1 MiB disk")
        } catch let error as PondError {
          #expect(error.errno == .noSpace, "\(error)")
        }
      }
      let remount = try TestSupport.run(
        URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,ro", mountPoint])
      try #require(remount.status == 0)
      defer {
        _ = try? TestSupport.run(
          URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,rw", mountPoint])
      }
      #expect {
        _ = try PondStore(root: root, mode: .write(wait: false))
      } throws: { ($0 as? PondError)?.errno == .readOnlyFileSystem }
      return true
    }
    if done == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }
}
