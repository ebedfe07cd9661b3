import Foundation
import Parquet
import PondSQLite
import PondTestSupport
import TLogFS
import Tables
import Testing

/// A pond with the series `/s`: version 1 (time, a), 3 rows in hour 0 of 2024-06-01; version 2 (time, a,
/// b), 4 rows in hours 1 and 2, b holding 1.5, 2.5, 3.5, 4.5.
final class WideningFixture {
  let directory: URL
  let root: String
  private var files = 0

  static let hour: Int64 = 3_600_000_000
  static let start: Int64 = 1_717_200_000_000_000  // 2024-06-01T00:00:00Z
  static let narrow = "time:timestamp,a:double?"
  static let wide = "time:timestamp,a:double?,b:double?"

  init() throws {
    directory = try TestSupport.makeTemporaryDirectory("widening")
    root = directory.appendingPathComponent("pond").path
    try PondStore.create(root: root, birthplace: "test", commandLine: "init")
    try append(
      Self.narrow,
      [
        .int64s([0, 1, 2].map { Self.start + $0 * 600_000_000 }), .doubles([1, nil, 3]),
      ])
    try append(
      Self.wide,
      [
        .int64s([0, 1, 2, 3].map { Self.start + Self.hour + $0 * 1_800_000_000 }),
        .doubles([4, 5, 6, 7]), .doubles([1.5, 2.5, 3.5, 4.5]),
      ])
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  /// Writes `columns` with `schema` to a Parquet file and appends it to `path` as `pond copy --table
  /// --series` does; returns what was stored.
  @discardableResult
  func append(_ schema: String, _ columns: [ParquetColumnData], to path: String = "/s") throws
    -> TableCopy.Report
  {
    files += 1
    let file = directory.appendingPathComponent("v\(files).parquet").path
    _ = try ParquetWriter.write(
      path: file, schema: try TableSchema(parsing: schema).parquetSchema, columns: columns)
    return try store(file, to: path)
  }

  /// Stores the host file `file` (Parquet or CSV) as one more version of the series `path`.
  @discardableResult
  func store(_ file: String, to path: String = "/s") throws -> TableCopy.Report {
    let prepared = try TableCopy.prepare(
      file, to: path, series: true, schema: nil, timeColumn: nil,
      reading: try PondStore(root: root, mode: .read))
    return try prepared.store(
      into: try PondStore(root: root, mode: .write(wait: false)), commandLine: "copy")
  }

  var reader: PondStore { get throws { try PondStore(root: root, mode: .read) } }

  /// Every row of `sql` over the query table `s` (the series, or `pattern`).
  func query(_ sql: String, pattern: String = "/s") throws -> [[SQLiteValue]] {
    let store = try reader
    let engine = try QueryEngine()
    try engine.register(
      try PondQuery.table(named: "s", pattern: pattern, in: store, fileSystem: store.fileSystem()))
    return try rows(engine, sql)
  }
}

@Suite("A series of tables widens with new nullable columns")
struct SeriesWideningTests {
  @Test func theRuleAddsNullableColumnsAnywhereAndKeepsTheRest() throws {
    let latest = try TableSchema(parsing: "time:timestamp,a:double?,c:int64")
    for accepted in [
      "time:timestamp,a:double?,c:int64", "time:timestamp,a:double?,c:int64,b:string?",
      "time:timestamp,b:string?,a:double?,c:int64", "x:bool?,time:timestamp,a:double?,c:int64",
    ] {
      #expect(try TableSchema(parsing: accepted).refusal(toExtend: latest) == nil, "\(accepted)")
    }
    let refused: [(String, String)] = [
      ("time:timestamp,a:int64?,c:int64", "column a is int64 here, double in the series"),
      ("time:timestamp,c:int64", "column a is missing"),
      ("time:timestamp,a:double,c:int64", "column a is not nullable here, nullable in the series"),
      (
        "time:timestamp,a:double?,c:int64,b:string",
        "new column b is not nullable (a column added to a series must be nullable, written b:string?"
      ),
      (
        "time:timestamp,c:int64,b:bool?,a:double?",
        "the series' columns are in another order (time,c,a here, time,a,c in the series; new "
          + "columns may go anywhere, the others keep their order)"
      ),
    ]
    for (schema, reason) in refused {
      let refusal = try TableSchema(parsing: schema).refusal(toExtend: latest)
      #expect(refusal?.contains(reason) == true, "\(schema): \(refusal ?? "accepted")")
    }
  }

