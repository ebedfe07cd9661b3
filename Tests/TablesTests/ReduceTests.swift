import Foundation
import Parquet
import PondTestSupport
import TLogFS
import Tables
import Testing

private let reduceExample = """
  # downsampling of the stations
  reduce:
    input: /stations/*/readings
    output: /reduced/$1
    resolutions: 1h, 6h, 1d
  columns:
    temp_c: avg, min, max
    rain_mm: sum, count
  """

@Suite("pond reduce: configuration")
struct ReduceConfigurationTests {
  @Test("the example reads as written")
  func example() throws {
    let configuration = try ReduceConfiguration(yaml: reduceExample, path: "reduce.yaml")
    #expect(configuration.input == "/stations/*/readings")
    #expect(configuration.resolutions.map(\.description) == ["1h", "6h", "1d"])
    #expect(configuration.resolutions[0].microseconds == 3_600_000_000)
    #expect(
      configuration.columns == [
        .init(name: "rain_mm", aggregations: [.sum, .count]),
        .init(name: "temp_c", aggregations: [.avg, .min, .max]),
      ])
    #expect(try configuration.outputDirectory(captures: ["a"]) == "/reduced/a")
  }

  @Test("durations: units, alignment on the epoch, names")
  func durations() throws {
    #expect(ReduceResolution(parsing: "90m")?.description == "90m")
    #expect(ReduceResolution(parsing: "120m")?.description == "2h")
    #expect(ReduceResolution(parsing: "45s")?.description == "45s")
    for bad in ["", "h", "0h", "-1h", "1w", "1.5h", "1 h"] {
      #expect(ReduceResolution(parsing: bad) == nil, "\(bad)")
    }
    let hour = ReduceResolution(seconds: 3600)
    #expect(hour.bucketStart(of: 3_600_000_001) == 3_600_000_000)
    #expect(hour.bucketStart(of: -1) == -3_600_000_000)
  }

  @Test(
    "problems are refused naming the line or the key",
    arguments: [
      ("reduce:\n  input: [a]\n", "reduce.yaml, line 2:"),
      ("reduce: x\n", "line 1:"),
      (
        reduceExample.replacingOccurrences(of: "1h, 6h, 1d", with: "2h, 5h"),
        "reduce.resolutions: 2h does not divide 5h"
      ),
      (reduceExample.replacingOccurrences(of: "1h, 6h, 1d", with: "6h, 1h"), "reduce.resolutions"),
      (
        reduceExample.replacingOccurrences(of: "1h, 6h", with: "1x, 6h"), "\"1x\" is not a duration"
      ),
      (
        reduceExample.replacingOccurrences(of: "sum, count", with: "sum, median"),
        "columns.rain_mm: unknown aggregation \"median\""
      ),
      (
        reduceExample.replacingOccurrences(of: "  input: /stations/*/readings\n", with: ""),
        "reduce.input: missing"
      ),
      (reduceExample + "\nextra:\n  a: b\n", "extra: unknown top-level key"),
      (
        reduceExample.replacingOccurrences(of: "  output:", with: "  outptu:"),
        "reduce.outptu: unknown key"
      ),
      ("reduce:\n  input: /a\n  output: /b\n  resolutions: 1h\n", "columns: missing"),
    ])
  func refused(text: String, expected: String) throws {
    #expect {
      try ReduceConfiguration(yaml: text, path: "reduce.yaml")
    } throws: { error in
      "\(error)".contains(expected) && "\(error)".contains("reduce.yaml")
    }
  }

  @Test("an output naming a capture the glob does not have is refused")
  func captures() throws {
    let configuration = try ReduceConfiguration(yaml: reduceExample, path: "r.yaml")
    #expect(throws: TableError.self) { try configuration.outputDirectory(captures: []) }
    var two = configuration
    two.output = "/r/$2/$1/$$"
    #expect(try two.outputDirectory(captures: ["a", "b"]) == "/r/b/a/$")
  }
}

/// A pond with series of tables of readings, made through the library.
struct ReducePond {
  let scratch: ScratchDirectory
  var root: String { scratch.path("pond") }
  static let start: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00:00Z
  private var files = 0

  init() throws {
    scratch = try ScratchDirectory("reduce")
    try PondStore.create(root: scratch.path("pond"), birthplace: "test", commandLine: "test init")
  }

  /// Waits for the lock: a subprocess another test forks in parallel holds a copy of the lock's
  /// descriptor until it execs.
  func writer() throws -> PondStore { try PondStore(root: root, mode: .write(wait: true)) }

