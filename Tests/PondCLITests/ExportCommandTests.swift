import Foundation
import PondTestSupport
import Testing

/// Reads an export (argv[1]) with DuckDB and pyarrow; prints one JSON object per engine: rows, sum of v,
/// smallest and largest time (µs since the epoch) and rows per partition (argv[2]: `hive` or `none`).
private let readExport = """
  import datetime, json, os, sys
  def main():
      import duckdb, pyarrow.dataset as ds, pyarrow.compute as pc
      root, hive = sys.argv[1], sys.argv[2] == "hive"
      epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
      def micros(t):
          return None if t is None else (t - epoch) // datetime.timedelta(microseconds=1)
      con = duckdb.connect()
      con.execute("SET TimeZone='UTC'")
      rel = "read_parquet('%s/**/*.parquet', hive_partitioning=%s)" % (root, "true" if hive else "false")
      count, total, low, high = con.execute(
          "SELECT count(*), sum(v), min(time), max(time) FROM " + rel).fetchone()
      def key(values):
          return "/".join("None" if v is None else str(int(v)) for v in values)
      parts = {}
      if hive:
          for y, m, d, n in con.execute(
                  "SELECT year, month, day, count(*) FROM " + rel + " GROUP BY ALL").fetchall():
              parts[key([y, m, d])] = n
      duck = {"rows": count, "sum": total, "min": micros(low), "max": micros(high), "parts": parts}
      table = ds.dataset(root, format="parquet", partitioning="hive" if hive else None).to_table()
      parts = {}
      if hive:
          for row in table.select(["year", "month", "day"]).to_pylist():
              k = key([row["year"], row["month"], row["day"]])
              parts[k] = parts.get(k, 0) + 1
      times = table.column("time")
      arrow = {"rows": table.num_rows, "sum": pc.sum(table.column("v")).as_py(),
               "min": micros(pc.min(times).as_py()), "max": micros(pc.max(times).as_py()), "parts": parts}
      print(json.dumps({"duckdb": duck, "pyarrow": arrow}, sort_keys=True))
  try:
      main()
      rc = 0
  except BaseException:
      import traceback; traceback.print_exc()
      rc = 1
  sys.stdout.flush(); sys.stderr.flush()
  os._exit(rc)
  """

@Suite(
  "pond export: Parquet files and hive partitions that DuckDB and pyarrow read", .serialized,
  .enabled(if: TestSupport.interopEnabled, "needs .venv with pyarrow and duckdb: run `make deps`"))
struct ExportCommandTests {
  /// Three versions of a series: one day; a version from 22:00 to 02:00 (split in two days); a month
  /// later, with a null time.
  static let versions = [
    "time,v\n2024-06-01T00:00:00Z,1\n2024-06-01T06:00:00Z,2\n2024-06-01T12:00:00Z,3\n",
    "time,v\n2024-06-01T22:00:00Z,10\n2024-06-01T23:00:00Z,20\n2024-06-02T00:00:00Z,30\n"
      + "2024-06-02T01:00:00Z,40\n2024-06-02T02:00:00Z,50\n",
    "time,v\n2024-07-15T08:30:00Z,100\n,200\n2024-07-15T09:30:00Z,300\n",
  ]

  static func micros(_ text: String) -> Int {
    let formatter = ISO8601DateFormatter()
    return Int(formatter.date(from: text)!.timeIntervalSince1970) * 1_000_000
  }

  static func makeSeries(_ pond: CLIPond) throws {
    try pond.ok("init")
    try pond.ok("mkdir", "/lake")
    for (index, csv) in versions.enumerated() {
      try pond.ok(
        "copy", "--table", "--series", pond.hostFile("v\(index).csv", Array(csv.utf8)), "/lake/s")
    }
  }

