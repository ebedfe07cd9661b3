import Foundation
import Parquet
import PondSQLite
import PondTestSupport
import PondTime
import Testing

@testable import Tables

/// Files of two series and a glob of sites, written once per test, with the query tables over them.
final class QueryFixture {
  let scratch: ScratchDirectory
  /// Day files of series `a` (µs UTC timestamps, written by ParquetWriter with small pages).
  var aFiles: [String] = []
  /// Series `b` (ms UTC timestamps and FLOAT values, written by pyarrow).
  var bFile: String?
  /// Sites of the glob table `g`, with their files.
  var sites: [(name: String, path: String)] = []
  let opens = OpenCounter()

  static let start: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00:00Z
  static let aSchema = try! ParquetSchema([
    ParquetColumn(name: "time", type: .timestamp, nullable: false),
    ParquetColumn(name: "temp", physicalType: .double, nullable: true),
    ParquetColumn(name: "station", type: .string, nullable: true),
    ParquetColumn(name: "ok", type: .boolean, nullable: false),
    ParquetColumn(name: "count", type: .int32, nullable: true),
  ])

  init(days: Int = 3, step: Int64 = 30_000_000, pageRows: Int = 500) throws {
    scratch = try ScratchDirectory("query-test")
    let perDay = Int(86_400_000_000 / step)
    for day in 0..<days {
      var times: [Int64?] = []
      var temps: [Double?] = []
      var stations: [String?] = []
      var oks: [Bool?] = []
      var counts: [Int32?] = []
      for index in 0..<perDay {
        let row = day * perDay + index
        times.append(Self.start + Int64(row) * step)
        temps.append(row % 17 == 3 ? nil : 10 + 8 * sin(Double(row) / 300) + Double(row % 7) / 10)
        stations.append(row % 11 == 0 ? nil : ["alpha", "beta", "gamma,\"q\""][row % 3])
        oks.append(row % 5 != 0)
        counts.append(row % 13 == 0 ? nil : Int32(row % 1000) - 500)
      }
      let path = scratch.path("a-day\(day).parquet")
      _ = try ParquetWriter.write(
        path: path, schema: Self.aSchema,
        columns: [
          .int64s(times), .doubles(temps), .strings(stations), .booleans(oks), .int32s(counts),
        ],
        options: ParquetWriterOptions(maximumPageRows: pageRows, syncsOnFinish: false))
      aFiles.append(path)
    }
  }

  /// The range of day `day` of series `a`, as the pond's metadata would give it.
  func dayRange(_ day: Int) -> ClosedRange<Int64> {
    let first = Self.start + Int64(day) * 86_400_000_000
    return first...(first + 86_400_000_000 - 30_000_000)
  }

  func aTable(knownRanges: Bool = true) -> QueryTable {
    QueryTable(
      name: "a", schema: Self.aSchema, timeColumn: "time",
      sources: aFiles.enumerated().map { day, path in
        ParquetSource(name: path, timeRange: knownRanges ? dayRange(day) : nil) {
          [opens] in
          opens.add(path)
          return try ParquetReader(path: path)
        }
      })
  }

  /// Writes series `b` with pyarrow: every 60 s over the first two days, `level` FLOAT with nulls.
  func writeB() throws -> QueryTable {
    let path = scratch.path("b.parquet")
    let script = """
      import sys, os
      import pyarrow as pa, pyarrow.parquet as pq
      def main():
          n = 2880
          start = 1704067200000
          times = pa.array([start + i * 60000 for i in range(n)], pa.timestamp("ms", tz="UTC"))
          levels = pa.array([None if i % 9 == 4 else (i % 50) * 0.25 - 3 for i in range(n)], pa.float32())
          pq.write_table(pa.table({"time": times, "level": levels}), sys.argv[1],
                         data_page_size=2048, row_group_size=1000)
      """ + QueryFixture.pythonMain
    let result = try TestSupport.runPython(script, [path])
    #expect(result.status == 0, "\(result.stderrText)")
    bFile = path
    let reader = try ParquetReader(path: path)
    return QueryTable(
      name: "b", schema: reader.schema, timeColumn: "time",
      sources: [ParquetSource(name: path) { try ParquetReader(path: path) }])
  }

