import Foundation
import PondCrypto
import PondSQLite
import PondTestSupport
import Testing
import TinyFS

@testable import TLogFS

@Suite("TLogFS pond")
struct PondStoreTests {
  @Test("files, directories, links and series survive reopening")
  func roundTripThroughReopen() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    do {
      let store = try pond.writer()
      try store.change(commandLine: "t") { fs in
        try fs.createDirectory("/a/b", withParents: true)
        try fs.writeFile("/a/b/x.txt", contents: Array("hello".utf8))
        try fs.createSymlink("/l", target: "/a/b/x.txt")
        try fs.createSeries("/s")
        try fs.appendFile("/s", contents: [1, 2, 3])
      }
    }
    let store = try pond.reader()
    let fs = try store.fileSystem()
    #expect(try fs.readFile("/a/b/x.txt") == Array("hello".utf8))
    #expect(try fs.readFile("/l") == Array("hello".utf8))
    #expect(try fs.readSymlink("/l") == "/a/b/x.txt")
    #expect(try fs.readFile("/s") == [1, 2, 3])
    #expect(try fs.list("/a/b").map(\.name) == ["x.txt"])
    #expect(store.head == 1)
    #expect(store.persistence.indexWasRebuilt == false)
  }

  @Test("every version reads as it was; --at by version and by time")
  func timeTravel() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    for round in 1...3 {
      try store.change(commandLine: "round \(round)") { fs in
        try fs.writeFile("/f", contents: Array("v\(round)".utf8))
      }
      Thread.sleep(forTimeInterval: 0.01)
    }
    #expect(store.head == 3)
    for version in Int64(1)...3 {
      #expect(try pond.readAll(store, "/f", at: version) == Array("v\(version)".utf8))
    }
    #expect(try store.fileSystem(at: 0).exists("/f") == false)
    // By time: the commit time of version 2 resolves to version 2.
    let time = PondStore.formatTime(try store.persistence.index.commit(2).timestamp)
    #expect(try store.version(at: time) == 2)
    #expect(try store.version(at: "2") == 2)
    #expect(throws: PondError.self) { try store.version(at: "9") }
    #expect(throws: PondError.self) { try store.version(at: "1999-01-01T00:00:00Z") }
    #expect(throws: PondError.self) { try store.version(at: "yesterday") }
    // A snapshot is read-only.
    #expect(throws: FileSystemError.self) {
      try store.fileSystem(at: 1).writeFile("/g", contents: [])
    }
  }

  @Test("large files stream into _large_files once per content")
  func largeFilesDeduplicate() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let bytes = pseudoRandomBytes(300_000, seed: 7)
    let host = try pond.hostFile("big", bytes)
    let store = try pond.writer()
    _ = try store.copyIn(hostSources: [host], to: "/one", series: false, commandLine: "c1")
    _ = try store.copyIn(hostSources: [host], to: "/two", series: false, commandLine: "c2")
    try store.change(commandLine: "mv") { try $0.rename("/one", to: "/three") }
    #expect(try pond.largeFiles() == ["sha256=\(Hex.encode(SHA256.hash(bytes))).zst"])
    #expect(try pond.readAll(store, "/two") == bytes)
    #expect(try pond.readAll(store, "/three") == bytes)
    let rows = try store.rows(ofVersion: 1)
    let fileRow = try #require(rows.first { $0.entryType == "file" })
    #expect(fileRow.content == nil)
    #expect(fileRow.blob == "_large_files/sha256=\(Hex.encode(SHA256.hash(bytes))).zst")
    #expect(fileRow.size == 300_000)
    // A content just under the threshold stays inline; at the threshold it goes to a large file.
    let small = try pond.hostFile("small", pseudoRandomBytes(LargeFiles.threshold - 1, seed: 3))
    let edge = try pond.hostFile("edge", pseudoRandomBytes(LargeFiles.threshold, seed: 4))
    _ = try store.copyIn(hostSources: [small, edge], to: "/", series: false, commandLine: "c3")
    let edgeRows = try store.rows(ofVersion: store.head)
    #expect(edgeRows.first { $0.size == Int64(LargeFiles.threshold - 1) }?.blob == nil)
    #expect(edgeRows.first { $0.size == Int64(LargeFiles.threshold) }?.blob != nil)
    // In-memory writes of large content also go to a large file.
    let memory = pseudoRandomBytes(100_000, seed: 9)
    try store.change(commandLine: "w") { try $0.writeFile("/mem", contents: memory) }
    #expect(try store.rows(ofVersion: store.head).first { $0.entryType == "file" }?.blob != nil)
    #expect(try store.fileSystem().readFile("/mem") == memory)
    #expect(try PondStore.check(root: pond.root).problems == [])
  }

  @Test("a series stores only the appended bytes and reads as their concatenation")
  func seriesAppends() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    let first = try pond.hostFile("1", Array("first\n".utf8))
    let large = pseudoRandomBytes(200_000, seed: 11)
    let second = try pond.hostFile("2", large)
    let third = try pond.hostFile("3", Array("third\n".utf8))
    for source in [first, second, third] {
      _ = try store.copyIn(hostSources: [source], to: "/s", series: true, commandLine: "append")
    }
    let expected = Array("first\n".utf8) + large + Array("third\n".utf8)
    #expect(try pond.readAll(store, "/s") == expected)
    #expect(try pond.readAll(store, "/s", at: 1) == Array("first\n".utf8))
    let last = try #require(try store.rows(ofVersion: 3).first { $0.entryType == "series" })
    #expect(
      last.content.flatMap { Data(base64Encoded: $0) }.map([UInt8].init) == Array("third\n".utf8))
    #expect(last.size == Int64(expected.count))
    #expect(try store.fileSystem().stat("/s").size == UInt64(expected.count))
    // Appending to a plain file with --series is refused.
    let plain = try pond.hostFile("p", [1])
    _ = try store.copyIn(hostSources: [plain], to: "/plain", series: false, commandLine: "c")
    #expect(throws: PondError.self) {
      try store.copyIn(hostSources: [plain], to: "/plain", series: true, commandLine: "c")
    }
    #expect(try PondStore.check(root: pond.root).problems == [])
  }

  @Test("a failed transaction writes nothing")
  func rollback() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    let before = store.head
    #expect(throws: FileSystemError.self) {
      try store.change(commandLine: "bad") { fs in
        try fs.writeFile("/ok", contents: [1])
        try fs.createDirectory("/missing/x")
      }
    }
    #expect(store.head == before)
    let reopened = try pond.reader()
    #expect(reopened.head == before)
    #expect(try reopened.fileSystem().exists("/ok") == false)
    // A copy with one missing source copies nothing.
    let good = try pond.hostFile("good", [1, 2])
    #expect(throws: PondError.self) {
      try store.copyIn(
        hostSources: [good, pond.directory.path + "/nope"], to: "/", series: false,
        commandLine: "c")
    }
    #expect(try pond.reader().head == before)
  }

  @Test("a second writer fails fast naming the holder; readers never block")
  func writerLock() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let first = try pond.writer()
    do {
      _ = try pond.writer()
      Issue.record("a second writer got the lock")
    } catch let error as PondError {
      #expect(error.code == .locked)
      #expect(error.description.contains("process \(getpid())"))
      #expect(error.description.contains("--wait"))
    }
    #expect(try pond.reader().head == first.head)
    try first.change(commandLine: "w") { try $0.writeFile("/f", contents: [1]) }
    _ = consume first
    let second = try pond.writer()
    #expect(second.head == 1)
  }

  @Test(
    "the local index is rebuilt when missing, corrupt, of another format or another history; caught up when behind"
  )
  func indexRebuild() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let indexPath = pond.root + "/local/" + PondIndex.fileName
    func removeIndex(_ root: String = pond.root) {
      for suffix in ["", "-wal", "-shm"] {
        try? FileManager.default.removeItem(atPath: root + "/local/" + PondIndex.fileName + suffix)
      }
    }
    do {
      let store = try pond.writer()
      try store.change(commandLine: "1") { try $0.writeFile("/a", contents: [1]) }
      try store.change(commandLine: "2") { try $0.writeFile("/b", contents: [2]) }
    }
    // Each reader below is closed before the index is altered (its connection holds the database open).
    do {
      let fresh = try pond.reader()
      #expect(fresh.persistence.indexWasRebuilt == false)
      #expect(fresh.head == 2)
    }
    // Behind the log (as after a process killed between its commit and its index update): the missing
    // versions are applied from the log, without a rebuild.
    do {
      let database = try SQLiteDatabase(path: indexPath, mode: .readWriteCreate)
      try database.execute(
        "DELETE FROM rows WHERE txn = 2; DELETE FROM commits WHERE version = 2;"
          + " DELETE FROM listings WHERE txn = 2;")
    }
    do {
      let behind = try pond.reader()
      #expect(behind.persistence.indexWasRebuilt == false)
      #expect(behind.head == 2)
      #expect(try behind.fileSystem().readFile("/b") == [2])
      #expect(try behind.fileSystem().list("/").map(\.name) == ["a", "b"])
    }
    // Missing.
    removeIndex()
    do {
      let missing = try pond.reader()
      #expect(missing.persistence.indexWasRebuilt)
      #expect(try missing.fileSystem().readFile("/a") == [1])
    }
    // Not a database at all (its header damaged).
    try TestPond.flipByte(indexPath, at: 3)
    do {
      let corrupt = try pond.reader()
      #expect(corrupt.persistence.indexWasRebuilt)
      #expect(try corrupt.fileSystem().readFile("/b") == [2])
    }
    // Of another format version.
    do {
      let database = try SQLiteDatabase(path: indexPath, mode: .readWriteCreate)
      try database.execute("PRAGMA user_version = 2")
    }
    do {
      let older = try pond.reader()
      #expect(older.persistence.indexWasRebuilt)
      #expect(try older.fileSystem().readFile("/b") == [2])
    }
    // Another history at the same version: an index of a different pond is not trusted.
    let other = try TestPond()
    defer { other.cleanup() }
    do {
      let store = try other.writer()
      try store.change(commandLine: "1") { try $0.writeFile("/x", contents: [9]) }
      try store.change(commandLine: "2") { try $0.writeFile("/y", contents: [9]) }
    }
    removeIndex()
    for suffix in ["", "-wal", "-shm"]
    where FileManager.default.fileExists(
      atPath: other.root + "/local/" + PondIndex.fileName + suffix)
    {
      try FileManager.default.copyItem(
        atPath: other.root + "/local/" + PondIndex.fileName + suffix, toPath: indexPath + suffix)
    }
    do {
      let foreign = try pond.reader()
      #expect(foreign.persistence.indexWasRebuilt)
      #expect(try foreign.fileSystem().exists("/x") == false)
      #expect(try foreign.fileSystem().readFile("/b") == [2])
    }
    // The index of format 2 (one file read whole) is removed when found.
    _ = FileManager.default.createFile(atPath: pond.root + "/local/index", contents: Data([1, 2]))
    _ = try pond.reader()
    #expect(FileManager.default.fileExists(atPath: pond.root + "/local/index") == false)
  }

  @Test("log names what each version changed: new paths, removals, renames and moves")
  func logChanges() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    try store.change(commandLine: "make") { fileSystem in
      try fileSystem.createDirectory("/a")
      try fileSystem.createDirectory("/a/b")
      try fileSystem.writeFile("/a/x", contents: [1])
    }
    try store.change(commandLine: "rename") { try $0.rename("/a/x", to: "/a/y") }
    try store.change(commandLine: "move") { try $0.rename("/a/b", to: "/c") }
    try store.change(commandLine: "remove") { try $0.remove("/a/y") }
    var changes: [Int64: [String]] = [:]
    var commands: [String] = []
    try store.log(upTo: nil) { report in
      changes[report.version] = report.changed.sorted()
      commands.append(report.command)
    }
    #expect(commands == ["test init", "make", "rename", "move", "remove"])
    #expect(changes[1] == ["/a/", "/a/b/", "/a/x"])
    #expect(changes[2] == ["-/a/x", "/a/y"])
    #expect(changes[3] == ["-/a/b", "/c/"])
    #expect(changes[4] == ["-/a/y"])
  }

  @Test("damaged index rows are errors naming the index, never a crash or a wrong type")
  func damagedIndexRows() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    do {
      let store = try pond.writer()
      try store.change(commandLine: "w") { try $0.writeFile("/f", contents: [7]) }
    }
    let path = pond.root + "/local/" + PondIndex.fileName
    for change in [
      "UPDATE rows SET row_index = -1 WHERE txn = 1", "UPDATE rows SET type = 257 WHERE txn = 1",
    ] {
      _ = try pond.reader()  // (re)builds the index
      do {
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try database.execute(change)
      }
      #expect {
        let reader = try pond.reader()
        _ = try reader.fileSystem().readFile("/f")
      } throws: { error in
        "\(error)".contains("index") && (error as? PondError)?.code == .corrupt
      }
      for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }
  }

  @Test(
    "a damaged index is rebuilt only when no other process has it open; meanwhile a temporary one serves"
  )
  func damagedIndexInUse() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    do {
      let store = try pond.writer()
      try store.change(commandLine: "w") { try $0.writeFile("/f", contents: [7]) }
    }
    let path = pond.root + "/local/" + PondIndex.fileName
    var holder: PondStore? = try pond.reader()
    try TestPond.flipByte(path, at: 3)
    do {
      let other = try pond.reader()
      #expect(other.persistence.index.location.contains("is damaged (file is not a database)"))
      #expect(other.persistence.index.location.contains("in use by another process"))
      #expect(try other.fileSystem().readFile("/f") == [7])
    }
    #expect(holder?.head == 1)
    holder = nil
    let alone = try pond.reader()
    #expect(alone.persistence.indexWasRebuilt)
    #expect(alone.persistence.index.location == "local/index.sqlite")
    #expect(try alone.fileSystem().readFile("/f") == [7])
  }

  @Test(
    "a commit the index cannot record still succeeds; that process then refuses to answer; the next rebuilds"
  )
  func indexFailsAfterCommit() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    var store: PondStore? = try pond.writer()
    try store?.change(commandLine: "1") { try $0.writeFile("/a", contents: [1]) }
    do {
      // Another process damages the index between this writer's commits (in a table that the next
      // transaction reads only when recording its commit).
      let database = try SQLiteDatabase(
        path: pond.root + "/local/" + PondIndex.fileName, mode: .readWriteCreate)
      try database.execute("DROP TABLE commits")
    }
    try store?.change(commandLine: "2") { try $0.writeFile("/b", contents: [2]) }
    #expect {
      try store?.fileSystem().readFile("/a")
    } throws: { error in
      "\(error)".contains("version 2 was committed, but the local index could not record it")
        && "\(error)".contains("open the pond again")
    }
    store = nil  // while it holds the index open, the damaged file is not deleted
    let reader = try pond.reader()
    #expect(reader.persistence.indexWasRebuilt)
    #expect(reader.persistence.index.location == "local/" + PondIndex.fileName)
    #expect(reader.head == 2)
    #expect(try reader.fileSystem().readFile("/b") == [2])
    #expect(try PondStore.check(root: pond.root).problems == [])
  }

  @Test("commit times grow with the version, and every row carries its commit's time")
  func rowTimesMatchCommitTimes() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    for index in 0..<30 {
      try store.change(commandLine: "\(index)") { try $0.writeFile("/f\(index)", contents: [1]) }
    }
    // A transaction whose clock stepped back to 1970: its commit time is moved on past the previous one.
    let persistence = store.persistence
    let root = try #require(try persistence.node(.root, at: nil))
    _ = try persistence.beginTransaction(timestamp: 1_000_000)
    try persistence.store(
      NodeWrite(
        id: .root, parentID: .root, version: root.version + 1, entryType: .directory,
        payload: .directory(try persistence.directoryEntries(.root, at: nil))))
    _ = try persistence.commit()
    var previous: Int64 = -1
    for version in Int64(0)...store.head {
      let commit = try store.persistence.index.commit(version)
      #expect(commit.timestamp > previous, "version \(version)")
      previous = commit.timestamp
      for row in try store.rows(ofVersion: version) {
        #expect(row.timestamp / 1000 == commit.timestamp, "version \(version): \(row.timestamp)")
      }
    }
  }

  @Test("a reader keeps the version it opened while a writer commits newer ones")
  func readerSnapshot() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let writer = try pond.writer()
    try writer.change(commandLine: "1") {
      try $0.writeFile("/a", contents: [1])
      try $0.createSeries("/s")
      try $0.appendFile("/s", contents: [1])
    }
    let reader = try pond.reader()
    try writer.change(commandLine: "2") {
      try $0.writeFile("/a", contents: [2])
      try $0.writeFile("/b", contents: [2])
      try $0.appendFile("/s", contents: [2])
    }
    #expect(reader.head == 1)
    let view = try reader.fileSystem()
    #expect(try view.readFile("/a") == [1])
    #expect(try view.exists("/b") == false)
    #expect(try pond.readAll(reader, "/s") == [1])
    #expect(try view.list("/").map(\.name) == ["a", "s"])
    #expect(throws: PondError.self) { try reader.version(at: "2") }
    // A reader opened now sees version 2, through the index the writer updated.
    let later = try pond.reader()
    #expect(later.persistence.indexWasRebuilt == false)
    #expect(later.head == 2)
    #expect(try pond.readAll(later, "/s") == [1, 2])
    #expect(try later.fileSystem().list("/").map(\.name) == ["a", "b", "s"])
  }

  @Test("a series of many appends streams its versions in order from the index")
  func longSeries() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    try store.change(commandLine: "create") { try $0.createSeries("/s") }
    var expected: [UInt8] = []
    for index in 0..<200 {
      let chunk = [UInt8](repeating: UInt8(index % 251), count: index % 7 + 1)
      expected += chunk
      try store.change(commandLine: "append \(index)") { try $0.appendFile("/s", contents: chunk) }
    }
    #expect(try pond.readAll(store, "/s") == expected)
    let reopened = try pond.reader()
    #expect(try pond.readAll(reopened, "/s") == expected)
    // At version 101 (create + 100 appends), the first 100 chunks.
    let prefix = (0..<100).reduce(0) { $0 + $1 % 7 + 1 }
    #expect(try pond.readAll(reopened, "/s", at: 101) == Array(expected[0..<prefix]))
    #expect(try reopened.describe("/s", at: nil).versions.count == 201)
  }

  @Test("opening a missing or non-pond directory says what to do")
  func notAPond() throws {
    let directory = try TestSupportDirectory()
    defer { directory.cleanup() }
    #expect {
      try PondStore(root: directory.path + "/nothing", mode: .read)
    } throws: { error in
      (error as? PondError)?.code == .notAPond && "\(error)".contains("pond init")
    }
    #expect {
      try PondStore(root: directory.path, mode: .read)
    } throws: { error in
      (error as? PondError)?.code == .notAPond
    }
    // Opening a non-pond for writing leaves nothing behind (no local/lock).
    #expect(throws: PondError.self) {
      try PondStore(root: directory.path, mode: .write(wait: false))
    }
    #expect(FileManager.default.fileExists(atPath: directory.path + "/local") == false)
    // Missing parents are created.
    try PondStore.create(root: directory.path + "/p/q/r", birthplace: nil, commandLine: "x")
    #expect(try PondStore(root: directory.path + "/p/q/r", mode: .read).head == 0)
    #expect {
      try PondStore.create(root: directory.path + "/p/q/r", birthplace: nil, commandLine: "x")
    } throws: { error in
      (error as? PondError)?.code == .alreadyExists
    }
    // A directory holding other things is not made into a pond.
    _ = FileManager.default.createFile(atPath: directory.path + "/notes.txt", contents: Data())
    #expect {
      try PondStore.create(root: directory.path, birthplace: nil, commandLine: "x")
    } throws: { error in
      (error as? PondError)?.code == .alreadyExists && "\(error)".contains("notes.txt")
    }
    #expect(FileManager.default.fileExists(atPath: directory.path + "/data") == false)
    // What an interrupted init left (data/ and local/ without version 0) is completed by the next one.
    let interrupted = directory.path + "/i"
    try FileManager.default.createDirectory(
      atPath: interrupted + "/data/_delta_log", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
      atPath: interrupted + "/local", withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
      atPath: interrupted + "/data/_delta_log/_commit_1.json.tmp", contents: Data([1]))
    try PondStore.create(root: interrupted, birthplace: nil, commandLine: "x")
    #expect(try PondStore(root: interrupted, mode: .read).head == 0)
  }

  @Test("directory listings round-trip and reject corrupt bytes")
  func directoryListingEncoding() throws {
    let entries = [
      DirectoryEntry(
        name: "a", id: NodeID(high: 0x1234_7000, low: 0x8000_0000_0000_0001), entryType: .file),
      DirectoryEntry(name: "é", id: .root, entryType: .directory),
    ]
    let bytes = DirectoryListing.encode(entries)
    #expect(Array(bytes.prefix(4)) == Array("PDL1".utf8))
    #expect(try DirectoryListing.decode(bytes, node: "n") == entries)
    #expect(throws: PondError.self) {
      try DirectoryListing.decode(Array(bytes.dropLast()), node: "n")
    }
    #expect(throws: PondError.self) { try DirectoryListing.decode(bytes + [0], node: "n") }
    var badType = bytes
    badType[badType.count - 1] = 9
    #expect(throws: PondError.self) { try DirectoryListing.decode(badType, node: "n") }
    let unsorted = DirectoryListing.encode(entries.reversed())
    #expect(throws: PondError.self) { try DirectoryListing.decode(unsorted, node: "n") }
  }
}