  @Test func theCheckNamesTheSeriesAndTheTimeColumn() throws {
    let latest = TableInfo(
      rows: 1, schema: "time:timestamp,a:double?", timeColumn: "time", timeRange: nil)
    try TableSeries.checkAppend(
      TableInfo(
        rows: 1, schema: "time:timestamp,a:double?,b:int64?", timeColumn: "time", timeRange: nil),
      onto: latest, series: "/s")
    try TableSeries.checkAppend(latest, onto: nil, series: "/s")
    #expect {
      try TableSeries.checkAppend(
        TableInfo(
          rows: 1, schema: "time:timestamp,a:double?,t:timestamp?", timeColumn: "t", timeRange: nil),
        onto: latest, series: "/s")
    } throws: { error in
      "\(error)" == "/s: the table's time column is t, the series' is time; nothing was appended"
    }
    #expect {
      try TableSeries.appendCheck(
        TableInfo(rows: 1, schema: "time:timestamp", timeColumn: "time", timeRange: nil),
        series: "/s")(latest)
    } throws: { error in
      "\(error)".hasPrefix(
        "/s: the table does not extend the series' schema (time:timestamp,a:double?)")
        && "\(error)".contains("column a is missing")
    }
  }

  @Test func aWidenedVersionIsStoredAndDescribed() throws {
    let pond = try WideningFixture()
    let store = try pond.reader
    let versions = try store.tableVersions("/s", in: store.fileSystem())
    #expect(versions.map(\.table.schema) == [WideningFixture.narrow, WideningFixture.wide])
    #expect(versions.map(\.table.rows) == [3, 4])
    #expect(
      try TableSeries.schema(of: versions, path: "/s")?.description == WideningFixture.wide)
  }

  @Test func sqlReadsTheColumnAnOlderVersionLacksAsNull() throws {
    let pond = try WideningFixture()
    #expect(
      try pond.query("SELECT count(b), count(*), count(a) FROM s") == [
        [.integer(4), .integer(7), .integer(6)]
      ])
    #expect(try pond.query("SELECT count(*) FROM s WHERE b IS NULL") == [[.integer(3)]])
    #expect(
      try pond.query("SELECT a, b FROM s ORDER BY time")
        == [
          [.real(1), .null], [.null, .null], [.real(3), .null], [.real(4), .real(1.5)],
          [.real(5), .real(2.5)], [.real(6), .real(3.5)], [.real(7), .real(4.5)],
        ])
    // Pushed-down time constraints still skip and read both kinds of version.
    #expect(
      try pond.query(
        "SELECT count(*), sum(b) FROM s WHERE time >= '2024-06-01T00:10:00Z' AND time < '2024-06-01T02:00:00Z'"
      )
        == [[.integer(4), .real(4)]])
    #expect(
      try pond.query("SELECT * FROM s LIMIT 1") == [
        [.text("2024-06-01T00:00:00.000000Z"), .real(1), .null]
      ])
  }

  @Test func atAnOlderVersionTheSeriesHasTheColumnsOfThatTime() throws {
    let pond = try WideningFixture()
    let store = try pond.reader
    let first = try #require(
      try store.tableVersions("/s", in: store.fileSystem()).first?.transaction)
    let engine = try QueryEngine()
    try engine.register(
      try PondQuery.table(
        named: "s", pattern: "/s", in: store, fileSystem: store.fileSystem(at: first)))
    #expect(
      try rows(engine, "SELECT * FROM s ORDER BY time DESC LIMIT 1")
        == [[.text("2024-06-01T00:20:00.000000Z"), .real(3)]])
  }

  /// What a collector that writes Parquet itself does: `checkParquet`, then `storeTable` with
  /// `TableSeries.appendCheck`, which refuses under the lock and commits nothing.
  @Test func aCollectorStoresThroughStoreTableWithTheCheck() throws {
    let pond = try WideningFixture()
    func store(_ schema: String, _ columns: [ParquetColumnData]) throws {
      let file = pond.directory.appendingPathComponent("collector.parquet").path
      try? FileManager.default.removeItem(atPath: file)
      _ = try ParquetWriter.write(
        path: file, schema: try TableSchema(parsing: schema).parquetSchema, columns: columns)
      let info = try TableImport.checkParquet(at: file)
      _ = try PondStore(root: pond.root, mode: .write(wait: false)).storeTable(
        parquetAt: file, describedBy: info, to: "/s", series: true, commandLine: "collector",
        check: TableSeries.appendCheck(info, series: "/s"))
    }
    let time = ParquetColumnData.int64s([WideningFixture.start + 4 * WideningFixture.hour])
    try store(
      "c:int64?,time:timestamp,a:double?,b:double?",
      [.int64s([1]), time, .doubles([2]), .doubles([3])])
    let head = try pond.reader.head
    #expect {
      try store(
        "time:timestamp,a:double?,b:double?,d:bool",
        [time, .doubles([2]), .doubles([3]), .booleans([true])])
    } throws: { error in
      "\(error)".contains("column c is missing; new column d is not nullable")
    }
    #expect(try pond.reader.head == head)
    #expect(try pond.query("SELECT count(c), count(*) FROM s") == [[.integer(1), .integer(8)]])
  }

  @Test func aGlobReadsSeriesOfNarrowerSchemasWithTheWidest() throws {
    let pond = try WideningFixture()
    try pond.append(
      WideningFixture.narrow, [.int64s([WideningFixture.start]), .doubles([9])], to: "/t")
    #expect(
      try pond.query(
        "SELECT capture1, count(*), count(b) FROM s GROUP BY capture1 ORDER BY 1", pattern: "/*")
        == [[.text("s"), .integer(7), .integer(4)], [.text("t"), .integer(1), .integer(0)]])
    try pond.append(
      "time:timestamp,a:double?,c:int64?",
      [.int64s([WideningFixture.start]), .doubles([9]), .int64s([1])],
      to: "/u")
    #expect {
      try pond.query("SELECT count(*) FROM s", pattern: "/*")
    } throws: { error in
      "\(error)".contains("do not extend") && "\(error)".contains("column")
    }
  }

  @Test(arguments: [
    ("time:timestamp,a:int64?,b:double?", "column a is int64 here, double in the series"),
    ("time:timestamp,b:double?", "column a is missing"),
    ("time:timestamp,a:double?,b:double?,c:int64", "new column c is not nullable"),
    ("time:timestamp,b:double?,a:double?", "the series' columns are in another order"),
  ])
  func refusalsCommitNothing(schema: String, reason: String) throws {
    let pond = try WideningFixture()
    let head = try pond.reader.head
    let schemaColumns = try TableSchema(parsing: schema).columns
    let columns: [ParquetColumnData] = schemaColumns.map { column in
      switch column.type {
      case .timestamp: .int64s([WideningFixture.start + 5 * WideningFixture.hour])
      case .int64: .int64s([1])
      default: .doubles([1])
      }
    }
    #expect {
      try pond.append(schema, columns)
    } throws: { error in
      let text = "\(error)"
      return text.hasPrefix(
        "/s: the table does not extend the series' schema (\(WideningFixture.wide))")
        && text.contains(reason) && text.hasSuffix("nothing was appended")
    }
    let store = try pond.reader
    #expect(store.head == head)
    #expect(try store.tableVersions("/s", in: store.fileSystem()).count == 2)
  }

  @Test func aCSVWithANewColumnWidensTheSeries() throws {
    let pond = try WideningFixture()
    let csv = pond.directory.appendingPathComponent("day.csv")
    try Data("b,time,a,site\n7.5,2024-06-01T05:00:00Z,8,north\n,2024-06-01T05:30:00Z,9,\n".utf8)
      .write(to: csv)
    let report = try pond.store(csv.path)
    #expect(report.table.schema == WideningFixture.wide + ",site:string?")
    #expect(
      try pond.query("SELECT count(*), count(site), group_concat(site), sum(b) FROM s")
        == [[.integer(9), .integer(1), .text("north"), .real(19.5)]])
    // A CSV lacking a column of the series is refused as before, naming it.
    let short = pond.directory.appendingPathComponent("short.csv")
    try Data("time,a,x\n2024-06-01T06:00:00Z,1,2\n".utf8).write(to: short)
    #expect {
      try pond.store(short.path)
    } throws: { error in
      "\(error)".contains(
        "line 1, column b: the series has column b (\(WideningFixture.wide),site:string?), the header does not"
      )
    }
  }

  @Test func reduceReadsAConfiguredColumnAnOlderVersionLacksAsNulls() throws {
    let pond = try WideningFixture()
    let configuration = try ReduceConfiguration(
      yaml: """
        reduce:
          input: /s
          output: /r
          resolutions: 1h
        columns:
          a: count
          b: avg, count
        """, path: "reduce.yaml")
    // Hour 3 closes hour 2.
    try pond.append(
      WideningFixture.wide,
      [.int64s([WideningFixture.start + 3 * WideningFixture.hour]), .doubles([0]), .doubles([0])])
    let report = try TableReduce.run(
      configuration, on: try PondStore(root: pond.root, mode: .write(wait: false)), rebuild: false,
      commandLine: "pond reduce")
    #expect(report.inputs.first?.buckets == ["1h": 3])
    let rows = try pond.query(
      "SELECT time, a_count, b_avg, b_count FROM s ORDER BY time", pattern: "/r/res=1h")
    #expect(
      rows == [
        [.text("2024-06-01T00:00:00.000000Z"), .integer(2), .null, .integer(0)],
        [.text("2024-06-01T01:00:00.000000Z"), .integer(2), .real(2), .integer(2)],
        [.text("2024-06-01T02:00:00.000000Z"), .integer(2), .real(4), .integer(2)],
      ])
  }
}

