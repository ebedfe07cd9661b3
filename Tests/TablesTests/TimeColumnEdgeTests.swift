import Foundation
import Parquet
import PondTestSupport
import Testing

@testable import Tables

/// The time column at its edges: stored times at the ends of Int64 (sentinels) convert to microseconds
/// clamped, never overflowing (a query, a reduce and a table's recorded range all go through
/// `ParquetTimeUnitScale`); a comparison under another collation is not pushed down.
@Suite struct TimeColumnEdgeTests {
  @Test func millisecondSentinelsClampInsteadOfTrapping() throws {
    let scale = ParquetTimeUnitScale(perSecond: 1000)
    #expect(scale.microseconds(Int64.max) == Int64.max)
    #expect(scale.microseconds(Int64.min) == Int64.min)
    #expect(scale.microseconds(-1) == -1000)
    #expect(ParquetTimeUnitScale(perSecond: 1_000_000_000).microseconds(-1) == -1)
    #expect(TimeRange.microseconds(-1, perSecond: 1_000_000_000) == -1...0)
    #expect(TimeRange.microseconds(Int64.max, perSecond: 1000) == Int64.max...Int64.max)
  }

  @Test func aQueryOverASentinelAnswers() throws {
    let directory = try TestSupport.makeTemporaryDirectory("time-overflow")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("t.parquet").path
    let schema = try ParquetSchema([
      ParquetColumn(
        name: "time", physicalType: .int64,
        logicalType: .timestamp(unit: .milliseconds, isAdjustedToUTC: true), nullable: false),
      ParquetColumn(name: "v", type: .int64, nullable: false),
    ])
    _ = try ParquetWriter.write(
      path: path, schema: schema, columns: [.int64s([0, 1000, Int64.max]), .int64s([1, 2, 3])])
    let engine = try QueryEngine()
    try engine.register(
      QueryTable(
        name: "t", schema: schema, timeColumn: "time",
        sources: [ParquetSource(name: "t") { try ParquetReader(path: path) }]))
    // The page's bounds (0 ... the sentinel) are computed without overflowing; the sentinel row lies
    // outside the range and is never formatted.
    var answer: [String] = []
    try engine.run("SELECT count(*) FROM t WHERE time < '1970-01-01T00:00:02Z'") { values in
      answer.append("\(values)")
      return true
    }
    #expect(answer == ["[PondSQLite.SQLiteValue.integer(2)]"])
    // Formatting the sentinel as text is refused with an error naming it, not a trap.
    #expect(throws: QueryError.self) {
      try engine.run("SELECT max(time) FROM t") { _ in true }
    }
  }

  @Test func anotherCollationIsNotPushedDown() throws {
    let directory = try TestSupport.makeTemporaryDirectory("time-collation")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("t.parquet").path
    let schema = try ParquetSchema([ParquetColumn(name: "time", type: .timestamp, nullable: false)])
    // 2023-12-31T23:00:00Z: before 2024-01-01T00:00:00+02:00 in bytes, after it in time.
    _ = try ParquetWriter.write(
      path: path, schema: schema, columns: [.int64s([1_704_063_600_000_000])])
    let engine = try QueryEngine()
    try engine.register(
      QueryTable(
        name: "t", schema: schema, timeColumn: "time",
        sources: [ParquetSource(name: "t") { try ParquetReader(path: path) }]))
    func count(_ condition: String) throws -> String {
      var answer = ""
      try engine.run("SELECT count(*) FROM t WHERE \(condition)") { values in
        answer = "\(values)"
        return true
      }
      return answer
    }
    #expect(
      try count("time < '2024-01-01T00:00:00+02:00'") == "[PondSQLite.SQLiteValue.integer(0)]")
    #expect(
      try count("time COLLATE BINARY < '2024-01-01T00:00:00+02:00'")
        == "[PondSQLite.SQLiteValue.integer(1)]")
  }
}