  /// Rows `range` of a deterministic, irregular series: a time every 7 min 13 s (in shuffled order when
  /// `shuffled`), a temperature (null every 5th row) and a rain count (int64; null in runs).
  static func rows(_ range: Range<Int>, shuffled: Bool = false, offset: Int64 = 0)
    -> [ParquetColumnData]
  {
    var indices = Array(range)
    if shuffled {
      indices = indices.enumerated().sorted { ($0.0 * 7919) % 101 < ($1.0 * 7919) % 101 }.map(\.1)
    }
    let times = indices.map { start + offset + Int64($0) * 433_000_000 }
    let temps: [Double?] = indices.map { $0 % 5 == 0 ? nil : sin(Double($0) / 17) * 12.5 + 3.1 }
    let rain: [Int64?] = indices.map { ($0 / 40) % 3 == 1 ? nil : Int64(($0 * 37) % 11) }
    return [.int64s(times), .doubles(temps), .int64s(rain)]
  }

  static let schema = "time:timestamp,temp_c:double?,rain_mm:int64?"

  /// Writes `columns` to a Parquet file in the scratch directory and appends it to the series `path`.
  @discardableResult
  mutating func append(_ columns: [ParquetColumnData], to path: String, series: Bool = true) throws
    -> String
  {
    files += 1
    let file = scratch.path("input-\(files).parquet")
    _ = try ParquetWriter.write(
      path: file, schema: try TableSchema(parsing: Self.schema).parquetSchema, columns: columns)
    let info = try TableImport.checkParquet(at: file)
    let store = try writer()
    try store.change(commandLine: "test append") { fileSystem in
      let parent = String(path[..<path.lastIndex(of: "/")!])
      if try !fileSystem.exists(parent) {
        try fileSystem.createDirectory(parent, withParents: true)
      }
      _ = try store.stageTable(
        parquetAt: file, describedBy: info, to: path, series: series, in: fileSystem)
    }
    return file
  }

  func reduce(_ yaml: String, rebuild: Bool = false) throws -> TableReduce.Report {
    let configuration = try ReduceConfiguration(yaml: yaml, path: "reduce.yaml")
    return try TableReduce.run(
      configuration, on: try writer(), rebuild: rebuild, commandLine: "pond reduce reduce.yaml")
  }

  var head: Int64 { (try? PondStore(root: root, mode: .read).head) ?? -1 }

  /// Every row of every version of the series at `path`, as optional cells, in version order.
  func rows(of path: String) throws -> [[ParquetValue?]] {
    let store = try PondStore(root: root, mode: .read)
    var rows: [[ParquetValue?]] = []
    for version in try store.tableVersions(path, in: try store.fileSystem()) {
      let reader: ParquetReader
      switch try store.tableContent(version) {
      case .bytes(let bytes): reader = try ParquetReader(bytes: bytes)
      case .file(let file): reader = try ParquetReader(path: file)
      }
      let columns = try reader.readAllColumns().map { $0.rows() }
      for row in 0..<Int(reader.numRows) { rows.append(columns.map { $0[row] }) }
    }
    return rows
  }

  /// Copies every version of the series at `path` into host files; returns their paths.
  func export(_ path: String, as name: String) throws -> [String] {
    let store = try PondStore(root: root, mode: .read)
    var paths: [String] = []
    for (index, version) in try store.tableVersions(path, in: try store.fileSystem()).enumerated() {
      let host = scratch.path("\(name)-\(index).parquet")
      switch try store.tableContent(version) {
      case .bytes(let bytes):
        _ = FileManager.default.createFile(atPath: host, contents: Data(bytes))
      case .file(let file): try FileManager.default.copyItem(atPath: file, toPath: host)
      }
      paths.append(host)
    }
    return paths
  }
}

@Suite("pond reduce: runs", .serialized)
struct ReduceRunTests {
  static func config(output: String = "/reduced/$1", resolutions: String = "1h, 6h, 1d") -> String {
    """
    reduce:
      input: /stations/*/readings
      output: \(output)
      resolutions: \(resolutions)
    columns:
      temp_c: avg, min, max, count, sum
      rain_mm: avg, min, max, count, sum
    """
  }