  /// Writes the glob table `g`: one file per site, with `site` as the capture column.
  func writeSites() throws -> QueryTable {
    let schema = try ParquetSchema([
      ParquetColumn(name: "time", type: .timestamp, nullable: false),
      ParquetColumn(name: "temp", physicalType: .double, nullable: true),
    ])
    var sources: [ParquetSource] = []
    for (number, site) in ["north", "south", "east"].enumerated() {
      let count = 100 * (number + 1)
      let times = (0..<count).map { Optional(Self.start + Int64($0) * 3_600_000_000) }
      let temps = (0..<count).map { $0 % 10 == 9 ? nil : Optional(Double(number) + Double($0) / 8) }
      let path = scratch.path("site-\(site).parquet")
      _ = try ParquetWriter.write(
        path: path, schema: schema, columns: [.int64s(times), .doubles(temps)],
        options: ParquetWriterOptions(maximumPageRows: 64, syncsOnFinish: false))
      sites.append((site, path))
      sources.append(ParquetSource(name: path, captures: [site]) { try ParquetReader(path: path) })
    }
    return QueryTable(
      name: "g", schema: schema, timeColumn: "time", captureColumns: ["site"], sources: sources)
  }

  static let pythonMain = TestSupport.pythonMainTrailer

  /// DuckDB's rows for each query, over views `a`, `b` and `g` of the same files (one process for all: a
  /// script's start costs most of a second).
  func duckDB(_ queries: [String]) throws -> [[[SQLiteValue]]] {
    var views: [String] = []
    func list(_ paths: [String]) -> String {
      "[" + paths.map { "'\($0)'" }.joined(separator: ",") + "]"
    }
    views.append("CREATE VIEW a AS SELECT * FROM read_parquet(\(list(aFiles)))")
    if let bFile { views.append("CREATE VIEW b AS SELECT * FROM read_parquet('\(bFile)')") }
    if !sites.isEmpty {
      let parts = sites.map { "SELECT *, '\($0.name)' AS site FROM read_parquet('\($0.path)')" }
      views.append("CREATE VIEW g AS " + parts.joined(separator: " UNION ALL "))
    }
    let script = """
      import sys, os, json, math
      import duckdb
      def main():
          con = duckdb.connect()
          con.execute("SET TimeZone='UTC'")
          for view in json.loads(sys.argv[1]):
              con.execute(view)
          results = []
          for sql in json.loads(sys.argv[2]):
              results.append(rows(con.execute(sql).fetchall()))
          print(json.dumps(results))
      def rows(fetched):
          out = []
          for row in fetched:
              cells = []
              for v in row:
                  if v is None: cells.append(None)
                  elif isinstance(v, bool): cells.append(["i", str(int(v))])
                  elif isinstance(v, int): cells.append(["i", str(v)])
                  elif isinstance(v, float): cells.append(["r", repr(v)])
                  else: cells.append(["t", str(v)])
              out.append(cells)
          return out
      """ + QueryFixture.pythonMain
    func json(_ value: [String]) throws -> String {
      String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }
    let result = try TestSupport.runPython(script, [try json(views), try json(queries)])
    guard result.status == 0 else {
      Issue.record("duckdb failed: \(result.stderrText)")
      return []
    }
    let results = try JSONSerialization.jsonObject(with: result.stdout) as! [[[Any]]]
    return results.map {
      $0.map { row in
        row.map { cell -> SQLiteValue in
          guard let tagged = cell as? [String], tagged.count == 2 else { return .null }
          switch tagged[0] {
          case "i": return .integer(Int64(tagged[1])!)
          case "r": return .real(Double(tagged[1])!)
          default: return .text(tagged[1])
          }
        }
      }
    }
  }
}

/// Counts how often each source is opened.
final class OpenCounter: @unchecked Sendable {
  // Safe: every access holds `lock`.
  private let lock = NSLock()
  private var paths: [String] = []

  func add(_ path: String) { lock.withLock { paths.append(path) } }
  var opened: [String] { lock.withLock { paths } }
}

/// Every row of `sql`.
func rows(_ engine: QueryEngine, _ sql: String) throws -> [[SQLiteValue]] {
  var result: [[SQLiteValue]] = []
  try engine.run(sql) { row in
    result.append(row)
    return true
  }
  return result
}

