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
        "the header has column x, the schema"
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