/// Runs DuckDB and pyarrow on the export directory argv[1] (the series' directory argv[2], hive when
/// argv[3] is "hive"): DuckDB's `count(b), count(*)` and the rows where b is null, without union_by_name;
/// pyarrow's dataset column names and its count of b.
private let readExport =
  """
  import os, sys
  def main():
      import duckdb, pyarrow.dataset as ds
      out, series, hive = sys.argv[1], sys.argv[2], sys.argv[3] == "hive"
      con = duckdb.connect()
      row = con.execute("SELECT count(b), count(*), count(*) FILTER (WHERE b IS NULL) FROM read_parquet('%s/**/*.parquet')" % out).fetchone()
      sys.stdout.write("duckdb %d %d %d\\n" % row)
      t = ds.dataset(series, format="parquet", partitioning="hive" if hive else None).to_table()
      sys.stdout.write("pyarrow %s %d %d\\n" % (",".join(t.column_names), t.num_rows, t.column("b").null_count))
  """ + TestSupport.pythonMainTrailer

@Suite(
  "An export of a widened series: every file has the series' schema", .serialized,
  .enabled(if: TestSupport.interopEnabled, "needs .venv with pyarrow and duckdb: run `make deps`"))
struct WideningExportTests {
  @Test(arguments: [nil, "year,month,day"])
  func duckDBAndPyarrowReadEveryColumn(temporal: String?) throws {
    let pond = try WideningFixture()
    let store = try pond.reader
    let out = pond.directory.appendingPathComponent("out").path
    let reports = try Export.run(
      ["/s"], from: store, in: store.fileSystem(), to: out,
      partitioning: try temporal.map { try ExportPartitioning(parsing: $0) })
    #expect(reports.map(\.widenedVersions) == [1])
    #expect(reports.map(\.rows) == [7])
    let files = try #require(FileManager.default.enumerator(atPath: out))
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".parquet") }
    #expect(!files.isEmpty)
    for file in files {
      let schema = try TableSchema(parquet: try ParquetReader(path: out + "/" + file).schema)
      #expect(schema.description == WideningFixture.wide, "\(file)")
    }
    let result = try TestSupport.runPython(
      readExport, [out, out + "/s", temporal == nil ? "plain" : "hive"])
    #expect(result.status == 0, "python: \(result.stderrText)")
    let partitions = temporal == nil ? "" : ",year,month,day"
    #expect(
      result.stdoutText.split(separator: "\n").map(String.init) == [
        "duckdb 4 7 3", "pyarrow time,a,b\(partitions) 7 3",
      ])
  }
}