/// Whether our rows equal DuckDB's: integers and texts exactly, reals within 1e-9 relative.
func expectSame(
  _ ours: [[SQLiteValue]], _ theirs: [[SQLiteValue]],
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(ours.count == theirs.count, "row counts differ", sourceLocation: sourceLocation)
  for (rowIndex, (mine, other)) in zip(ours, theirs).enumerated() {
    #expect(mine.count == other.count, sourceLocation: sourceLocation)
    for (column, (value, expected)) in zip(mine, other).enumerated() {
      let same: Bool
      switch (value, expected) {
      case (.real(let number), .real(let reference)):
        same =
          number == reference || abs(number - reference) <= 1e-9 * max(abs(number), abs(reference))
      default: same = value == expected
      }
      #expect(
        same, "row \(rowIndex) column \(column): ours \(value), DuckDB's \(expected)",
        sourceLocation: sourceLocation)
    }
  }
}

@Suite(
  .enabled(if: TestSupport.interopEnabled, "needs .venv with pyarrow and duckdb: run `make deps`"))
struct QueryAgainstDuckDBTests {
  /// SQLite's query and DuckDB's for the same question.
  static let cases: [(ours: String, duckdb: String)] = [
    (
      "SELECT count(*), count(temp), count(station), sum(ok), sum(count) FROM a",
      "SELECT count(*), count(temp), count(station), sum(ok::INTEGER), sum(count) FROM a"
    ),
    (
      "SELECT min(temp), max(temp), min(time), max(time), min(station), max(count) FROM a",
      "SELECT min(temp), max(temp), strftime(min(time), '%Y-%m-%dT%H:%M:%S.%fZ'), "
        + "strftime(max(time), '%Y-%m-%dT%H:%M:%S.%fZ'), min(station), max(count) FROM a"
    ),
    (
      "SELECT strftime('%Y-%m-%dT%H:00:00Z', time) AS hour, avg(temp), count(*) FROM a "
        + "GROUP BY hour ORDER BY hour",
      "SELECT strftime(time, '%Y-%m-%dT%H:00:00Z') AS hour, avg(temp), count(*) FROM a "
        + "GROUP BY hour ORDER BY hour"
    ),
    (
      "SELECT count(*), avg(temp), min(time) FROM a "
        + "WHERE time >= '2024-01-02T00:00:00Z' AND time < '2024-01-02T06:00:00Z'",
      "SELECT count(*), avg(temp), strftime(min(time), '%Y-%m-%dT%H:%M:%S.%fZ') FROM a "
        + "WHERE time >= TIMESTAMPTZ '2024-01-02 00:00:00+00' AND time < TIMESTAMPTZ '2024-01-02 06:00:00+00'"
    ),
    (
      "SELECT count(*) FROM a WHERE time > '2024-01-02T01:00:00.5+01:00' AND time <= '2024-01-03'",
      "SELECT count(*) FROM a WHERE time > TIMESTAMPTZ '2024-01-02 00:00:00.5+00' "
        + "AND time <= TIMESTAMPTZ '2024-01-03 00:00:00+00'"
    ),
    (
      "SELECT count(*) FROM a WHERE time = '2024-01-02T12:00:30Z'",
      "SELECT count(*) FROM a WHERE time = TIMESTAMPTZ '2024-01-02 12:00:30+00'"
    ),
    (
      "SELECT station, count(*), avg(temp) FROM a WHERE temp IS NOT NULL AND count > 0 "
        + "GROUP BY station ORDER BY station",
      "SELECT station, count(*), avg(temp) FROM a WHERE temp IS NOT NULL AND count > 0 "
        + "GROUP BY station ORDER BY station NULLS FIRST"
    ),
    (
      "SELECT count(*), avg(a.temp - b.level), sum(b.level IS NULL) FROM a JOIN b ON a.time = b.time "
        + "WHERE a.time < '2024-01-01T08:00:00Z'",
      "SELECT count(*), avg(a.temp - b.level), sum((b.level IS NULL)::INTEGER) FROM a JOIN b ON a.time = b.time "
        + "WHERE a.time < TIMESTAMPTZ '2024-01-01 08:00:00+00'"
    ),
    (
      "SELECT count(*), min(level), max(level), avg(level) FROM b",
      "SELECT count(*), min(level)::DOUBLE, max(level)::DOUBLE, avg(level) FROM b"
    ),
    (
      "SELECT site, count(*), count(temp), avg(temp), max(time) FROM g GROUP BY site ORDER BY site",
      "SELECT site, count(*), count(temp), avg(temp), strftime(max(time), '%Y-%m-%dT%H:%M:%S.%fZ') "
        + "FROM g GROUP BY site ORDER BY site"
    ),
    (
      "SELECT site, temp FROM g WHERE time = '2024-01-03T02:00:00Z' ORDER BY site",
      "SELECT site, temp FROM g WHERE time = TIMESTAMPTZ '2024-01-03 02:00:00+00' ORDER BY site"
    ),
  ]

