import Foundation
import Parquet
import PondTestSupport
import Testing

/// Canonical cells of Arrow arrays in Python: exact float bits, timestamps in ns, dates in days.
private let arrowCanonical = """
  import base64, datetime, os, struct, sys
  def canon(array):
      import pyarrow as pa
      t = array.type
      if pa.types.is_timestamp(t):
          values = array.cast(pa.timestamp("ns", tz=t.tz)).cast(pa.int64()).to_pylist()
          return ["null" if v is None else "t:%d" % v for v in values]
      if pa.types.is_date32(t):
          return ["null" if v is None else "D:%d" % v for v in array.cast(pa.int32()).to_pylist()]
      if pa.types.is_float32(t):
          return ["null" if v is None else "f:%x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in array.to_pylist()]
      if pa.types.is_float64(t):
          return ["null" if v is None else "d:%x" % struct.unpack("<Q", struct.pack("<d", v))[0] for v in array.to_pylist()]
      out = []
      for v in array.to_pylist():
          if v is None: out.append("null")
          elif isinstance(v, bool): out.append("b:1" if v else "b:0")
          elif isinstance(v, int): out.append("i:%d" % v)
          elif isinstance(v, str): out.append("h:" + v.encode("utf-8").hex())
          elif isinstance(v, (bytes, bytearray)): out.append("h:" + bytes(v).hex())
          else: raise SystemExit("unexpected value %r of %s" % (v, t))
      return out
  def emit(section, table):
      sys.stdout.write("== %s\\n" % section)
      for name, column in zip(table.column_names, table.columns):
          sys.stdout.write(name + "\\t" + ",".join(canon(column)) + "\\n")

  """

