import Foundation
import PondTestSupport
import Testing

/// `pond copy --table`, `describe` and `cat` of tables, through the built binary.
@Suite("pond tables: copy --table, describe")
struct TableCommandTests {
  static let day1 =
    "time,temp_c,site\r\n2024-01-01T00:00:00Z,1.5,\"north, lake\"\r\n2024-01-01T01:00:00Z,,south\r\n"
  static let day2 = "time,temp_c,site\n2024-01-02T00:00:00Z,3,east\n"

  @Test("CSV tables and series of tables: stored, appended from standard input, described")
  func storeAppendDescribe() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let first = pond.hostFile("day1.csv", Array(Self.day1.utf8))
    let stored = try pond.ok("copy", "--table", first, "/table")
    #expect(
      stored.contains("Stored 2 rows, time 2024-01-01T00:00:00.000Z .. 2024-01-01T01:00:00.000Z"))
    try pond.ok("copy", "--table", "--series", first, "/series")
    // Whole numbers join the series' double column: an append converts with the series' schema.
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    let appended = try PondBinary.run(
      ["copy", "--table", "--series", "-", "/series"], environment: environment,
      stdin: Data(Self.day2.utf8))
    #expect(appended.status == 0, "\(appended.stderr)")
    let described = try #require(try pond.json("describe", "--json", "/series") as? [[String: Any]])
    let versions = try #require(described.first?["versions"] as? [[String: Any]])
    let tables = versions.compactMap { $0["table"] as? [String: Any] }
    #expect(tables.map { $0["rows"] as? Int } == [2, 1])
    #expect(
      tables.map { $0["schema"] as? String }
        == Array(repeating: "time:timestamp?,temp_c:double?,site:string?", count: 2))
    #expect(tables.last?["timeMin"] as? String == "2024-01-02T00:00:00.000Z")
    #expect(described.first?["type"] as? String == "table-series")
    let text = try pond.ok("describe", "/table")
    #expect(text.contains("2 rows  time 2024-01-01T00:00:00.000Z .. 2024-01-01T01:00:00.000Z"))
    let status = try #require(try pond.json("status", "--json") as? [String: Any])
    #expect(status["tables"] as? Int == 2)
    #expect(try pond.run("fsck").status == 0)
  }

  @Test(
    "a mismatched schema, a malformed CSV, a bad value and a wrong target are refused, committing nothing"
  )
  func refusals() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("copy", "--table", "--series", pond.hostFile("a.csv", Array(Self.day1.utf8)), "/s")
    let head = try pond.ok("log").split(separator: "\n").count
    let cases: [([String], String)] = [
      (
        [
          "copy", "--table", "--series",
          pond.hostFile("b.csv", Array("time,x\n2024-01-01T00:00:00Z,1\n".utf8)), "/s",
        ],
        "column temp_c: the series has column temp_c (time:timestamp?,temp_c:double?,site:string?), the header does not"
      ),
      (
        [
          "copy", "--table", "--series", "--schema", "time:timestamp?,temp_c:int64?,site:string?",
          pond.hostFile("c.csv", Array("time,temp_c,site\n2024-01-03T00:00:00Z,4,x\n".utf8)), "/s",
        ],
        "column temp_c is int64 here, double in the series; nothing was appended"
      ),
      (
        ["copy", "--table", pond.hostFile("d.csv", Array("a,b\n1,2\n3\n".utf8)), "/d"],
        "line 3"
      ),
      (
        [
          "copy", "--table", "--schema", "a:int64,b:int64",
          pond.hostFile("e.csv", Array("a,b\n1,x\n".utf8)), "/e",
        ],
        "line 2, column b: \"x\" is not an int64"
      ),
      (
        ["copy", "--table", pond.hostFile("f.csv", Array(Self.day1.utf8)), "/s"],
        "is a table-series, not a table"
      ),
      (
        ["copy", "--schema", "a:int64", pond.hostFile("g.csv", [0x61]), "/g"],
        "only apply with --table"
      ),
    ]
    for (arguments, expected) in cases {
      let result = try pond.runArguments(arguments)
      #expect(result.status != 0, "\(arguments)")
      #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
    }
    #expect(try pond.ok("log").split(separator: "\n").count == head)
    // Nothing is left behind in local/ by the refused conversions.
    let local = try FileManager.default.contentsOfDirectory(atPath: pond.root + "/local")
    #expect(!local.contains { $0.hasPrefix(".pond-tmp-") }, "\(local)")
  }

  @Test("Parquet files written by pyarrow and DuckDB are stored as they are")
  func foreignParquet() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let arrow = pond.directory.appendingPathComponent("arrow.parquet").path
    let duck = pond.directory.appendingPathComponent("duck.parquet").path
    let script = """
      import sys, datetime, pyarrow as pa, pyarrow.parquet as pq, duckdb
      t0 = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
      times = [t0 + datetime.timedelta(minutes=i) for i in range(1000)]
      pq.write_table(pa.table({"time": times, "v": [float(i) for i in range(1000)]}), sys.argv[1])
      duckdb.sql("COPY (SELECT TIMESTAMPTZ '2024-05-01 00:00:00+00' + to_minutes(i) AS time, i::DOUBLE AS v FROM range(1000) t(i)) TO '" + sys.argv[2] + "'")
      """
    let made = try TestSupport.runPython(script, [arrow, duck])
    #expect(made.status == 0, "\(made.stderrText)")
    for (file, path) in [(arrow, "/arrow"), (duck, "/duck")] {
      let stored = try pond.ok("copy", "--table", file, path)
      #expect(
        stored.contains(
          "Stored 1000 rows, time 2024-05-01T00:00:00.000Z .. 2024-05-01T16:39:00.000Z"),
        "\(stored)")
      // The stored bytes are the file's own.
      let shown = try #require(try pond.json("describe", "--json", path) as? [[String: Any]])
      let sha = (shown.first?["versions"] as? [[String: Any]])?.last?["sha256"] as? String
      let digest = try TestSupport.run(try #require(TestSupport.which("sha256sum")), [file])
      #expect(digest.stdoutText.hasPrefix(sha ?? "?"))
    }
  }
}

