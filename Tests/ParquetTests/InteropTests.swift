import Foundation
import Parquet
import PondTestSupport
import Testing

/// Canonical cells in Python, the same form as `MixedTable.canonical`.
private let pythonCanonical = """
  import datetime, os, sys
  EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
  def cell(v):
      if v is None: return "null"
      if isinstance(v, bool): return "b:1" if v else "b:0"
      if isinstance(v, int): return "i:%d" % v
      if isinstance(v, str): return "h:" + v.encode("utf-8").hex()
      if isinstance(v, (bytes, bytearray, memoryview)): return "h:" + bytes(v).hex()
      if isinstance(v, datetime.datetime):
          if v.tzinfo is None: raise SystemExit("naive timestamp %r" % v)
          return "i:%d" % ((v - EPOCH) // datetime.timedelta(microseconds=1))
      raise SystemExit("unexpected value type %r" % type(v))
  def emit(section, names, columns):
      sys.stdout.write("== %s\\n" % section)
      for name, column in zip(names, columns):
          sys.stdout.write(name + "\\t" + ",".join(cell(v) for v in column) + "\\n")

  """

/// Reads a file written by Swift with pyarrow, DuckDB and polars, printing canonical rows and the schema.
private let readWithEngines =
  pythonCanonical + """
    def main():
        path = sys.argv[1]
        import pyarrow.parquet as pq
        table = pq.read_table(path)
        emit("pyarrow", table.column_names, [c.to_pylist() for c in table.columns])
        sys.stdout.write("== schema\\n")
        for f in pq.read_schema(path):
            sys.stdout.write("%s\\t%s\\t%s\\n" % (f.name, f.type, f.nullable))
        sys.stdout.write("== parquet\\n")
        pf = pq.ParquetFile(path)
        for i in range(pf.metadata.num_columns):
            c = pf.schema.column(i)
            sys.stdout.write("%s\\t%s\\t%s\\t%s\\n" % (c.name, c.physical_type, c.converted_type, c.logical_type))
        import duckdb
        con = duckdb.connect()
        cur = con.execute("SELECT * FROM read_parquet(?)", [path])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        emit("duckdb", names, list(zip(*rows)) if rows else [[] for _ in names])
        import polars as pl
        df = pl.read_parquet(path)
        emit("polars", df.columns, [df[c].to_list() for c in df.columns])
    """ + runPythonMain

