import Foundation
import PondSQLite
import PondTestSupport
import Testing

@Suite("SQLite connection")
struct SQLiteDatabaseTests {
  private func temporaryPath() throws -> (URL, String) {
    let directory = try TestSupport.makeTemporaryDirectory("sqlite")
    return (directory, directory.appendingPathComponent("test.sqlite").path)
  }

  @Test("values of every kind round-trip through bound parameters")
  func roundTrip() throws {
    let (directory, path) = try temporaryPath()
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
    try database.execute("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n)")
    let values: [(Int64, String, [UInt8])] = [
      (Int64.min, "", []),
      (0, "héllo wörld ✓", [0, 0, 0]),
      (Int64.max, "with\u{0}nul", Array(0...255)),
    ]
    for (integer, text, blob) in values {
      try database.run(
        "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
        [.integer(integer), .text(text), .blob(blob), .null])
    }
    var read: [(Int64, String, [UInt8], Bool, Bool)] = []
    try database.query("SELECT i, s, b, n FROM t ORDER BY rowid") { row in
      read.append((row.integer(0), row.text(1), row.blob(2), row.isNull(2), row.isNull(3)))
      return true
    }
    #expect(read.count == 3)
    for (index, row) in read.enumerated() {
      #expect(row.0 == values[index].0)
      #expect(row.1 == values[index].1)
      #expect(row.2 == values[index].2)
      #expect(row.3 == false, "an empty blob is an empty blob, not NULL")
      #expect(row.4)
    }
  }

  @Test("a query stops when its closure returns false; nested queries of the same text work")
  func stopAndNest() throws {
    let (directory, path) = try temporaryPath()
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
    try database.execute(
      "CREATE TABLE t(i INTEGER); INSERT INTO t VALUES (1), (2), (3), (4);")
    var seen: [Int64] = []
    try database.query("SELECT i FROM t ORDER BY i") { row in
      seen.append(row.integer(0))
      return seen.count < 2
    }
    #expect(seen == [1, 2])
    var pairs: [String] = []
    let sql = "SELECT i FROM t WHERE i > ?1 ORDER BY i"
    try database.query(sql, [.integer(2)]) { outer in
      let first = outer.integer(0)
      try database.query(sql, [.integer(first)]) { inner in
        pairs.append("\(first)<\(inner.integer(0))")
        return true
      }
      return true
    }
    #expect(pairs == ["3<4"])
    // The cached statement is reusable after the nested use.
    var count = 0
    try database.query(sql, [.integer(0)]) { _ in
      count += 1
      return true
    }
    #expect(count == 4)
  }

  @Test("a failed write transaction leaves nothing; a committed one is seen by another connection")
  func transactions() throws {
    let (directory, path) = try temporaryPath()
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
    try database.execute("PRAGMA journal_mode = WAL; CREATE TABLE t(i INTEGER PRIMARY KEY)")
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      try database.writeTransaction {
        try database.run("INSERT INTO t VALUES (1)")
        throw Stop()
      }
    }
    try database.writeTransaction { try database.run("INSERT INTO t VALUES (2)") }
    let other = try SQLiteDatabase(path: path, mode: .readOnly)
    var rows: [Int64] = []
    try other.query("SELECT i FROM t") { row in
      rows.append(row.integer(0))
      return true
    }
    #expect(rows == [2])
    // A constraint violation is an error naming the database.
    #expect {
      try database.run("INSERT INTO t VALUES (2)")
    } throws: { error in
      let error = error as? SQLiteError
      return error?.primaryCode == 19 && error?.path == path
        && error?.message.contains("UNIQUE") == true
    }
  }

  @Test("errors name the file and say what kind of failure it is")
  func errors() throws {
    let (directory, path) = try temporaryPath()
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect {
      try SQLiteDatabase(path: directory.path + "/missing/x.sqlite", mode: .readWriteCreate)
    } throws: { error in
      let error = error as? SQLiteError
      return error?.isReadOnly == true && "\(error!)".contains("missing/x.sqlite")
    }
    #expect {
      try SQLiteDatabase(path: path, mode: .readOnly)
    } throws: { ($0 as? SQLiteError)?.isReadOnly == true }
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(repeating: 0x41, count: 4096))
    #expect {
      let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
      try database.execute("SELECT * FROM sqlite_master")
    } throws: { ($0 as? SQLiteError)?.isCorrupt == true }
    let database = try SQLiteDatabase(path: ":memory:", mode: .readWriteCreate)
    #expect {
      try database.execute("SELEC nonsense")
    } throws: { ($0 as? SQLiteError)?.message.contains("syntax error") == true }
  }

  @Test(
    "an immutable connection reads a file whose path holds URI-special and non-ASCII characters")
  func immutable() throws {
    let directory = try TestSupport.makeTemporaryDirectory("sqlite")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("ä %20 ?x=1 #frag.sqlite").path
    do {
      let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
      try database.execute("CREATE TABLE t(i INTEGER); INSERT INTO t VALUES (42);")
    }
    let reader = try SQLiteDatabase(path: path, mode: .immutable)
    var value: Int64 = 0
    try reader.query("SELECT i FROM t") { row in
      value = row.integer(0)
      return false
    }
    #expect(value == 42)
    #expect(throws: SQLiteError.self) { try reader.execute("INSERT INTO t VALUES (1)") }
    #expect(throws: SQLiteError.self) {
      let missing = try SQLiteDatabase(path: path + "-missing", mode: .immutable)
      try missing.execute("SELECT * FROM t")
    }
  }

  @Test("a temporary database works and leaves no file behind")
  func temporary() throws {
    let database = try SQLiteDatabase(path: "", mode: .temporary)
    try database.execute("CREATE TABLE t(b BLOB)")
    let big = [UInt8](repeating: 7, count: 1 << 20)
    try database.run("INSERT INTO t VALUES (?1)", [.blob(big)])
    var length: Int64 = 0
    try database.query("SELECT length(b) FROM t") { row in
      length = row.integer(0)
      return false
    }
    #expect(length == 1 << 20)
    #expect(database.path == "(temporary)")
  }
}