  @Test(
    "incremental runs equal one run over every version; nothing new commits nothing; one commit a run"
  )
  func incrementalEqualsOneShot() throws {
    var pond = try ReducePond()
    try pond.append(ReducePond.rows(0..<400), to: "/stations/a/readings")
    try pond.append(ReducePond.rows(0..<300), to: "/stations/b/readings")
    var head = pond.head
    let first = try pond.reduce(Self.config(output: "/inc/$1"))
    #expect(first.version == head + 1)
    #expect(first.inputs.map(\.input) == ["/stations/a/readings", "/stations/b/readings"])
    #expect(first.inputs[0].rows == 400)
    // The last of 400 rows is at 399 × 433 s = 47.99 h: 47 hours, 7 six-hour buckets and 1 day are complete.
    #expect(first.inputs[0].buckets == ["1h": 47, "6h": 7, "1d": 1])
    head = pond.head
    let idle = try pond.reduce(Self.config(output: "/inc/$1"))
    #expect(idle.version == nil && idle.inputs.isEmpty)
    #expect(pond.head == head)

    try pond.append(ReducePond.rows(400..<700, shuffled: true), to: "/stations/a/readings")
    try pond.append(ReducePond.rows(700..<705), to: "/stations/a/readings")
    try pond.append(ReducePond.rows(705..<1000), to: "/stations/a/readings")
    let second = try pond.reduce(Self.config(output: "/inc/$1"))
    #expect(second.inputs.map(\.input) == ["/stations/a/readings"])
    #expect(second.inputs[0].versions == 3)

    let oneShot = try pond.reduce(Self.config(output: "/full/$1"))
    #expect(oneShot.inputs.count == 2)
    for resolution in ["1h", "6h", "1d"] {
      for station in ["a", "b"] {
        let incremental = try pond.rows(of: "/inc/\(station)/res=\(resolution)")
        #expect(!incremental.isEmpty)
        #expect(incremental == (try pond.rows(of: "/full/\(station)/res=\(resolution)")))
      }
    }
    let store = try PondStore(root: pond.root, mode: .read)
    let state = try store.fileSystem().readFile("/inc/a/reduce-state")
    #expect(String(decoding: state, as: UTF8.self).contains("\"version\" : 4"))
  }

  @Test("late rows are refused naming --rebuild, and --rebuild recomputes the output")
  func lateData() throws {
    var pond = try ReducePond()
    try pond.append(ReducePond.rows(0..<400), to: "/stations/a/readings")
    _ = try pond.reduce(Self.config())
    try pond.append(ReducePond.rows(100..<110), to: "/stations/a/readings")
    let head = pond.head
    #expect {
      try pond.reduce(Self.config())
    } throws: { error in
      (error as? TableError)?.kind == .reduceState && "\(error)".contains("--rebuild")
        && "\(error)".contains("late data")
    }
    #expect(pond.head == head)
    let rebuilt = try pond.reduce(Self.config(), rebuild: true)
    #expect(rebuilt.inputs[0].rebuilt == "--rebuild")
    #expect(rebuilt.inputs[0].rows == 410)
    #expect(rebuilt.version == head + 1)
    let hours = try pond.rows(of: "/reduced/a/res=1h")
    #expect(hours.count == 47)
    // temp_c_count (column 9): rows 0...390 are before 47 h, 312 of them with a temperature, and 8 of the
    // 10 late rows 100..<110.
    let counts = hours.map { row -> Int64 in
      guard case .int64(let count)? = row[9] else { return -1 }
      return count
    }
    #expect(counts.reduce(0, +) == 320)