/// A temporary directory for tests that make their own ponds.
struct TestSupportDirectory {
  let path: String
  init() throws {
    path = try PondTestSupportDirectory.make()
  }
  func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

enum PondTestSupportDirectory {
  static func make() throws -> String { try TestSupport.makeTemporaryDirectory("tlogfs").path }
}

@Suite("TLogFS copy")
struct CopyTests {
  @Test("directories copy recursively and host globs expand")
  func directoriesAndGlobs() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let tree = pond.directory.appendingPathComponent("tree").path
    try FileManager.default.createDirectory(
      atPath: tree + "/sub", withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: tree + "/a.csv", contents: Data("a".utf8))
    _ = FileManager.default.createFile(atPath: tree + "/b.txt", contents: Data("b".utf8))
    _ = FileManager.default.createFile(atPath: tree + "/sub/c.csv", contents: Data("c".utf8))
    let store = try pond.writer()
    let report = try store.copyIn(hostSources: [tree], to: "/t", series: false, commandLine: "c")
    #expect(report.written.sorted() == ["/t/a.csv", "/t/b.txt", "/t/sub/c.csv"])
    #expect(try store.fileSystem().readFile("/t/sub/c.csv") == Array("c".utf8))
    try store.change(commandLine: "m") { try $0.createDirectory("/g") }
    _ = try store.copyIn(hostSources: [tree + "/*.csv"], to: "/g", series: false, commandLine: "g")
    #expect(try store.fileSystem().list("/g").map(\.name) == ["a.csv"])
    #expect(throws: PondError.self) {
      try store.copyIn(hostSources: [tree + "/*.none"], to: "/g", series: false, commandLine: "g")
    }
    // Copy out a glob and a directory, from an older version.
    let out = pond.directory.appendingPathComponent("out").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let exported = try store.copyOut(patterns: ["/t"], to: out, at: 1)
    #expect(exported.written.count == 3)
    #expect(FileManager.default.contents(atPath: out + "/t/sub/c.csv") == Data("c".utf8))
  }

  @Test("small files beyond the in-memory budget of one copy are stored as large-file bodies")
  func inlineBudget() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let tree = pond.directory.appendingPathComponent("many").path
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    for index in 0..<5 {
      _ = FileManager.default.createFile(
        atPath: tree + "/f\(index)", contents: Data(repeating: UInt8(65 + index), count: 40))
    }
    let store = try pond.writer()
    _ = try store.copyIn(
      hostSources: [tree], to: "/m", series: false, commandLine: "c", inlineBudget: 100)
    let storage = try (0..<5).map { try store.describe("/m/f\($0)", at: nil).versions[0].storage }
    #expect(storage.prefix(2).allSatisfy { $0 == "inline" })
    #expect(storage.suffix(3).allSatisfy { $0.hasPrefix("data/_large_files/sha256=") })
    let reader = try pond.reader()
    for index in 0..<5 {
      #expect(
        try pond.readAll(reader, "/m/f\(index)") == [UInt8](repeating: UInt8(65 + index), count: 40)
      )
    }
    #expect(try PondStore.check(root: pond.root).problems == [])
    // Appends to series count against the same budget.
    _ = try store.copyIn(
      hostSources: [tree], to: "/s", series: true, commandLine: "s", inlineBudget: 100)
    let appended = try (0..<5).map { try store.describe("/s/f\($0)", at: nil).versions[0].storage }
    #expect(appended.prefix(2).allSatisfy { $0 == "inline" })
    #expect(appended.suffix(3).allSatisfy { $0.hasPrefix("data/_large_files/sha256=") })
    for index in 0..<5 {
      #expect(
        try pond.readAll(pond.reader(), "/s/f\(index)")
          == [UInt8](repeating: UInt8(65 + index), count: 40))
    }
  }

  @Test("a series reached twice in one copy (through a link) is refused and nothing is written")
  func seriesReachedTwice() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    try store.change(commandLine: "setup") {
      try $0.createDirectory("/s")
      try $0.createSeries("/s/x")
      try $0.createSymlink("/s/link", target: "/s/x")
    }
    let host = pond.directory.appendingPathComponent("h/s").path
    try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
      atPath: host + "/x", contents: Data(pseudoRandomBytes(70_000, seed: 1)))
    _ = FileManager.default.createFile(
      atPath: host + "/link", contents: Data(pseudoRandomBytes(70_000, seed: 2)))
    #expect {
      try store.copyIn(hostSources: [host], to: "/", series: true, commandLine: "c")
    } throws: { error in
      "\(error)".contains("appends to a series only once") && "\(error)".contains("/s/x")
    }
    #expect(store.head == 1)
    #expect(try pond.readAll(store, "/s/x") == [])
  }

  @Test("host symbolic links inside a copied directory become pond links; a loop is not followed")
  func hostLinksIn() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let tree = pond.directory.appendingPathComponent("tree").path
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: tree + "/f", contents: Data("f".utf8))
    try FileManager.default.createSymbolicLink(atPath: tree + "/loop", withDestinationPath: "..")
    try FileManager.default.createSymbolicLink(atPath: tree + "/to-f", withDestinationPath: "f")
    let store = try pond.writer()
    let report = try store.copyIn(hostSources: [tree], to: "/t", series: false, commandLine: "c")
    #expect(report.written.sorted() == ["/t/f", "/t/loop", "/t/to-f"])
    let fileSystem = try store.fileSystem()
    #expect(try fileSystem.readSymlink("/t/loop") == "..")
    #expect(try fileSystem.readFile("/t/to-f") == Array("f".utf8))
    // Named on the command line, a link is followed.
    _ = try store.copyIn(hostSources: [tree + "/to-f"], to: "/g", series: false, commandLine: "g")
    #expect(try store.fileSystem().lstat("/g").entryType == .file)
  }

  @Test(
    "copy out: links inside are recreated, named links followed, clashes and dangling links refused"
  )
  func copyOutLinks() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let store = try pond.writer()
    try store.change(commandLine: "setup") { fileSystem in
      try fileSystem.createDirectory("/d")
      try fileSystem.writeFile("/d/f", contents: Array("F".utf8))
      try fileSystem.createSymlink("/d/loop", target: "/d")
      try fileSystem.createSymlink("/d/gone", target: "/nowhere")
      try fileSystem.createSymlink("/cur", target: "/d/f")
      try fileSystem.createDirectory("/a")
      try fileSystem.createDirectory("/b")
      try fileSystem.writeFile("/a/x.csv", contents: Array("A".utf8))
      try fileSystem.writeFile("/b/x.csv", contents: Array("B".utf8))
      try fileSystem.createSymlink("/dangling", target: "/nowhere")
    }
    let out = pond.directory.appendingPathComponent("out").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let report = try store.copyOut(patterns: ["/d", "/cur"], to: out, at: nil)
    #expect(
      report.written.sorted() == [out + "/cur", out + "/d/f", out + "/d/gone", out + "/d/loop"])
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/d/loop") == "/d")
    #expect(
      try FileManager.default.destinationOfSymbolicLink(atPath: out + "/d/gone") == "/nowhere")
    #expect(FileManager.default.contents(atPath: out + "/cur") == Data("F".utf8))
    // Two matches with one host name: refused, nothing written.
    let clash = pond.directory.appendingPathComponent("clash").path
    try FileManager.default.createDirectory(atPath: clash, withIntermediateDirectories: true)
    #expect {
      try store.copyOut(patterns: ["/**/x.csv"], to: clash, at: nil)
    } throws: { "\($0)".contains("/a/x.csv and /b/x.csv") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: clash) == [])
    #expect(throws: FileSystemError.self) {
      try store.copyOut(patterns: ["/a", "/dangling"], to: clash, at: nil)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: clash) == [])
    // A match inside another match is copied once, with it.
    let all = pond.directory.appendingPathComponent("all").path
    try FileManager.default.createDirectory(atPath: all, withIntermediateDirectories: true)
    let everything = try store.copyOut(patterns: ["/a", "/a/x.csv"], to: all, at: nil)
    #expect(everything.written == [all + "/a/x.csv"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: all) == ["a"])
  }

  @Test(
    "copy out keeps names that differ only in Unicode form apart, and a nested match is copied once"
  )
  func copyOutByBytes() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let nfc = "caf\u{E9}"
    let nfd = "cafe\u{301}"
    let mark = "\u{301}x"  // a name starting with a combining mark
    let store = try pond.writer()
    try store.change(commandLine: "setup") { fileSystem in
      try fileSystem.createDirectory("/d")
      try fileSystem.writeFile("/d/" + nfc, contents: [1])
      try fileSystem.writeFile("/d/" + nfd, contents: [2])
      try fileSystem.writeFile("/d/" + mark, contents: [3])
    }
    let out = pond.directory.appendingPathComponent("out").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let report = try store.copyOut(patterns: ["/d/*"], to: out, at: nil)
    #expect(report.written.count == 3)
    let names = try FileManager.default.contentsOfDirectory(atPath: out).map { Array($0.utf8) }
    #expect(Set(names) == Set([nfc, nfd, mark].map { Array($0.utf8) }))
    let nested = pond.directory.appendingPathComponent("nested").path
    try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
    let once = try store.copyOut(patterns: ["/d", "/d/*"], to: nested, at: nil)
    #expect(once.written.count == 3)
    #expect(try FileManager.default.contentsOfDirectory(atPath: nested) == ["d"])
  }

  @Test("a user file holding large-file token bytes is stored as ordinary content")
  func tokenLookalike() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let fake = LargeFileToken(sha256: String(repeating: "ab", count: 32), size: 5).bytes
    let store = try pond.writer()
    try store.change(commandLine: "w") { try $0.writeFile("/fake", contents: fake) }
    let row = try #require(try store.rows(ofVersion: 1).first { $0.entryType == "file" })
    #expect(row.blob == nil)
    #expect(try pond.reader().fileSystem().readFile("/fake") == fake)
  }
}

@Suite("the index's WAL")
struct IndexWALTests {
  @Test(
    "stays bounded over many short-lived writers (each opens, commits and closes, like one pond command)"
  )
  func walStaysBounded() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let wal = pond.root + "/local/index.sqlite-wal"
    var largest: Int64 = 0
    for index in 0..<80 {
      try pond.writer().change(commandLine: "write \(index)") { fs in
        try fs.writeFile("/f-\(index)", contents: Array("reading \(index)\n".utf8))
      }
      let size = (try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int64) ?? 0
      largest = max(largest, size)
    }
    // Each commit adds tens of kilobytes to the WAL; the close after the one that passes 1 MiB truncates it.
    #expect(largest > 0)
    #expect(largest < (1 << 20) + (256 << 10), "the WAL reached \(largest) bytes")
    #expect(try pond.reader().head == 80)
  }
}
