import Foundation
import Parquet
import PondTestSupport
import Testing
import TinyFS

@testable import TLogFS

/// Tables and series of tables as TLogFS stores them: the rows' table columns, the index, time travel, the
/// Delta schema gaining the table columns in a pond made before them.
@Suite struct TableStorageTests {
  /// A Parquet file of `rows` readings (time, value) from `start` (µs), one a minute; its path and description.
  static func parquetTable(
    _ pond: TestPond, _ name: String, rows: Int, start: Int64, pad: Int = 0
  ) throws -> (path: String, info: TableInfo) {
    let path = pond.directory.appendingPathComponent(name).path
    let schema = try ParquetSchema([
      ParquetColumn(name: "time", type: .timestamp, nullable: false),
      ParquetColumn(name: "value", type: .int64, nullable: false),
      ParquetColumn(name: "note", type: .string, nullable: false),
    ])
    let times = (0..<rows).map { start + Int64($0) * 60_000_000 }
    // Incompressible notes make a large table when `pad` asks for one.
    let notes = (0..<rows).map { index in
      String(
        pseudoRandomBytes(pad, seed: UInt64(index + 1)).map {
          "abcdefghijklmnop".randomElementFixed($0)
        })
    }
    _ = try ParquetWriter.write(
      path: path, schema: schema,
      columns: [.int64s(times), .int64s((0..<rows).map { Int64($0) }), .strings(notes)])
    let info = TableInfo(
      rows: Int64(rows), schema: "time:timestamp,value:int64,note:string", timeColumn: "time",
      timeRange: rows == 0 ? nil : times.first!...times.last!)
    return (path, info)
  }