  @Test func resultsEqualDuckDBs() throws {
    let fixture = try QueryFixture()
    let engine = try QueryEngine()
    try engine.register(fixture.aTable())
    try engine.register(fixture.writeB())
    try engine.register(fixture.writeSites())
    let expected = try fixture.duckDB(Self.cases.map(\.duckdb))
    try #require(expected.count == Self.cases.count)
    for ((ours, _), theirs) in zip(Self.cases, expected) {
      let mine = try rows(engine, ours)
      #expect(!mine.isEmpty, "\(ours)")
      expectSame(mine, theirs)
    }
  }
}

@Suite struct QueryEngineTests {
  @Test func syntaxErrorsCarrySQLitesMessageAndPosition() throws {
    let fixture = try QueryFixture(days: 1)
    let engine = try QueryEngine()
    try engine.register(fixture.aTable())
    let sql = "SELECT count(*) FROM a WHERE WHERE temp > 3"
    let error = try #require(throws: SQLStatementError.self) { try engine.prepare(sql) }
    #expect(error.message == "near \"WHERE\": syntax error")
    #expect(error.offset == 29)
    let unknown = try #require(throws: SQLStatementError.self) {
      try engine.prepare("SELECT nope FROM a")
    }
    #expect("\(unknown)" == "SQL: no such column: nope\n  SELECT nope FROM a\n         ^ (byte 7)")
    #expect(unknown.message == "no such column: nope")
    #expect(unknown.offset == 7)
  }

  @Test func writesAreRefused() throws {
    let engine = try QueryEngine()
    #expect(throws: SQLiteError.self) {
      _ = try rows(engine, "CREATE TABLE t(x)")
    }
  }

  @Test func sourcesOutsideTheTimeRangeAreNotOpened() throws {
    let fixture = try QueryFixture(days: 3)
    let engine = try QueryEngine()
    try engine.register(fixture.aTable())
    let result = try rows(
      engine,
      "SELECT count(*) FROM a WHERE time >= '2024-01-02T10:00:00Z' AND time < '2024-01-02T11:00:00Z'"
    )
    #expect(result == [[.integer(120)]])
    #expect(fixture.opens.opened == [fixture.aFiles[1]])
    // A query without time constraints opens every file.
    _ = try rows(engine, "SELECT count(*) FROM a")
    #expect(fixture.opens.opened.count == 4)
    // An impossible range opens none.
    _ = try rows(engine, "SELECT count(*) FROM a WHERE time > '2030-01-01' AND time < '2031-01-01'")
    #expect(fixture.opens.opened.count == 4)
  }

  @Test func pagesAndRowsOutsideTheRangeAreSkippedWithoutKnownRanges() throws {
    // Pages of 50 rows: most are passed over whole by their time bounds.
    let fixture = try QueryFixture(days: 2, pageRows: 50)
    let engine = try QueryEngine()
    try engine.register(fixture.aTable(knownRanges: false))
    let result = try rows(
      engine,
      "SELECT count(*), min(time), max(time) FROM a "
        + "WHERE time BETWEEN '2024-01-01T23:59:00Z' AND '2024-01-02T00:01:00Z'")
    #expect(
      result == [
        [
          .integer(5), .text("2024-01-01T23:59:00.000000Z"),
          .text("2024-01-02T00:01:00.000000Z"),
        ]
      ])
    #expect(fixture.opens.opened.count == 2)
  }

  @Test func manySmallPagesStreamInOrder() throws {
    let fixture = try QueryFixture(days: 1, step: 1_000_000, pageRows: 100)
    let engine = try QueryEngine()
    try engine.register(fixture.aTable())
    var count = 0
    var previous = ""
    try engine.run("SELECT time, count FROM a") { row in
      guard case .text(let time) = row[0] else { return false }
      #expect(time > previous)
      previous = time
      let expected: SQLiteValue = count % 13 == 0 ? .null : .integer(Int64(count % 1000 - 500))
      #expect(row[1] == expected)
      count += 1
      return true
    }
    #expect(count == 86_400)
  }

  @Test func typesAreMappedAsDocumented() throws {
    let scratch = try ScratchDirectory("query-types")
    let path = scratch.path("types.parquet")
    let script = """
      import sys, os, datetime
      import pyarrow as pa, pyarrow.parquet as pq
      def main():
          t = pa.table({
              "ms": pa.array([1704067200123, None], pa.timestamp("ms", tz="UTC")),
              "ns": pa.array([1704067200123456789, 0], pa.timestamp("ns")),
              "d": pa.array([datetime.date(2024, 2, 29), None], pa.date32()),
              "f": pa.array([1.5, None], pa.float32()),
              "b": pa.array([True, False]),
              "s": pa.array(["h\\u00e9", None]),
              "bin": pa.array([b"\\x00\\xff", b""]),
              "i64": pa.array([-(2**63), 2**63 - 1], pa.int64()),
          })
          pq.write_table(t, sys.argv[1])
      """ + QueryFixture.pythonMain
    guard TestSupport.interopEnabled else { return }
    let result = try TestSupport.runPython(script, [path])
    try #require(result.status == 0, "\(result.stderrText)")
    let reader = try ParquetReader(path: path)
    let engine = try QueryEngine()
    try engine.register(
      QueryTable(
        name: "t", schema: reader.schema, timeColumn: "ms",
        sources: [ParquetSource(name: path) { try ParquetReader(path: path) }]))
    let all = try rows(engine, "SELECT * FROM t")
    #expect(
      all == [
        [
          .text("2024-01-01T00:00:00.123000Z"), .text("2024-01-01T00:00:00.123456789"),
          .text("2024-02-29"), .real(1.5), .integer(1), .text("hé"), .blob([0, 255]),
          .integer(Int64.min),
        ],
        [
          .null, .text("1970-01-01T00:00:00.000000000"), .null, .null, .integer(0), .null,
          .blob([]), .integer(Int64.max),
        ],
      ])
    // SQLite's date functions read the text, and the collation orders by instant.
    let functions = try rows(
      engine,
      "SELECT datetime(ms), strftime('%s', ms), ms > '2024-01-01T01:00:00+01:00', "
        + "ms = '2024-01-01T00:00:00.123Z' FROM t WHERE ms IS NOT NULL")
    #expect(
      functions == [
        [.text("2024-01-01 00:00:00"), .text("1704067200"), .integer(1), .integer(1)]
      ])
  }

  @Test func aFileOfAnotherSchemaIsAnError() throws {
    let fixture = try QueryFixture(days: 1)
    let other = fixture.scratch.path("other.parquet")
    _ = try ParquetWriter.write(
      path: other,
      schema: try ParquetSchema([ParquetColumn(name: "time", type: .timestamp, nullable: false)]),
      columns: [.int64s([QueryFixture.start])],
      options: ParquetWriterOptions(syncsOnFinish: false))
    var table = fixture.aTable()
    table.sources.append(ParquetSource(name: "other") { try ParquetReader(path: other) })
    let engine = try QueryEngine()
    try engine.register(table)
    let error = try #require(throws: QueryError.self) {
      _ = try rows(engine, "SELECT count(*) FROM a")
    }
    #expect(error.isSchemaMismatch)
    #expect(error.message.contains("other"))
  }

  @Test func outputFormats() {
    var lines: [String] = []
    let rows: [[SQLiteValue]] = [
      [.integer(1), .text("a,\"b\""), .real(0.5), .null],
      [.integer(22), .text("x\ny"), .real(-1e300), .blob([1, 171])],
    ]
    for format in QueryOutputFormat.allCases {
      var output = QueryOutput(format: format, columns: ["n", "s", "r", "z"]) { lines.append($0) }
      for row in rows { output.add(row) }
      output.finish()
    }
    #expect(
      lines == [
        "n   s      r        z\n",
        "--  -----  -------  ------\n",
        "1   a,\"b\"  0.5      NULL\n",
        "22  x\\ny   -1e+300  \\x01ab\n",
        "n,s,r,z\r\n",
        "1,\"a,\"\"b\"\"\",0.5,\r\n",
        "22,\"x\ny\",-1e+300,\\x01ab\r\n",
        "{\"n\":1,\"s\":\"a,\\\"b\\\"\",\"r\":0.5,\"z\":null}\n",
        "{\"n\":22,\"s\":\"x\\ny\",\"r\":-1e+300,\"z\":\"01ab\"}\n",
      ])
  }
}