/// Writes pyarrow fixtures into argv[1]: accepted shapes and shapes the reader must refuse.
private let writeFixtures =
  pythonCanonical + """
    def main():
        d = sys.argv[1]
        import pyarrow as pa, pyarrow.parquet as pq
        n = 5000
        schema = pa.schema([
            pa.field("id", pa.int64(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("mode", pa.int32()),
            pa.field("ok", pa.bool_()),
            pa.field("blob", pa.binary()),
            pa.field("ts", pa.timestamp("us", tz="UTC")),
            pa.field("all_null", pa.int64()),
        ])
        data = {
            "id": [i * 3 - 7 for i in range(n)],
            "name": [None if i % 5 == 0 else ("" if i % 9 == 0 else "n%d\\u00e9\\U0001F986" % i) for i in range(n)],
            "mode": [None if i % 7 == 0 else (i * 2654435761) % 2**31 - 2**30 for i in range(n)],
            "ok": [None if i % 3 == 0 else i % 2 == 0 for i in range(n)],
            "blob": [None if i % 11 == 0 else bytes([i % 256, 255]) for i in range(n)],
            "ts": [None if i % 4 == 0 else datetime.datetime.fromtimestamp(1717243200 + i * 7, datetime.timezone.utc) + datetime.timedelta(microseconds=i) for i in range(n)],
            "all_null": [None] * n,
        }
        t = pa.table(data, schema=schema)
        emit("expected", t.column_names, [c.to_pylist() for c in t.columns])
        ok = dict(compression="zstd", use_dictionary=False, data_page_version="1.0")
        pq.write_table(t, d + "/zstd.parquet", **ok)
        pq.write_table(t, d + "/zstd_nostats.parquet", write_statistics=False, **ok)
        pq.write_table(t, d + "/zstd_crc.parquet", write_page_checksum=True, **ok)
        pq.write_table(t, d + "/zstd_pages_groups.parquet", data_page_size=700, row_group_size=1500, write_page_checksum=True, **ok)
        pq.write_table(t, d + "/none.parquet", compression="none", use_dictionary=False, data_page_version="1.0", store_schema=False)
        small = pa.table({"x": pa.array([1, 2], pa.int64())})
        pq.write_table(small, d + "/reject_default_snappy.parquet")
        pq.write_table(small, d + "/reject_dictionary.parquet", compression="zstd", use_dictionary=True)
        pq.write_table(small, d + "/reject_v2.parquet", compression="zstd", use_dictionary=False, data_page_version="2.0")
        pq.write_table(small, d + "/reject_gzip.parquet", compression="gzip", use_dictionary=False)
        pq.write_table(small, d + "/reject_delta_binary_packed.parquet", compression="zstd", use_dictionary=False, column_encoding={"x": "DELTA_BINARY_PACKED"})
        plain = dict(compression="zstd", use_dictionary=False)
        pq.write_table(pa.table({"s": pa.array([{"a": 1}], pa.struct([("a", pa.int64())]))}), d + "/reject_struct.parquet", **plain)
        pq.write_table(pa.table({"l": pa.array([[1, 2]], pa.list_(pa.int64()))}), d + "/reject_list.parquet", **plain)
        pq.write_table(pa.table({"f": pa.array([1.5], pa.float64())}), d + "/reject_double.parquet", **plain)
        pq.write_table(pa.table({"t": pa.array([1], pa.timestamp("ms", tz="UTC"))}), d + "/reject_ts_millis.parquet", **plain)
        pq.write_table(pa.table({"t": pa.array([1], pa.timestamp("ns", tz="UTC"))}), d + "/reject_ts_nanos.parquet", **plain)
        pq.write_table(pa.table({"t": pa.array([1], pa.timestamp("us"))}), d + "/reject_ts_local.parquet", **plain)
        pq.write_table(pa.table({"d": pa.array([1], pa.date32())}), d + "/reject_date.parquet", **plain)
        pq.write_table(pa.table({"u": pa.array([1], pa.uint32())}), d + "/reject_uint32.parquet", **plain)
    """ + runPythonMain