/// `pond query` and `pond cat` of tables, through the built binary.
@Suite("pond tables: query, cat")
struct TableQueryCommandTests {
  /// A pond with the series /stations/{north,south}/readings, three daily versions each (24 hourly rows a
  /// day; south's values are north's plus 100), and the pond version after each day.
  static func stations() throws -> (CLIPond, [Int]) {
    let pond = try CLIPond()
    try pond.ok("init")
    try pond.ok("mkdir", "-p", "/stations/north", "/stations/south")
    var versions: [Int] = []
    for day in 1...3 {
      for (station, offset) in [("north", 0.0), ("south", 100.0)] {
        var csv = "time,temp_c\n"
        for hour in 0..<24 {
          csv += String(
            format: "2024-01-%02dT%02d:30:00Z,%.2f\n", day, hour,
            offset + Double(day * 24 + hour) / 4)
        }
        try pond.ok(
          "copy", "--table", "--series", pond.hostFile("\(station)-\(day).csv", Array(csv.utf8)),
          "/stations/\(station)/readings")
      }
      let log = try #require(try pond.json("log", "--json") as? [[String: Any]])
      versions.append(try #require(log.last?["version"] as? Int))
    }
    return (pond, versions)
  }

  @Test("queries read series, globs with captures and time ranges, at any version")
  func queries() throws {
    let (pond, versions) = try Self.stations()
    defer { pond.cleanup() }
    func query(_ sql: String, _ extra: String...) throws -> [String] {
      let out = try pond.runArguments(
        [
          "query", "--format", "csv", "--table", "n=/stations/north/readings",
          "--table", "st=/stations/*/readings",
        ] + extra + [sql])
      #expect(out.status == 0, "\(sql): \(out.stderr)")
      return out.stdout.split(separator: "\r\n").map(String.init)
    }
    #expect(
      try query("SELECT count(*), min(time), max(time) FROM n") == [
        "count(*),min(time),max(time)",
        "72,2024-01-01T00:30:00.000000Z,2024-01-03T23:30:00.000000Z",
      ])
    #expect(
      try query(
        "SELECT capture1, count(*), avg(temp_c) FROM st GROUP BY capture1 ORDER BY capture1") == [
          "capture1,count(*),avg(temp_c)", "north,72,14.875", "south,72,114.875",
        ])
    // A day's range: the other days' versions are skipped, the answer is the same.
    #expect(
      try query(
        "SELECT count(*), sum(temp_c) FROM n WHERE time >= '2024-01-02T00:00:00Z' AND time < '2024-01-03'"
      )
        == ["count(*),sum(temp_c)", "24,357.0"])
    // Literals in every form CSV import reads: a space, a compact offset.
    #expect(
      try query("SELECT count(*) FROM n WHERE time >= '2024-01-03 01:00:00+0100'") == [
        "count(*)", "24",
      ])
    // A join of two series on time.
    #expect(
      try query(
        "SELECT count(*), max(s.temp_c - n.temp_c) FROM n JOIN st s ON s.time = n.time "
          + "WHERE s.capture1 = 'south'") == ["count(*),max(s.temp_c - n.temp_c)", "72,100.0"])
    // Time travel: at the first day's version the series holds that day only.
    #expect(try query("SELECT count(*) FROM n", "--at", String(versions[0])) == ["count(*)", "24"])
    #expect(
      try query("SELECT count(*) FROM st", "--at", String(versions[1])) == ["count(*)", "96"])
    // JSON lines.
    let json = try pond.ok(
      "query", "--format", "json", "--table", "n=/stations/north/readings",
      "SELECT time, temp_c FROM n ORDER BY time LIMIT 1")
    #expect(json == "{\"time\":\"2024-01-01T00:30:00.000000Z\",\"temp_c\":6.0}\n")
  }

  @Test("SQL errors come back with SQLite's message and the position; bad tables are refused")
  func errors() throws {
    let (pond, _) = try Self.stations()
    defer { pond.cleanup() }
    let cases: [([String], String)] = [
      (
        ["query", "--table", "n=/stations/north/readings", "SELECT count(* FROM n"], "near \"FROM\""
      ),
      (
        ["query", "--table", "n=/stations/north/readings", "SELECT nope FROM n"],
        "no such column: nope"
      ),
      (["query", "--table", "n=/nowhere/*", "SELECT 1"], "matches no table"),
      (["query", "--table", "n=/stations", "SELECT 1"], "not a table"),
      (["query", "--table", "n", "SELECT 1"], "NAME=PATH_OR_GLOB"),
      (["cat", "--format", "parquet", "/stations/north/readings"], "pond export"),
      (
        [
          "query", "--table", "n=/stations/north/readings",
          "SELECT count(*) FROM n WHERE time < '2024-06-01 12:00'",
        ],
        "'2024-06-01 12:00' is compared with the time column time but names no instant"
      ),
    ]
    for (arguments, expected) in cases {
      let result = try pond.runArguments(arguments)
      #expect(result.status != 0, "\(arguments)")
      #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
    }
    let syntax = try pond.runArguments(
      ["query", "--table", "n=/stations/north/readings", "SELECT count(* FROM n"])
    #expect(
      syntax.stderr.contains("  SELECT count(* FROM n\n                 ^ (byte 15)"),
      "\(syntax.stderr)")
  }

  @Test("cat prints a table as CSV, JSON lines or its Parquet bytes, and runs --sql over it")
  func cat() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let csv = "time,temp_c,site\n2024-01-01T00:00:00Z,1.5,\"a, b\"\n2024-01-01T01:00:00Z,,c\n"
    let source = pond.hostFile("t.csv", Array(csv.utf8))
    try pond.ok("copy", "--table", source, "/t")
    #expect(
      try pond.ok("cat", "/t")
        == "time,temp_c,site\r\n2024-01-01T00:00:00.000000Z,1.5,\"a, b\"\r\n2024-01-01T01:00:00.000000Z,,c\r\n"
    )
    #expect(
      try pond.ok(
        "cat", "--format", "json", "--sql", "SELECT site FROM source WHERE temp_c IS NULL", "/t")
        == "{\"site\":\"c\"}\n")
    let parquet = pond.directory.appendingPathComponent("t.parquet")
    var environment = ProcessInfo.processInfo.environment
    environment["POND"] = pond.root
    let bytes = try TestSupport.run(
      PondBinary.url, ["cat", "--format", "parquet", "/t"], environment: environment)
    #expect(bytes.status == 0, "\(bytes.stderrText)")
    #expect(bytes.stdout.prefix(4) == Data("PAR1".utf8))
    try bytes.stdout.write(to: parquet)
    let read = try TestSupport.runPython(
      "import sys, pyarrow.parquet as pq; print(pq.read_table(sys.argv[1]).num_rows)",
      [parquet.path])
    #expect(read.stdoutText == "2\n", "\(read.stderrText)")
  }
}

