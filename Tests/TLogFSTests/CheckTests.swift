import Foundation
import PondSQLite
import Testing
import TinyFS

@testable import TLogFS

@Suite("TLogFS fsck")
struct CheckTests {
  /// A pond with three versions of content, one of them a large file.
  func makePond() throws -> TestPond {
    let pond = try TestPond()
    let store = try pond.writer()
    try store.change(commandLine: "1") { fs in
      try fs.createDirectory("/d")
      try fs.writeFile("/d/small", contents: Array("small".utf8))
    }
    let big = try pond.hostFile("big", pseudoRandomBytes(200_000, seed: 5))
    _ = try store.copyIn(hostSources: [big], to: "/d/big", series: false, commandLine: "2")
    try store.change(commandLine: "3") { try $0.writeFile("/e", contents: [1, 2, 3]) }
    return pond
  }

  func dataFile(_ pond: TestPond, version: Int) throws -> String {
    let store = try pond.reader()
    return pond.root + "/data/" + (try store.persistence.index.commit(Int64(version)).dataFile!)
  }

  @Test("a healthy pond has no problems")
  func clean() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems == [])
    #expect(report.versions == 4)
    #expect(report.dataFiles == 4)
    #expect(report.largeFiles == 1)
  }

  @Test("a flipped byte in a data file is found")
  func flippedDataFile() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let path = try dataFile(pond, version: 1)
    try TestPond.flipByte(path)
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(URL(fileURLWithPath: path).lastPathComponent) })
  }

  @Test("a flipped byte in a large file is found")
  func flippedLargeFile() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let name = try #require(try pond.largeFiles().first)
    try TestPond.flipByte(pond.root + "/data/_large_files/" + name)
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(name) })
    // Reading it fails too, naming the large file.
    let store = try pond.reader()
    #expect { try pond.readAll(store, "/d/big") } throws: { "\($0)".contains(name) }
  }

  @Test("a missing large file is found")
  func missingLargeFile() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let name = try #require(try pond.largeFiles().first)
    try FileManager.default.removeItem(atPath: pond.root + "/data/_large_files/" + name)
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(name) && $0.contains("missing") })
  }

  @Test("a flipped byte in a commit is found", arguments: [1, 2])
  func flippedCommit(version: Int) throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let path = pond.root + "/data/_delta_log/" + String(format: "%020d.json", version)
    try TestPond.flipByte(path)
    let report = try PondStore.check(root: pond.root)
    #expect(!report.problems.isEmpty)
    #expect(
      report.problems.contains {
        $0.contains(String(format: "%020d.json", version + 1))
          || $0.contains(String(format: "%020d.json", version))
      })
  }

  @Test("orphan files of interrupted commands are notes, not problems; clean removes only them")
  func orphans() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let orphanKeys = [
      "data/part-00000000000000000009-x.zstd.parquet",
      "data/part-00000000000000000004-y.zstd.parquet.tmp-1f",
      "data/_large_files/.tmp-abc.zst",
      "data/_large_files/sha256=" + String(repeating: "ab", count: 32) + ".zst",
      "data/_delta_log/_commit_0f.json.tmp",
      // The temporary names this release writes (TemporaryName), in each directory.
      "data/.pond-tmp-d1", "data/_large_files/.pond-tmp-l1", "data/_delta_log/.pond-tmp-c1",
      // A conversion or collection killed a day ago left its file in local/.
      "local/.pond-tmp-old",
    ]
    for key in orphanKeys {
      _ = FileManager.default.createFile(atPath: pond.root + "/" + key, contents: Data([1]))
    }
    let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
    try FileManager.default.setAttributes(
      [.modificationDate: twoDaysAgo], ofItemAtPath: pond.root + "/local/.pond-tmp-old")
    // One still in use (a conversion runs without the writer lock) is left alone.
    _ = FileManager.default.createFile(
      atPath: pond.root + "/local/.pond-tmp-new", contents: Data([1]))
    let before = try pond.largeFiles()
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems == [])
    #expect(report.notes.count == orphanKeys.count)
    for key in orphanKeys {
      #expect(report.notes.contains { $0.hasPrefix(key + ": ") }, "\(key) not noted")
    }
    #expect(report.removed == [])
    // A writer holds the lock: cleaning waits for nobody and fails clearly.
    do {
      let writer = try pond.writer()
      #expect(throws: PondError.self) { try PondStore.check(root: pond.root, clean: true) }
      _ = writer
    }
    let cleaned = try PondStore.check(root: pond.root, clean: true)
    #expect(cleaned.problems == [])
    #expect(Set(cleaned.removed) == Set(orphanKeys))
    for key in orphanKeys {
      #expect(FileManager.default.fileExists(atPath: pond.root + "/" + key) == false)
    }
    #expect(try pond.largeFiles() == before.filter { !$0.hasPrefix("sha256=abab") })
    #expect(FileManager.default.fileExists(atPath: pond.root + "/local/.pond-tmp-new"))
    let after = try PondStore.check(root: pond.root)
    #expect(after.problems == [] && after.notes == [])
    #expect(try pond.readAll(pond.reader(), "/d/big").count == 200_000)
  }

  @Test("clean removes nothing from a pond with problems")
  func noCleanWhenDamaged() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let orphan = pond.root + "/data/_large_files/.tmp-abc.zst"
    _ = FileManager.default.createFile(atPath: orphan, contents: Data([1]))
    try TestPond.flipByte(try dataFile(pond, version: 3))
    let report = try PondStore.check(root: pond.root, clean: true)
    #expect(report.problems.isEmpty == false)
    #expect(report.removed == [])
    #expect(FileManager.default.fileExists(atPath: orphan))
  }

  @Test("a missing commit in the middle of the log is a problem, and so is a missing version 0")
  func gap() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    try FileManager.default.removeItem(
      atPath: pond.root + "/data/_delta_log/00000000000000000002.json")
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains("version 2 is missing") })
    #expect(report.versions == 2)
    try FileManager.default.removeItem(
      atPath: pond.root + "/data/_delta_log/00000000000000000000.json")
    let noZero = try PondStore.check(root: pond.root)
    #expect(noZero.problems.contains { $0.contains("starts at version 1") })
  }

  @Test("a pond of another format, or a Delta table not made by pond, is refused")
  func otherFormat() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let commit = pond.root + "/data/_delta_log/00000000000000000000.json"
    let text = try String(contentsOfFile: commit, encoding: .utf8)
    try text.replacingOccurrences(
      of: "\"pond.formatVersion\":\"1\"", with: "\"pond.formatVersion\":\"9\""
    )
    .write(toFile: commit, atomically: true, encoding: .utf8)
    for suffix in ["", "-wal", "-shm"] {
      try? FileManager.default.removeItem(atPath: pond.root + "/local/index.sqlite" + suffix)
    }
    #expect {
      try pond.reader()
    } throws: { error in
      (error as? PondError)?.code == .notAPond && "\(error)".contains("the pond has format 9")
    }
  }

  @Test(
    "fsck compares the index's commits and latest listings with the log, and finds rows the log lacks",
    arguments: [
      (
        "UPDATE listings SET listing = x'50444C3100' WHERE node = x'00000000000070008000000000000000'",
        "the latest listing of directory 00000000-0000-7000-8000-000000000000 is not the one"
      ),
      (
        "UPDATE commits SET data_file = 'part-bogus.parquet' WHERE version = 1",
        "the commit differs for version 1"
      ),
      ("UPDATE commits SET timestamp = 0 WHERE version = 2", "the commit differs for version 2"),
      (
        "INSERT INTO rows SELECT x'0190000000007000800000000000abcd', txn, parent, version, type,"
          + " timestamp, size, sha256, is_blob, row_index, table_rows, table_schema, time_column,"
          + " time_min, time_max FROM rows WHERE txn = 3 LIMIT 1",
        "rows up to version 3, the log"
      ),
    ])
  func indexTablesCompared(change: String, expected: String) throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    do {
      let database = try SQLiteDatabase(
        path: pond.root + "/local/" + PondIndex.fileName, mode: .readWriteCreate)
      try database.execute(change)
    }
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(expected) }, "\(report.problems)")
    #expect(report.problems.allSatisfy { $0.hasPrefix("local/index.sqlite: ") })
  }

  @Test("an index that disagrees with the log is a problem naming it")
  func indexDisagrees() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    do {
      let database = try SQLiteDatabase(
        path: pond.root + "/local/" + PondIndex.fileName, mode: .readWriteCreate)
      try database.execute("UPDATE rows SET size = size + 1 WHERE txn = 3")
    }
    let report = try PondStore.check(root: pond.root)
    // Version 3 wrote two rows (the file and the root's listing): both are named.
    #expect(report.problems.count == 2)
    for problem in report.problems {
      #expect(
        problem.hasPrefix("local/index.sqlite: the row differs for data/part-00000000000000000003-")
      )
      #expect(problem.contains("delete it and it is rebuilt"))
    }
  }
}