/// Peak memory of queries over a large file (10 million rows: `make`-free, run by hand with
/// `POND_QUERY_MEMORY_FILE=/path/to.parquet` whose schema has a timestamp `time` and a double `temp`).
@Suite(
  .enabled(
    if: ProcessInfo.processInfo.environment["POND_QUERY_MEMORY_FILE"] != nil,
    "set POND_QUERY_MEMORY_FILE to a large Parquet file to measure"))
struct QueryMemoryTests {
  @Test func peakMemoryOfQueriesOverALargeFile() throws {
    let path = ProcessInfo.processInfo.environment["POND_QUERY_MEMORY_FILE"]!
    let schema = try ParquetReader(path: path).schema
    // VmHWM, not getrusage's ru_maxrss, which Linux carries over `execve` from the process that started
    // the tests (swift-build's own peak).
    func status(_ key: String) -> String {
      let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
      return text.split(separator: "\n").first { $0.hasPrefix(key) }.map(String.init) ?? "?"
    }
    print("before: \(status("VmRSS")), \(status("VmHWM"))")
    let engine = try QueryEngine()
    try engine.register(
      QueryTable(
        name: "big", schema: schema, timeColumn: "time",
        sources: [ParquetSource(name: path) { try ParquetReader(path: path) }]))
    for sql in [
      "SELECT count(*), avg(temp), min(time), max(time) FROM big",
      "SELECT strftime('%Y-%m-%dT%H:00:00Z', time) AS hour, avg(temp) FROM big GROUP BY hour",
      "SELECT count(*), avg(temp) FROM big "
        + "WHERE time >= '2024-02-01T00:00:00Z' AND time < '2024-02-02T00:00:00Z'",
    ] {
      let clock = ContinuousClock.now
      let result = try rows(engine, sql)
      print(
        "query: \(sql)\n  rows \(result.count), first \(result.first ?? []), "
          + "\(ContinuousClock.now - clock), peak \(status("VmHWM")), now \(status("VmRSS"))"
      )
    }
  }
}