    // A changed configuration is refused too.
    #expect(throws: TableError.self) {
      try pond.reduce(Self.config(resolutions: "1h, 1d"))
    }
  }

  @Test("a plain table is recomputed whenever a new version replaces its rows")
  func plainTable() throws {
    var pond = try ReducePond()
    try pond.append(ReducePond.rows(0..<400), to: "/stations/t/readings", series: false)
    let first = try pond.reduce(Self.config())
    #expect(first.inputs.first?.rebuilt == nil)
    try pond.append(ReducePond.rows(0..<200), to: "/stations/t/readings", series: false)
    let second = try pond.reduce(Self.config())
    #expect(second.inputs.first?.rebuilt?.contains("is a table") == true)
    #expect(second.inputs.first?.rows == 200)
    // 199 × 433 s = 23.9 h: 23 complete hours, the earlier run's 47 replaced.
    #expect(try pond.rows(of: "/reduced/t/res=1h").count == 23)
  }

  @Test("equals DuckDB's time_bucket GROUP BY over the complete buckets; pyarrow reads the output")
  func duckDB() throws {
    try #require(TestSupport.interopEnabled, "needs .venv with pyarrow and duckdb: run `make deps`")
    var pond = try ReducePond()
    var inputs: [String] = []
    inputs.append(try pond.append(ReducePond.rows(0..<500), to: "/stations/a/readings"))
    inputs.append(
      try pond.append(ReducePond.rows(500..<900, shuffled: true), to: "/stations/a/readings"))
    _ = try pond.reduce(Self.config())
    inputs.append(try pond.append(ReducePond.rows(900..<1400), to: "/stations/a/readings"))
    _ = try pond.reduce(Self.config())
    var arguments = [inputs.joined(separator: ",")]
    for (resolution, seconds) in [("1h", 3600), ("6h", 21600), ("1d", 86400)] {
      let outputs = try pond.export("/reduced/a/res=\(resolution)", as: "out-\(resolution)")
      arguments.append("\(seconds)=" + outputs.joined(separator: ","))
    }
    let result = try TestSupport.runPython(Self.compareWithDuckDB, arguments)
    #expect(result.status == 0, "python: \(result.stderrText)\(result.stdoutText)")
    #expect(result.stdoutText.contains("1h 168 ok"), "\(result.stdoutText)")
    #expect(result.stdoutText.contains("6h 28 ok"), "\(result.stdoutText)")
    #expect(result.stdoutText.contains("1d 7 ok"), "\(result.stdoutText)")
  }

  /// argv[1]: the input files; then `seconds=out1,out2,...` per resolution. DuckDB groups the inputs by
  /// `time_bucket`, keeps the complete buckets, and every value is compared with what pyarrow reads from
  /// the output (counts exactly, the rest within 1e-9 relative).
  static let compareWithDuckDB = """
    import os, sys
    def main():
        import duckdb, pyarrow as pa, pyarrow.parquet as pq
        con = duckdb.connect()
        files = sys.argv[1].split(",")
        con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(%r)" % files)
        (last,) = con.execute("SELECT max(epoch_us(time)) FROM t").fetchone()
        aggs = ["avg", "min", "max", "count", "sum"]
        for arg in sys.argv[2:]:
            seconds, outs = arg.split("=")
            seconds = int(seconds)
            name = {3600: "1h", 21600: "6h", 86400: "1d"}[seconds]
            select = ", ".join("%s(%s) AS %s_%s" % (a, c, c, a) for c in ["rain_mm", "temp_c"] for a in aggs)
            q = ("SELECT epoch_us(b) AS s, " + select + " FROM (SELECT *, time_bucket(INTERVAL '%d seconds', make_timestamp(epoch_us(time))) AS b FROM t) GROUP BY b HAVING epoch_us(b) + %d <= %d ORDER BY b") % (seconds, seconds * 1000000, last)
            expected = con.execute(q).fetchall()
            table = pa.concat_tables([pq.read_table(o) for o in outs.split(",")])
            names = ["time"] + ["%s_%s" % (c, a) for c in ["rain_mm", "temp_c"] for a in aggs]
            assert table.column_names == names, table.column_names
            assert str(table.schema.field("time").type) == "timestamp[us, tz=UTC]", table.schema
            got = list(zip(*[table.column(n).cast(pa.int64()).to_pylist() if n == "time" else table.column(n).to_pylist() for n in names]))
            assert len(got) == len(expected), (len(got), len(expected))
            read = con.execute("SELECT epoch_us(time), temp_c_count, temp_c_avg FROM read_parquet(%r) ORDER BY time" % outs.split(",")).fetchall()
            assert read == [(g[0], g[9], g[6]) for g in got], "DuckDB reads the output otherwise"
            for g, e in zip(got, expected):
                assert g[0] == e[0], (g[0], e[0])
                for x, y, n in zip(g[1:], e[1:], names[1:]):
                    if y is None or x is None:
                        assert x is None and y is None, (n, x, y)
                    elif n.endswith("_count"):
                        assert x == y, (n, x, y)
                    else:
                        assert abs(float(x) - float(y)) <= 1e-9 * max(abs(float(y)), 1e-300), (n, g[0], x, y)
            print(name, len(got), "ok")
    """ + TestSupport.pythonMainTrailer
}

@Suite("The example reduce configuration")
struct ReduceExampleTests {
  @Test("deploy/reduce.yaml reads as the documentation describes it")
  func exampleLoads() throws {
    let path = TestSupport.repositoryRoot.appendingPathComponent("deploy/reduce.yaml").path
    let configuration = try ReduceConfiguration(contentsOf: path)
    #expect(configuration.input == "/stations/*/readings")
    #expect(configuration.resolutions.map(\.description) == ["1h", "6h", "1d"])
    #expect(configuration.columns.map(\.name).sorted() == ["rain_mm", "temp_c"])
  }
}