/// Parses `== section` blocks of `name<TAB>cells` lines.
func sections(_ text: String) -> [String: [(String, String)]] {
  var result: [String: [(String, String)]] = [:]
  var current = ""
  for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
    if line.hasPrefix("== ") {
      current = String(line.dropFirst(3))
      result[current] = []
    } else {
      let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      result[current, default: []].append(
        (String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
    }
  }
  return result
}

@Suite(
  "Interoperability with pyarrow, DuckDB and polars", .serialized,
  .enabled(
    if: TestSupport.interopEnabled, "needs .venv with pyarrow, duckdb and polars: run `make deps`"))
struct InteropTests {
  @Test(arguments: [ParquetCompression.none, .zstd()])
  func swiftFilesReadIdenticallyEverywhere(compression: ParquetCompression) throws {
    let columns = MixedTable.columns(rows: 100_000, seed: 99)
    let options = ParquetWriterOptions(
      compression: compression, maximumPageRows: 4096, syncsOnFinish: false,
      spoolMemoryLimit: 256 << 10)
    let (_, summary, path) = try Fixtures.write(MixedTable.schema, columns, options: options)
    #expect(summary.numRows == 100_000)
    guard let result = try Fixtures.python(readWithEngines, [path]) else { return }
    #expect(result.status == 0, "python: \(result.stderrText)")
    let parsed = sections(result.stdoutText)
    // What the Swift reader returns is what the Swift writer was given...
    let swiftRows = try ParquetReader(path: path).readAllColumns()
    #expect(swiftRows == columns)
    let expected = zip(MixedTable.schema.columns, swiftRows).map {
      ($0.name, MixedTable.canonical($1).joined(separator: ","))
    }
    // ...and exactly what every engine returns.
    for engine in ["pyarrow", "duckdb", "polars"] {
      let rows = parsed[engine] ?? []
      #expect(rows.map(\.0) == expected.map(\.0), "\(engine) column names")
      for ((name, cells), (_, engineCells)) in zip(expected, rows) {
        #expect(cells == engineCells, "\(engine) differs in column \(name)")
      }
    }
    let schema = (parsed["schema"] ?? []).map { "\($0.0) \($0.1)" }
    #expect(
      schema == [
        "id int64\tFalse", "name string\tTrue", "mode int32\tTrue", "ok bool\tTrue",
        "blob binary\tTrue",
        "ts timestamp[us, tz=UTC]\tTrue", "note string\tFalse", "flag bool\tFalse",
      ])
    let physical = Dictionary(uniqueKeysWithValues: (parsed["parquet"] ?? []).map { ($0.0, $0.1) })
    #expect(
      physical["ts"]?.hasPrefix(
        "INT64\tTIMESTAMP_MICROS\tTimestamp(isAdjustedToUTC=true, timeUnit=microseconds") == true)
    #expect(physical["name"] == "BYTE_ARRAY\tUTF8\tString")
    #expect(physical["blob"] == "BYTE_ARRAY\tNONE\tNone")
    #expect(physical["mode"] == "INT32\tNONE\tNone")
  }

  /// Small edge cases, each checked in every engine: all-null and all-empty columns, odd page sizes, no rows.
  @Test(arguments: [0, 1, 7, 8, 9, 17])
  func edgeCasesReadIdenticallyEverywhere(rows: Int) throws {
    let schema = try ParquetSchema([
      ParquetColumn(name: "all_null", type: .int64, nullable: true),
      ParquetColumn(name: "empty", type: .string, nullable: false),
      ParquetColumn(name: "bits", type: .boolean, nullable: true),
      ParquetColumn(name: "t", type: .timestamp, nullable: false),
    ])
    let columns: [ParquetColumnData] = [
      .int64s(Array(repeating: nil, count: rows)),
      .strings(Array(repeating: "", count: rows)),
      .booleans((0..<rows).map { $0 % 3 == 0 ? nil : $0 % 2 == 0 }),
      .int64s((0..<rows).map { Int64($0) * -86_400_000_001 }),
    ]
    let options = ParquetWriterOptions(maximumPageRows: max(rows / 2, 1), syncsOnFinish: false)
    let (_, _, path) = try Fixtures.write(schema, columns, options: options)
    guard let result = try Fixtures.python(readWithEngines, [path]) else { return }
    #expect(result.status == 0, "python: \(result.stderrText)")
    let parsed = sections(result.stdoutText)
    #expect(try ParquetReader(path: path).readAllColumns() == columns)
    let expected = zip(schema.columns, columns).map {
      ($0.name, MixedTable.canonical($1).joined(separator: ","))
    }
    for engine in ["pyarrow", "duckdb", "polars"] {
      let got = (parsed[engine] ?? []).map { "\($0.0)=\($0.1)" }
      #expect(got == expected.map { "\($0.0)=\($0.1)" }, "\(engine), \(rows) rows")
    }
  }

  @Test func pyarrowFilesReadAndUnsupportedOnesAreRefused() throws {
    let directory = try TestSupport.makeTemporaryDirectory("parquet-pyarrow")
    defer { try? FileManager.default.removeItem(at: directory) }
    guard let result = try Fixtures.python(writeFixtures, [directory.path]) else { return }
    #expect(result.status == 0, "python: \(result.stderrText)")
    let expected = sections(result.stdoutText)["expected"] ?? []
    #expect(expected.count == 7)
    for name in ["zstd", "zstd_nostats", "zstd_crc", "zstd_pages_groups", "none"] {
      let path = directory.appendingPathComponent("\(name).parquet").path
      let reader = try ParquetReader(path: path)
      #expect(reader.numRows == 5000)
      #expect(
        reader.schema.columns == [
          ParquetColumn(name: "id", type: .int64, nullable: false),
          ParquetColumn(name: "name", type: .string, nullable: true),
          ParquetColumn(name: "mode", type: .int32, nullable: true),
          ParquetColumn(name: "ok", type: .boolean, nullable: true),
          ParquetColumn(name: "blob", type: .binary, nullable: true),
          ParquetColumn(name: "ts", type: .timestamp, nullable: true),
          ParquetColumn(name: "all_null", type: .int64, nullable: true),
        ], "\(name)")
      let columns = try reader.readAllColumns()
      for ((column, cells), data) in zip(expected, columns) {
        #expect(
          MixedTable.canonical(data).joined(separator: ",") == cells, "\(name): column \(column)")
      }
    }
    // Once refused, now read: pyarrow's defaults (snappy, dictionary), v2 pages, gzip, and the new types.
    let accepted: [(String, ParquetColumn, ParquetColumnData)] = [
      (
        "reject_default_snappy", ParquetColumn(name: "x", type: .int64, nullable: true),
        .int64s([1, 2])
      ),
      (
        "reject_dictionary", ParquetColumn(name: "x", type: .int64, nullable: true),
        .int64s([1, 2])
      ),
      ("reject_v2", ParquetColumn(name: "x", type: .int64, nullable: true), .int64s([1, 2])),
      ("reject_gzip", ParquetColumn(name: "x", type: .int64, nullable: true), .int64s([1, 2])),
      (
        "reject_double", ParquetColumn(name: "f", physicalType: .double, nullable: true),
        .doubles([1.5])
      ),
      (
        "reject_ts_millis",
        ParquetColumn(
          name: "t", physicalType: .int64,
          logicalType: .timestamp(unit: .milliseconds, isAdjustedToUTC: true), nullable: true),
        .int64s([1])
      ),
      (
        "reject_ts_nanos",
        ParquetColumn(
          name: "t", physicalType: .int64,
          logicalType: .timestamp(unit: .nanoseconds, isAdjustedToUTC: true), nullable: true),
        .int64s([1])
      ),
      (
        "reject_ts_local",
        ParquetColumn(
          name: "t", physicalType: .int64,
          logicalType: .timestamp(unit: .microseconds, isAdjustedToUTC: false), nullable: true),
        .int64s([1])
      ),
      (
        "reject_date",
        ParquetColumn(name: "d", physicalType: .int32, logicalType: .date, nullable: true),
        .int32s([1])
      ),
    ]
    for (name, column, data) in accepted {
      let reader = try ParquetReader(path: directory.appendingPathComponent("\(name).parquet").path)
      #expect(reader.schema.columns == [column], "\(name)")
      #expect(try reader.readAllColumns() == [data], "\(name)")
    }
    let refusals: [(String, String)] = [
      ("reject_delta_binary_packed", "DELTA_BINARY_PACKED"),
      ("reject_struct", "nested"),
      ("reject_list", "nested"),
      ("reject_uint32", "INTEGER(32, unsigned)"),
    ]
    for (name, reason) in refusals {
      let path = directory.appendingPathComponent("\(name).parquet").path
      let error = #expect(throws: ParquetError.self, "\(name)") {
        _ = try ParquetReader(path: path).readAllColumns()
      }
      #expect(error?.kind == .unsupported, "\(name): \(String(describing: error))")
      #expect(
        error?.reason.contains(reason) == true, "\(name): \(error?.reason ?? "") lacks \(reason)")
      #expect(error?.description.contains(path) == true)
    }
  }

  @Test func invalidUTF8InAStringColumnIsRefused() throws {
    // A binary column holding 0xFF, relabelled as a UTF8 string by patching its schema element.
    let schema = try ParquetSchema([ParquetColumn(name: "s", type: .binary, nullable: false)])
    var (bytes, _, _) = try Fixtures.write(schema, [.binaries([[0x61, 0xFF]])])
    let leaf: [UInt8] = [0x15, 0x0C, 0x25, 0x00, 0x18, 0x01, 0x73, 0x00]
    let footerStart = bytes.count - 8 - Int(bytes[bytes.count - 8])
    guard
      let at = (footerStart..<bytes.count - leaf.count).first(where: {
        Array(bytes[$0..<$0 + leaf.count]) == leaf
      })
    else {
      Issue.record("leaf schema element not found")
      return
    }
    bytes.replaceSubrange(at + 7..<at + 7, with: [0x25, 0x00])  // converted_type = UTF8
    bytes[bytes.count - 8] += 2
    let error = #expect(throws: ParquetError.self) {
      _ = try ParquetReader(bytes: bytes).readAllColumns()
    }
    #expect(error?.kind == .corrupt)
    #expect(error?.reason.contains("not valid UTF-8") == true)
  }
}