  @Test(
    "a table's versions and a series' appends read back with their descriptions, at every version")
  func storeAndTravel() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let small = try Self.parquetTable(pond, "a.parquet", rows: 10, start: 0)
    let large = try Self.parquetTable(pond, "b.parquet", rows: 2_000, start: 600_000_000, pad: 200)
    #expect(try FileManager.default.attributesOfItem(atPath: large.path)[.size] as! Int >= 65_536)
    var versions: [Int64] = []
    do {
      let store = try pond.writer()
      for (file, series) in [(small, false), (small, true), (large, true)] {
        var seen: [TableInfo?] = []
        _ = try store.storeTable(
          parquetAt: file.path, describedBy: file.info, to: series ? "/s" : "/t", series: series,
          commandLine: "test"
        ) { seen.append($0) }
        #expect(seen.count == 1)
        versions.append(store.head)
      }
      // A move keeps the series' versions and adds none.
      try store.change(commandLine: "mv") { try $0.rename("/s", to: "/moved") }
      versions.append(store.head)
    }
    let store = try pond.reader()
    let atEnd = try store.tableVersions("/moved", in: try store.fileSystem())
    #expect(atEnd.map(\.table) == [small.info, large.info])
    #expect(atEnd.map(\.transaction) == [versions[1], versions[2]])
    let bytes = try atEnd.map { version -> [UInt8] in
      switch try store.tableContent(version) {
      case .bytes(let bytes): return bytes
      case .file(let path):
        #expect(path.contains("/local/tables/sha256="))
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      }
    }
    #expect(bytes[0] == [UInt8](try Data(contentsOf: URL(fileURLWithPath: small.path))))
    #expect(bytes[1] == [UInt8](try Data(contentsOf: URL(fileURLWithPath: large.path))))
    // Time travel: at the first append the series has one version.
    let early = try store.tableVersions("/s", in: try store.fileSystem(at: versions[1]))
    #expect(early.map(\.table) == [small.info])
    #expect(try store.tableVersions("/t", in: try store.fileSystem()).map(\.table) == [small.info])
    #expect(throws: PondError.self) { try store.tableVersions("/", in: try store.fileSystem()) }
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.isEmpty, "\(report.problems)")
    // The index is derived: rebuilt from the log, it describes the tables alike.
    try FileManager.default.removeItem(atPath: pond.root + "/local/index.sqlite")
    let rebuilt = try pond.reader()
    #expect(
      try rebuilt.tableVersions("/moved", in: try rebuilt.fileSystem()).map(\.table) == [
        small.info, large.info,
      ])
  }

  @Test("a refused check, or a table over another kind of node, writes nothing")
  func refusals() throws {
    let pond = try TestPond()
    defer { pond.cleanup() }
    let table = try Self.parquetTable(pond, "a.parquet", rows: 3, start: 0)
    let store = try pond.writer()
    _ = try store.copyIn(
      hostSources: [try pond.hostFile("f", [1, 2, 3])], to: "/f", series: false, commandLine: "cp")
    let head = store.head
    struct Refused: Error {}
    #expect(throws: Refused.self) {
      _ = try store.storeTable(
        parquetAt: table.path, describedBy: table.info, to: "/t", series: true, commandLine: "t"
      ) { _ in throw Refused() }
    }
    #expect(throws: PondError.self) {
      _ = try store.storeTable(
        parquetAt: table.path, describedBy: table.info, to: "/f", series: false, commandLine: "t"
      ) { _ in }
    }
    _ = try store.storeTable(
      parquetAt: table.path, describedBy: table.info, to: "/t", series: false, commandLine: "t"
    ) { _ in }
    #expect(store.head == head + 1)
    // A table is not a series of tables, nor a file to overwrite.
    #expect(throws: PondError.self) {
      _ = try store.storeTable(
        parquetAt: table.path, describedBy: table.info, to: "/t", series: true, commandLine: "t"
      ) { _ in }
    }
    #expect(throws: (any Error).self) {
      _ = try store.copyIn(
        hostSources: [try pond.hostFile("g", [1])], to: "/t", series: false, commandLine: "cp")
    }
    #expect(store.head == head + 1)
  }

  @Test("a pond made before tables gains the table columns with its first table, once")
  func schemaEvolution() throws {
    let directory = try TestSupport.makeTemporaryDirectory("tables-evolution")
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = directory.appendingPathComponent("pond").path
    try PondStore.create(root: root, birthplace: "t", commandLine: "init", withTables: false)
    let pond = TestPond(existing: directory)
    let table = try Self.parquetTable(pond, "a.parquet", rows: 5, start: 1_000)
    let store = try pond.writer()
    _ = try store.copyIn(
      hostSources: [try pond.hostFile("f", [1, 2, 3])], to: "/f", series: false, commandLine: "cp")
    for _ in 0..<2 {
      _ = try store.storeTable(
        parquetAt: table.path, describedBy: table.info, to: "/s", series: true, commandLine: "t"
      ) { _ in }
    }
    let log = try (0...3).map {
      try String(
        contentsOfFile: root + "/data/_delta_log/" + String(format: "%020d.json", $0),
        encoding: .utf8)
    }
    #expect(log.map { $0.contains("\"metaData\"") } == [true, false, true, false])
    #expect(!log[0].contains("table_rows") && log[2].contains("table_rows"))
    // Every engine reads every version: data files before the change lack the columns (nulls).
    let script = """
      import os, sys, deltalake
      def main():
          for version in range(4):
              t = deltalake.DeltaTable(sys.argv[1], version=version).to_pyarrow_table()
              has = "table_rows" in t.column_names
              rows = [r for r in t.column("table_rows").to_pylist() if r is not None] if has else []
              print(version, t.num_rows, has, rows)
      """ + TestSupport.pythonMainTrailer
    let result = try TestSupport.runPython(script, [root + "/data"])
    #expect(result.status == 0, "\(result.stderrText)")
    #expect(
      result.stdoutText.split(separator: "\n") == [
        "0 1 False []", "1 3 False []", "2 5 True [5]", "3 6 True [5, 5]",
      ])
    let report = try PondStore.check(root: root)
    #expect(report.problems.isEmpty, "\(report.problems)")
  }
}

extension String {
  fileprivate func randomElementFixed(_ byte: UInt8) -> Character {
    self[index(startIndex, offsetBy: Int(byte) % count)]
  }
}