/// Writes files with pyarrow (defaults and variants) and DuckDB (`COPY ... TO`) into argv[1], printing the
/// expected cells of each source table (`== expected` for pyarrow's, `== duckdb` for DuckDB's) in the
/// canonical form of `MixedTable.canonical(_:as:)`, plus files the reader must refuse.
private let writeForeignFiles =
  arrowCanonical + """
    def main():
        d = sys.argv[1]
        import pyarrow as pa, pyarrow.parquet as pq, duckdb
        n = 3000
        epoch = datetime.datetime(1970, 1, 1)
        words = ["alpha", "beta", "gamma", "d\\u00e9lta", "\\U0001F986", ""]
        data = {
            "id": pa.array([i * 7 - 100 for i in range(n)], pa.int64()),
            "name": pa.array([None if i % 5 == 0 else words[i % len(words)] for i in range(n)], pa.string()),
            "f32": pa.array([None if i % 7 == 0 else (i % 50) * 0.25 - 3.0 for i in range(n)], pa.float32()),
            "f64": pa.array([None if i % 6 == 0 else i * 1.0000001 - 1e6 for i in range(n)], pa.float64()),
            "day": pa.array([None if i % 9 == 0 else 19000 + i % 400 - 30000 * (i % 2) for i in range(n)], pa.date32()),
            "ts_ms": pa.array([None if i % 4 == 0 else 1717243200123 + i * 1001 for i in range(n)], pa.timestamp("ms", tz="UTC")),
            "ts_us": pa.array([None if i % 3 == 0 else 1717243200123456 + i * 999983 for i in range(n)], pa.timestamp("us", tz="UTC")),
            "ts_ns": pa.array([None if i % 8 == 0 else 1717243200123456789 + i * 999999937 for i in range(n)], pa.timestamp("ns", tz="UTC")),
            "local_us": pa.array([-86400000000 * 3 + i * 60000000 for i in range(n)], pa.timestamp("us")),
            "local_ns": pa.array([None if i % 2 else i for i in range(n)], pa.timestamp("ns")),
            "ok": pa.array([None if i % 11 == 0 else i % 3 == 0 for i in range(n)], pa.bool_()),
            "blob": pa.array([None if i % 13 == 0 else bytes([i % 7, 255]) for i in range(n)], pa.binary()),
            "i32": pa.array([i % 17 - 8 for i in range(n)], pa.int32()),
        }
        t = pa.table(data)
        emit("expected", t)
        pq.write_table(t, d + "/pa_default.parquet")
        pq.write_table(t, d + "/pa_v2.parquet", data_page_version="2.0")
        pq.write_table(t, d + "/pa_gzip.parquet", compression="gzip")
        pq.write_table(t, d + "/pa_v2_gzip.parquet", data_page_version="2.0", compression="gzip")
        pq.write_table(t, d + "/pa_v2_uncompressed.parquet", data_page_version="2.0", compression="none")
        pq.write_table(t, d + "/pa_v2_zstd_crc.parquet", data_page_version="2.0", compression="zstd", write_page_checksum=True)
        # Small dictionaries fall back to PLAIN mid-chunk; small pages and row groups make many of each.
        pq.write_table(t, d + "/pa_fallback_groups.parquet", dictionary_pagesize_limit=256, data_page_size=512, row_group_size=700)
        pq.write_table(t, d + "/pa_v2_fallback_groups.parquet", data_page_version="2.0", dictionary_pagesize_limit=256, data_page_size=512, row_group_size=700, compression="gzip")

        con = duckdb.connect()
        con.execute('''CREATE TABLE x AS SELECT i::INTEGER a, (i * 1000003 - 7)::BIGINT b,
            CASE WHEN i % 5 = 0 THEN NULL ELSE i / 3.0 END::DOUBLE c, (i % 100 / 8.0)::FLOAT f,
            CASE WHEN i % 4 = 0 THEN NULL ELSE 's' || (i % 37) END s, DATE '2024-01-01' + (i % 900 - 450)::INTEGER d,
            TIMESTAMP '2024-01-01' + i * INTERVAL 1 SECOND + i * INTERVAL 7 MICROSECOND ts,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 MINUTE tz,
            CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END bo, CASE WHEN i % 7 = 0 THEN NULL ELSE i END n
            FROM range(5000) r(i) ORDER BY i''')
        emit("duckdb", con.sql("SELECT * FROM x ORDER BY a").to_arrow_table())
        con.execute("COPY x TO '%s/duckdb_default.parquet'" % d)
        con.execute("COPY x TO '%s/duckdb_gzip.parquet' (COMPRESSION gzip)" % d)
        con.execute("COPY x TO '%s/duckdb_groups.parquet' (COMPRESSION snappy, ROW_GROUP_SIZE 1000)" % d)

        plain = dict(compression="snappy")
        small = pa.table({"x": pa.array([1, 2], pa.int64())})
        pq.write_table(pa.table({"s": pa.array([{"a": 1}], pa.struct([("a", pa.int64())]))}), d + "/reject_struct.parquet")
        pq.write_table(pa.table({"l": pa.array([[1, 2]], pa.list_(pa.int64()))}), d + "/reject_list.parquet")
        pq.write_table(small, d + "/reject_delta_binary_packed.parquet", use_dictionary=False, column_encoding={"x": "DELTA_BINARY_PACKED"})
        pq.write_table(small, d + "/reject_brotli.parquet", compression="brotli")
        pq.write_table(pa.table({"u": pa.array([1], pa.uint32())}), d + "/reject_uint32.parquet")
        pq.write_table(pa.table({"t": pa.array([1], pa.timestamp("ns"))}), d + "/reject_int96.parquet", use_deprecated_int96_timestamps=True)
        import pyarrow.parquet.encryption as pe
        class Kms(pe.KmsClient):
            def __init__(self, config): pe.KmsClient.__init__(self)
            def wrap_key(self, key, master): return base64.b64encode(key).decode()
            def unwrap_key(self, wrapped, master): return base64.b64decode(wrapped)
        factory = pe.CryptoFactory(lambda config: Kms(config))
        for name, plaintext in [("reject_encrypted_footer", False), ("reject_encrypted_columns", True)]:
            config = pe.EncryptionConfiguration(footer_key="footer", column_keys={"col": ["x"]}, plaintext_footer=plaintext, double_wrapping=False)
            props = factory.file_encryption_properties(pe.KmsConnectionConfig(), config)
            pq.write_table(small, d + "/" + name + ".parquet", encryption_properties=props)
    """ + runPythonMain

/// Reads the file argv[1] with pyarrow, DuckDB and polars, printing each engine's cells and pyarrow's schema.
private let readWithEngines =
  arrowCanonical + """
    def main():
        path = sys.argv[1]
        import pyarrow.parquet as pq, duckdb, polars as pl
        emit("pyarrow", pq.read_table(path))
        sys.stdout.write("== schema\\n")
        for f in pq.read_schema(path):
            sys.stdout.write("%s\\t%s %s\\n" % (f.name, f.type, f.nullable))
        con = duckdb.connect()
        emit("duckdb", con.read_parquet(path).to_arrow_table())
        emit("polars", pl.read_parquet(path).to_arrow())
    """ + runPythonMain

@Suite(
  "Files written by pyarrow and DuckDB, and the new types in every engine", .serialized,
  .enabled(
    if: TestSupport.interopEnabled, "needs .venv with pyarrow, duckdb and polars: run `make deps`"))