  /// The engines' reading of the export at `directory`, checked to agree; returns DuckDB's.
  static func read(_ directory: String, hive: Bool) throws -> [String: Any] {
    let result = try TestSupport.runPython(readExport, [directory, hive ? "hive" : "none"])
    #expect(result.status == 0, "\(result.stderrText)")
    let both = try #require(
      try JSONSerialization.jsonObject(with: result.stdout) as? [String: [String: Any]])
    let duck = try #require(both["duckdb"])
    let arrow = try #require(both["pyarrow"])
    #expect(NSDictionary(dictionary: duck).isEqual(to: arrow), "duckdb \(duck), pyarrow \(arrow)")
    return duck
  }

  static func files(under directory: String) throws -> [String] {
    let enumerator = try #require(FileManager.default.enumerator(atPath: directory))
    return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".parquet") }.sorted()
  }

  @Test("without --temporal: one file per version, the stored bytes; --at exports an older version")
  func plainExport() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try Self.makeSeries(pond)
    let out = pond.directory.appendingPathComponent("out").path
    let reports = try #require(
      try pond.json("export", "--json", "/lake/*", out) as? [[String: Any]])
    #expect(reports.count == 1)
    #expect(reports.first?["path"] as? String == "/lake/s")
    #expect(reports.first?["files"] as? Int == 3)
    #expect(reports.first?["rows"] as? Int == 11)
    let files = try Self.files(under: out)
    #expect(files.count == 3 && files.allSatisfy { $0.hasPrefix("lake/s/part-") }, "\(files)")
    let read = try Self.read(out + "/lake/s", hive: false)
    #expect(read["rows"] as? Int == 11)
    #expect(read["sum"] as? Double == 756)
    #expect(read["min"] as? Int == Self.micros("2024-06-01T00:00:00Z"))
    #expect(read["max"] as? Int == Self.micros("2024-07-15T09:30:00Z"))
    // The pond as it was after the first two versions (init is version 0, mkdir 1, then one per copy).
    let older = pond.directory.appendingPathComponent("older").path
    let text = try pond.ok("export", "--at", "3", "/lake/s", older)
    #expect(text.contains("/lake/s -> \(older)/lake/s: 2 files, 8 rows"), "\(text)")
    #expect(try Self.read(older + "/lake/s", hive: false)["sum"] as? Double == 156)
  }

  @Test("--temporal year,month,day: hive partitions by UTC day; a version over two days is split")
  func temporalExport() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try Self.makeSeries(pond)
    let out = pond.directory.appendingPathComponent("days").path
    let reports = try #require(
      try pond.json("export", "--json", "--temporal", "year,month,day", "/lake/s", out)
        as? [[String: Any]])
    #expect(reports.first?["rows"] as? Int == 11)
    #expect(reports.first?["splitVersions"] as? Int == 2)
    let files = try Self.files(under: out)
    let head = "lake/s/year="
    #expect(
      files.map { String($0.dropFirst(head.count)) }.map {
        $0.replacing(/part-\d+-/, with: "part-")
      }
        == [
          "2024/month=06/day=01/part-0.parquet", "2024/month=06/day=01/part-0.parquet",
          "2024/month=06/day=02/part-1.parquet", "2024/month=07/day=15/part-0.parquet",
          "2024/month=07/day=15/part-2.parquet",
          "__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__/part-1.parquet",
        ], "\(files)")
    let read = try Self.read(out + "/lake/s", hive: true)
    #expect(read["rows"] as? Int == 11)
    #expect(read["sum"] as? Double == 756)
    #expect(read["min"] as? Int == Self.micros("2024-06-01T00:00:00Z"))
    #expect(read["max"] as? Int == Self.micros("2024-07-15T09:30:00Z"))
    let parts = try #require(read["parts"] as? [String: Int])
    #expect(
      parts == ["2024/6/1": 5, "2024/6/2": 3, "2024/7/15": 2, "None/None/None": 1], "\(parts)")
  }

  @Test("--temporal year: a version inside one year is copied as it is")
  func yearsCopyWhole() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try Self.makeSeries(pond)
    let out = pond.directory.appendingPathComponent("years").path
    let text = try pond.ok("export", "--temporal", "year", "/lake/s", out)
    #expect(text.contains("(versions: 3, split: 1, widened: 0)"), "\(text)")
    let files = try Self.files(under: out)
    // The third version is split around its null time: 08:30, null, 09:30 make three files.
    #expect(files.count == 5, "\(files)")
  }

  @Test(
    "a large pyarrow table with nanosecond times over four days: split across batches, rows kept")
  func largeForeignTable() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let source = pond.directory.appendingPathComponent("big.parquet").path
    let made = try TestSupport.runPython(
      """
      import sys, datetime, random, pyarrow as pa, pyarrow.parquet as pq
      random.seed(7)
      n = 30000
      t0 = datetime.datetime(2024, 2, 28, 3, tzinfo=datetime.timezone.utc)
      times = pa.array([t0 + datetime.timedelta(seconds=10 * i) for i in range(n)],
                       pa.timestamp("ns", tz="UTC"))
      v = [random.random() for i in range(n)]
      site = [None if i % 11 == 0 else ["north", "south", "east"][i % 3] for i in range(n)]
      pq.write_table(pa.table({"time": times, "v": v, "site": site}), sys.argv[1], row_group_size=7000)
      """, [source])
    #expect(made.status == 0, "\(made.stderrText)")
    try pond.ok("copy", "--table", source, "/big")
    // Stored in _large_files: the export reads it from the plain copy in local/tables.
    #expect(try pond.ok("describe", "/big").contains("_large_files"))
    let out = pond.directory.appendingPathComponent("out").path
    let reports = try #require(
      try pond.json("export", "--json", "--temporal", "year,month,day", "/big", out)
        as? [[String: Any]])
    #expect(reports.first?["rows"] as? Int == 30000)
    #expect(reports.first?["files"] as? Int == 4)
    let compare = try TestSupport.runPython(
      """
      import sys, json, duckdb
      con = duckdb.connect()
      q = "SELECT day::INT, count(*), round(sum(v), 6), count(site) FROM read_parquet('%s', hive_partitioning=%s) GROUP BY ALL ORDER BY 1"
      exported = con.execute(q % (sys.argv[2] + "/**/*.parquet", "true")).fetchall()
      original = con.execute((q % (sys.argv[1], "false")).replace("day::INT", "day(time AT TIME ZONE 'UTC')::INT")).fetchall()
      print(json.dumps([exported, original]))
      """, [source, out + "/big"])
    #expect(compare.status == 0, "\(compare.stderrText)")
    let both = try #require(try JSONSerialization.jsonObject(with: compare.stdout) as? [[[Any]]])
    #expect(both.count == 2 && both[0].count == 4, "\(both)")
    #expect(both[0].map { $0[0] as? Int } == [1, 2, 28, 29])
    #expect(NSArray(array: both[0]).isEqual(to: both[1]), "\(both)")
  }

  @Test(
    "no match, not a table, no time column, a bad --temporal list, a non-empty directory: refused")
  func refusals() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try Self.makeSeries(pond)
    try pond.ok("copy", "--table", pond.hostFile("n.csv", Array("a,b\n1,2\n".utf8)), "/plain")
    try pond.ok("copy", pond.hostFile("f.txt", Array("x".utf8)), "/file")
    let full = pond.directory.appendingPathComponent("full").path
    try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: full + "/keep", contents: Data())
    let out = pond.directory.appendingPathComponent("never").path
    let cases: [([String], String)] = [
      (["export", "/nothing*", out], "no pond path matches the pattern"),
      (["export", "/missing", out], "/missing"),
      (["export", "/*", out], "/file: is a file, not a table or a series of tables"),
      (["export", "--temporal", "year", "/plain", out], "/plain: has no time column"),
      (["export", "--temporal", "day", "/lake/s", out], "is not one of year, year,month"),
      (["export", "--temporal", "year,day", "/lake/s", out], "is not one of year, year,month"),
      (["export", "/lake/s", full], "is not empty"),
      (["export", "/lake/s"], "the host directory"),
    ]
    for (arguments, expected) in cases {
      let result = try pond.runArguments(arguments)
      #expect(result.status != 0, "\(arguments)")
      #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: out))
    #expect(try FileManager.default.contentsOfDirectory(atPath: full) == ["keep"])
  }
}