@Suite struct TimestampTextTests {
  @Test func theRowFormatterWritesWhatFormatDoes() {
    var formatter = TimestampFormatter()
    var generator = SystemRandomNumberGenerator()
    for perSecond: Int64 in [1_000, 1_000_000, 1_000_000_000] {
      let unit = ParquetTimeUnitScale(perSecond: perSecond)
      var value = Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator) * perSecond
      for _ in 0..<2_000 {
        value += Int64.random(in: 0...(perSecond * 7_200), using: &generator)
        for utc in [true, false] {
          var expected: [UInt8] = []
          var written: [UInt8] = []
          let known = TimestampText.format(value, unit: unit, utc: utc, into: &expected)
          #expect(formatter.format(value, unit: unit, utc: utc, into: &written) == known)
          #expect(written == expected, "\(value) in 1/\(perSecond) s")
        }
      }
    }
    var text: [UInt8] = []
    #expect(
      formatter.format(-1, unit: ParquetTimeUnitScale(perSecond: 1_000_000), utc: true, into: &text)
    )
    #expect(String(decoding: text, as: UTF8.self) == "1969-12-31T23:59:59.999999Z")
  }

  @Test func instantsOfTexts() {
    #expect(
      UTCMicroseconds(iso8601: "2024-01-01T00:00:00Z", options: .lenient)?.rawValue
        == 1_704_067_200_000_000)
    #expect(
      UTCMicroseconds(iso8601: "2024-01-01", options: .lenient)?.rawValue == 1_704_067_200_000_000)
    #expect(
      UTCMicroseconds(iso8601: "2024-01-01 01:00:00.5+01:00", options: .lenient)?.rawValue
        == 1_704_067_200_500_000)
    #expect(
      UTCMicroseconds(iso8601: "2024-01-01T00:00:00.0000019", options: .lenient)?.rawValue
        == 1_704_067_200_000_001)
    #expect(UTCMicroseconds(iso8601: "2024-02-30", options: .lenient)?.rawValue == nil)
    #expect(UTCMicroseconds(iso8601: "yesterday", options: .lenient)?.rawValue == nil)
  }
}