/// Tables through replication and `copy --out`.
@Suite("pond tables: replication, copy --out")
struct TableReplicationCommandTests {
  @Test("a series of large table versions pushes, restores and verifies; copy --out refuses it")
  func largeAppendsReplicate() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    var state: UInt64 = 7
    for day in 1...2 {
      // Incompressible values: each version's Parquet file is well over the 64 KiB inline limit.
      var csv = "time,v\n"
      for second in 0..<20_000 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        csv += String(
          format: "2024-01-%02dT%02d:%02d:%02dZ,%llu\n", day, second / 3600, second / 60 % 60,
          second % 60, state >> 11)
      }
      try pond.ok(
        "copy", "--table", "--series", pond.hostFile("d\(day).csv", Array(csv.utf8)), "/s")
    }
    let described = try #require(try pond.json("describe", "--json", "/s") as? [[String: Any]])
    let storage = (described.first?["versions"] as? [[String: Any]])?.compactMap {
      $0["storage"] as? String
    }
    #expect(storage?.allSatisfy { $0.hasPrefix("data/_large_files/") } == true, "\(storage ?? [])")
    let remote = pond.directory.appendingPathComponent("remote").path
    try FileManager.default.createDirectory(atPath: remote, withIntermediateDirectories: true)
    try pond.ok("remote", "add", "backup", "file://" + remote)
    try pond.ok("push", "backup")
    try pond.ok("verify", "--deep", "backup")
    let replica = pond.directory.appendingPathComponent("replica").path
    try pond.ok("restore", "--pond", replica, "file://" + remote)
    let sql = "SELECT count(*), sum(v % 1000), min(time), max(time) FROM s"
    let here = try pond.ok("query", "--format", "csv", "--table", "s=/s", sql)
    let there = try pond.ok("query", "--pond", replica, "--format", "csv", "--table", "s=/s", sql)
    #expect(here == there)
    #expect(here.contains("40000,"))
    // One file of concatenated Parquet versions would be no Parquet file: copy --out refuses it.
    let out = pond.directory.appendingPathComponent("out").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for source in ["/s", "/"] {
      let refused = try pond.runArguments(["copy", "--out", source, out])
      #expect(refused.status == 1)
      #expect(refused.stderr.contains("/s: is a series of tables"), "\(refused.stderr)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
  }

  @Test("CSV from pond cat reads back as the same table: empty strings and nulls apart")
  func catRoundTrip() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let csv = "time,note,x\n2024-01-01T00:00:00Z,\"\",1.5\n2024-01-01T01:00:00Z,,\n"
    try pond.ok("copy", "--table", pond.hostFile("t.csv", Array(csv.utf8)), "/t")
    let printed = try pond.ok("cat", "/t")
    #expect(
      printed
        == "time,note,x\r\n2024-01-01T00:00:00.000000Z,\"\",1.5\r\n2024-01-01T01:00:00.000000Z,,\r\n"
    )
    try pond.ok("copy", "--table", pond.hostFile("back.csv", Array(printed.utf8)), "/back")
    #expect(try pond.ok("cat", "/back") == printed)
  }
}