struct ForeignFileTests {
  static func column(
    _ name: String, _ physical: ParquetPhysicalType, _ logical: ParquetLogicalType? = nil,
    nullable: Bool = true
  ) -> ParquetColumn {
    ParquetColumn(name: name, physicalType: physical, logicalType: logical, nullable: nullable)
  }

  /// The schema pyarrow writes for the script's table (every Arrow field is nullable).
  static let pyarrowSchema: [ParquetColumn] = [
    column("id", .int64), column("name", .byteArray, .string), column("f32", .float),
    column("f64", .double), column("day", .int32, .date),
    column("ts_ms", .int64, .timestamp(unit: .milliseconds, isAdjustedToUTC: true)),
    column("ts_us", .int64, .timestamp(unit: .microseconds, isAdjustedToUTC: true)),
    column("ts_ns", .int64, .timestamp(unit: .nanoseconds, isAdjustedToUTC: true)),
    column("local_us", .int64, .timestamp(unit: .microseconds, isAdjustedToUTC: false)),
    column("local_ns", .int64, .timestamp(unit: .nanoseconds, isAdjustedToUTC: false)),
    column("ok", .boolean), column("blob", .byteArray), column("i32", .int32),
  ]

  /// The schema DuckDB writes for the script's table (REQUIRED where the data has no nulls).
  static let duckdbSchema: [ParquetColumn] = [
    column("a", .int32, nullable: false), column("b", .int64, nullable: false),
    column("c", .double), column("f", .float, nullable: false),
    column("s", .byteArray, .string), column("d", .int32, .date, nullable: false),
    column("ts", .int64, .timestamp(unit: .microseconds, isAdjustedToUTC: false), nullable: false),
    column("tz", .int64, .timestamp(unit: .microseconds, isAdjustedToUTC: true), nullable: false),
    column("bo", .boolean), column("n", .int64),
  ]

  /// Reads every column of `path` page by page and checks each against the cells `expected`.
  static func check(
    _ path: String, schema: [ParquetColumn], rows: Int64, expected: [(String, String)]
  ) throws {
    let name = URL(fileURLWithPath: path).lastPathComponent
    let reader = try ParquetReader(path: path)
    #expect(reader.numRows == rows, "\(name)")
    #expect(reader.rowGroupRowCounts.reduce(0, +) == rows, "\(name)")
    #expect(reader.schema.columns == schema, "\(name)")
    #expect(expected.map(\.0) == schema.map(\.name), "\(name)")
    for (index, (column, (_, cells))) in zip(reader.schema.columns, expected).enumerated() {
      let data = try reader.readColumn(index)
      let got = MixedTable.canonical(data, as: column).joined(separator: ",")
      #expect(got == cells, "\(name): column \(column.name)")
    }
  }