/// A series of tables that widens with a new nullable column, through the binary.
@Suite("pond tables: a series widens with new nullable columns")
struct WidenedSeriesCommandTests {
  @Test("a CSV with a new column widens the series; cat, query, describe and export read it")
  func widenAndRead() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let first = "time,a\n2024-01-01T00:00:00Z,1.5\n2024-01-01T00:30:00Z,\n"
    let second = "time,a,b\n2024-01-01T01:00:00Z,2.5,7\n"
    try pond.ok("copy", "--table", "--series", pond.hostFile("1.csv", Array(first.utf8)), "/s")
    try pond.ok("copy", "--table", "--series", pond.hostFile("2.csv", Array(second.utf8)), "/s")
    #expect(
      try pond.ok("cat", "/s")
        == "time,a,b\r\n2024-01-01T00:00:00.000000Z,1.5,\r\n2024-01-01T00:30:00.000000Z,,\r\n"
        + "2024-01-01T01:00:00.000000Z,2.5,7\r\n")
    #expect(
      try pond.ok("cat", "--format", "json", "/s")
        == "{\"time\":\"2024-01-01T00:00:00.000000Z\",\"a\":1.5,\"b\":null}\n"
        + "{\"time\":\"2024-01-01T00:30:00.000000Z\",\"a\":null,\"b\":null}\n"
        + "{\"time\":\"2024-01-01T01:00:00.000000Z\",\"a\":2.5,\"b\":7}\n")
    #expect(
      try pond.ok(
        "query", "--format", "csv", "--table", "s=/s",
        "SELECT count(b), count(*), sum(b IS NULL) FROM s")
        == "count(b),count(*),sum(b IS NULL)\r\n1,3,2\r\n")
    #expect(
      try pond.ok("cat", "--format", "table", "--sql", "SELECT a, b FROM source", "/s")
        == "a     b\n----  ----\n1.5   NULL\nNULL  NULL\n2.5   7\n")
    let described = try pond.ok("describe", "/s")
    #expect(
      described.contains(
        "2 rows  time 2024-01-01T00:00:00.000Z .. 2024-01-01T00:30:00.000Z  schema time:timestamp?,a:double?\n"
      ))
    #expect(
      described.contains(
        "1 rows  time 2024-01-01T01:00:00.000Z .. 2024-01-01T01:00:00.000Z  schema time:timestamp?,a:double?,b:int64?\n"
      ))
    let out = pond.directory.appendingPathComponent("out").path
    let exported = try pond.ok("export", "/s", out)
    #expect(exported.contains("2 files, 3 rows") && exported.contains("widened: 1"), "\(exported)")
  }

  @Test("a changed type, a dropped column and a new column that is not nullable commit nothing")
  func refusals() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let first = "time,a\n2024-01-01T00:00:00Z,1.5\n"
    try pond.ok("copy", "--table", "--series", pond.hostFile("1.csv", Array(first.utf8)), "/s")
    let head = try pond.ok("log")
    let row = "time,a,b\n2024-01-01T01:00:00Z,2,3\n"
    let cases: [(schema: String, csv: String, message: String)] = [
      ("time:timestamp?,a:int64?,b:int64?", row, "column a is int64 here, double in the series"),
      ("time:timestamp?,b:int64?", "time,b\n2024-01-01T01:00:00Z,3\n", "column a is missing"),
      ("time:timestamp?,a:double?,b:int64", row, "new column b is not nullable"),
    ]
    for (index, refused) in cases.enumerated() {
      let result = try pond.run(
        "copy", "--table", "--series", "--schema", refused.schema,
        pond.hostFile("r\(index).csv", Array(refused.csv.utf8)), "/s")
      #expect(result.status != 0)
      #expect(
        result.stderr.contains(
          "/s: the table does not extend the series' schema (time:timestamp?,a:double?): ")
          && result.stderr.contains(refused.message)
          && result.stderr.contains("nothing was appended"), "\(result.stderr)")
    }
    #expect(try pond.ok("log") == head)
  }
}