  @Test func pyarrowAndDuckDBFilesReadValueByValueAndTheRestIsRefused() throws {
    let directory = try TestSupport.makeTemporaryDirectory("parquet-foreign")
    defer { try? FileManager.default.removeItem(at: directory) }
    guard let result = try Fixtures.python(writeForeignFiles, [directory.path]) else { return }
    #expect(result.status == 0, "python: \(result.stderrText)")
    let parsed = sections(result.stdoutText)
    let pyarrow = parsed["expected"] ?? []
    let duckdb = parsed["duckdb"] ?? []
    #expect(pyarrow.count == 13)
    #expect(duckdb.count == 10)
    func path(_ name: String) -> String { directory.appendingPathComponent("\(name).parquet").path }
    // pyarrow's defaults: dictionary pages, snappy, v1 pages; then v2 pages, gzip, zstd with CRCs, no
    // compression, and dictionaries that fall back to PLAIN mid-chunk over several row groups.
    for name in [
      "pa_default", "pa_v2", "pa_gzip", "pa_v2_gzip", "pa_v2_uncompressed", "pa_v2_zstd_crc",
      "pa_fallback_groups", "pa_v2_fallback_groups",
    ] {
      try Self.check(path(name), schema: Self.pyarrowSchema, rows: 3000, expected: pyarrow)
    }
    #expect(try ParquetReader(path: path("pa_fallback_groups")).rowGroupRowCounts.count == 5)
    // DuckDB's COPY ... TO defaults (snappy, dictionaries for some columns), gzip, and several row groups.
    for name in ["duckdb_default", "duckdb_gzip", "duckdb_groups"] {
      try Self.check(path(name), schema: Self.duckdbSchema, rows: 5000, expected: duckdb)
    }
    #expect(try ParquetReader(path: path("duckdb_groups")).rowGroupRowCounts.count > 1)

    let refusals: [(String, String)] = [
      ("reject_struct", "nested"),
      ("reject_list", "nested"),
      ("reject_encrypted_footer", "encrypted"),
      ("reject_encrypted_columns", "encrypted"),
      ("reject_delta_binary_packed", "DELTA_BINARY_PACKED"),
      ("reject_brotli", "BROTLI"),
      ("reject_uint32", "INTEGER(32, unsigned)"),
      ("reject_int96", "INT96"),
    ]
    for (name, reason) in refusals {
      let error = #expect(throws: ParquetError.self, "\(name)") {
        _ = try ParquetReader(path: path(name)).readAllColumns()
      }
      #expect(error?.kind == .unsupported, "\(name): \(String(describing: error))")
      #expect(
        error?.reason.contains(reason) == true, "\(name): \(error?.reason ?? "") lacks \(reason)")
      #expect(error?.description.contains(path(name)) == true, "\(name)")
    }
  }

  /// The types new to the writer, in a Swift file that pyarrow, DuckDB and polars read back identically.
  @Test(arguments: [ParquetCompression.none, .zstd()])
  func newTypesWrittenBySwiftReadIdenticallyEverywhere(compression: ParquetCompression) throws {
    let schema = try ParquetSchema([
      Self.column("f32", .float),
      Self.column("f64", .double, nullable: false),
      Self.column("day", .int32, .date),
      Self.column("ts_ms", .int64, .timestamp(unit: .milliseconds, isAdjustedToUTC: true)),
      Self.column("ts_ns", .int64, .timestamp(unit: .nanoseconds, isAdjustedToUTC: false)),
      Self.column("local_us", .int64, .timestamp(unit: .microseconds, isAdjustedToUTC: false)),
    ])
    let rows = 2500
    let floats: [Float?] = (0..<rows).map { (row: Int) -> Float? in
      row % 7 == 0 ? nil : Float(row) * 0.37 - 100
    }
    let doubles: [Double?] = (0..<rows).map { (row: Int) -> Double? in
      Double(row) * -1.25e-3 + (row % 3 == 0 ? 1e300 : 0)
    }
    let days: [Int32?] = (0..<rows).map { (row: Int) -> Int32? in
      row % 5 == 0 ? nil : Int32(row * 13 - 20_000)
    }
    let milliseconds: [Int64?] = (0..<rows).map { (row: Int) -> Int64? in
      row % 4 == 0 ? nil : 1_717_243_200_123 + Int64(row) * 1_001
    }
    let nanoseconds: [Int64?] = (0..<rows).map { (row: Int) -> Int64? in
      row % 6 == 0 ? nil : 1_717_243_200_123_456_789 + Int64(row) * 999_999_937
    }
    let local: [Int64?] = (0..<rows).map { (row: Int) -> Int64? in
      -259_200_000_000 + Int64(row) * 60_000_001
    }
    let columns: [ParquetColumnData] = [
      .floats(floats), .doubles(doubles), .int32s(days), .int64s(milliseconds),
      .int64s(nanoseconds), .int64s(local),
    ]
    let options = ParquetWriterOptions(
      compression: compression, maximumPageRows: 600, syncsOnFinish: false)
    let (_, _, path) = try Fixtures.write(schema, columns, options: options)
    let reader = try ParquetReader(path: path)
    #expect(reader.schema == schema)
    #expect(try reader.readAllColumns() == columns)
    guard let result = try Fixtures.python(readWithEngines, [path]) else { return }
    #expect(result.status == 0, "python: \(result.stderrText)")
    let parsed = sections(result.stdoutText)
    let expected = zip(schema.columns, columns).map {
      ($0.name, MixedTable.canonical($1, as: $0).joined(separator: ","))
    }
    for engine in ["pyarrow", "duckdb", "polars"] {
      let got = parsed[engine] ?? []
      #expect(got.map(\.0) == expected.map(\.0), "\(engine) column names")
      for ((name, cells), (_, engineCells)) in zip(expected, got) {
        #expect(cells == engineCells, "\(engine) differs in column \(name)")
      }
    }
    #expect(
      (parsed["schema"] ?? []).map { "\($0.0) \($0.1)" } == [
        "f32 float True", "f64 double False", "day date32[day] True",
        "ts_ms timestamp[ms, tz=UTC] True", "ts_ns timestamp[ns] True",
        "local_us timestamp[us] True",
      ])
  }
}
