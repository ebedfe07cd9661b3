import Foundation
import Parquet
import PondTestSupport
import TLogFS
import Tables
import Testing

/// The end of every Python script here: runs `main()`, prints a failure's traceback, and leaves with
/// `os._exit` so that DuckDB's threads cannot hang the interpreter's shutdown.
private let runPythonMain = TestSupport.pythonMainTrailer

/// Prints each field of the Parquet file argv[1] as pyarrow reads it (`name type nullable`), then each
/// column's cells as JSON (timestamps as integers in their unit, bytes as hex).
private let readWithPyarrow =
  """
  import json, os, sys
  def main():
      import pyarrow as pa, pyarrow.parquet as pq
      t = pq.read_table(sys.argv[1])
      for f in t.schema:
          sys.stdout.write("%s %s %s\\n" % (f.name, f.type, f.nullable))
      for name, column in zip(t.column_names, t.columns):
          if pa.types.is_timestamp(column.type):
              column = column.cast(pa.int64())
          if pa.types.is_date32(column.type):
              column = column.cast(pa.int32())
          values = [v.hex() if isinstance(v, bytes) else v for v in column.to_pylist()]
          sys.stdout.write("%s %s\\n" % (name, json.dumps(values)))
  """ + runPythonMain

/// Writes into argv[1] a pyarrow-default file, one with nanosecond times, one with page checksums (for a
/// corruption test), a DuckDB `COPY ... TO` file, and a nested file that must be refused.
private let writeForeignFiles =
  """
  import os, sys
  def main():
      d = sys.argv[1]
      import pyarrow as pa, pyarrow.parquet as pq, duckdb
      n = 1000
      t = pa.table({
          "time": pa.array([None if i % 10 == 0 else 1717243200123456 + i * 1000003 for i in range(n)], pa.timestamp("us", tz="UTC")),
          "v": pa.array([None if i % 3 == 0 else i * 0.5 for i in range(n)], pa.float64()),
          "s": pa.array(["s%d" % (i % 17) for i in range(n)], pa.string()),
      })
      pq.write_table(t, d + "/pa_default.parquet")
      pq.write_table(t, d + "/pa_crc.parquet", write_page_checksum=True, compression="none", use_dictionary=False)
      ns = pa.table({
          "t": pa.array([1717243200123456789 - i * 7 for i in range(n)], pa.timestamp("ns", tz="UTC")),
          "x": pa.array(range(n), pa.int64()),
      })
      pq.write_table(ns, d + "/pa_ns.parquet")
      pq.write_table(pa.table({"s": pa.array([{"a": 1}], pa.struct([("a", pa.int64())]))}), d + "/nested.parquet")
      con = duckdb.connect()
      con.execute('''COPY (SELECT TIMESTAMP '2024-01-01' + i * INTERVAL 1 SECOND ts, i / 4.0 v,
          CASE WHEN i % 5 = 0 THEN NULL ELSE 's' || i END s FROM range(5000) r(i))
          TO 'DIR/duckdb.parquet' '''.replace("DIR", d))
  """ + runPythonMain

@Suite(
  "Tables with pyarrow and DuckDB", .serialized,
  .enabled(if: TestSupport.interopEnabled, "needs .venv with pyarrow and duckdb: run `make deps`"))
struct TableInteropTests {
  @Test func pyarrowReadsTheConvertedCSVValueByValue() throws {
    let csv = try CSVFixture(
      "time,temp_c,n,ok,site\r\n"
        + "2024-06-01T12:00:00.123456Z,21.5,3,true,\"Lake, north\"\r\n"
        + "2024-06-01 14:00:01+02:00,,-4,,\r\n"
        + "2024-06-01T12:00:02Z,1e-3,,False,\"\"\"quoted\"\"\"\r\n")
    let info = try csv.convert()
    #expect(info.schema == "time:timestamp?,temp_c:double?,n:int64?,ok:bool?,site:string?")
    let result = try TestSupport.runPython(readWithPyarrow, [csv.parquetPath])
    #expect(result.status == 0, "python: \(result.stderrText)")
    let noon: Int64 = 1_717_243_200_000_000
    #expect(
      result.stdoutText.split(separator: "\n").map(String.init) == [
        "time timestamp[us, tz=UTC] True", "temp_c double True", "n int64 True", "ok bool True",
        "site string True",
        "time [\(noon + 123_456), \(noon + 1_000_000), \(noon + 2_000_000)]",
        "temp_c [21.5, null, 0.001]", "n [3, -4, null]", "ok [true, null, false]",
        "site [\"Lake, north\", null, \"\\\"quoted\\\"\"]",
      ])
  }

  @Test func pyarrowReadsTheForeignTypesOfAnExplicitSchema() throws {
    let csv = try CSVFixture(
      "t,d,f,i,b\n2024-06-01 12:00:00.000000001,2024-06-01,0.25,-7,\\x\n1970-01-01,1970-01-02,,2147483647,\n"
    )
    let schema = "t:timestamp_ns_local,d:date,f:float?,i:int32,b:binary?"
    let info = try csv.convert(schema: schema)
    #expect(info.schema == schema && info.timeColumn == "t")
    let result = try TestSupport.runPython(readWithPyarrow, [csv.parquetPath])
    #expect(result.status == 0, "python: \(result.stderrText)")
    #expect(
      result.stdoutText.split(separator: "\n").map(String.init) == [
        "t timestamp[ns] False", "d date32[day] False", "f float True", "i int32 False",
        "b binary True", "t [1717243200000000001, 0]", "d [19875, 1]", "f [0.25, null]",
        "i [-7, 2147483647]", "b [\"5c78\", null]",
      ])
  }

  @Test func pyarrowAndDuckDBFilesAreAcceptedWithTheirTimeRange() throws {
    let scratch = try ScratchDirectory("tables-foreign")
    let result = try TestSupport.runPython(writeForeignFiles, [scratch.root])
    #expect(result.status == 0, "python: \(result.stderrText)")

    let start: Int64 = 1_717_243_200_123_456
    #expect(
      try TableImport.checkParquet(at: scratch.path("pa_default.parquet"))
        == TableInfo(
          rows: 1000, schema: "time:timestamp?,v:double?,s:string?", timeColumn: "time",
          timeRange: (start + 1_000_003)...(start + 999 * 1_000_003)))
    // 1717243200123449796 ns to 1717243200123456789 ns: rounded outwards to microseconds.
    #expect(
      try TableImport.checkParquet(at: scratch.path("pa_ns.parquet"))
        == TableInfo(
          rows: 1000, schema: "t:timestamp_ns?,x:int64?", timeColumn: "t",
          timeRange: 1_717_243_200_123_449...1_717_243_200_123_457))

    let duck = try TableImport.checkParquet(at: scratch.path("duckdb.parquet"))
    let reader = try ParquetReader(path: scratch.path("duckdb.parquet"))
    #expect(duck.rows == 5000)
    #expect(duck.schema == (try TableSchema(parquet: reader.schema)).description)
    #expect(duck.schema.hasPrefix("ts:timestamp_local"))
    #expect(duck.timeColumn == "ts")
    let newYear: Int64 = 1_704_067_200_000_000
    #expect(duck.timeRange == newYear...(newYear + 4999 * 1_000_000))
  }

  @Test func nestedAndCorruptFilesAreRefused() throws {
    let scratch = try ScratchDirectory("tables-refused")
    let result = try TestSupport.runPython(writeForeignFiles, [scratch.root])
    #expect(result.status == 0, "python: \(result.stderrText)")
    let nested = scratch.path("nested.parquet")
    #expect {
      try TableImport.checkParquet(at: nested)
    } throws: { error in
      let error = error as! TableError
      return error.kind == .parquet && error.description.contains(nested)
        && error.description.contains("nested")
    }
    // A byte flipped in the middle of the file lands in a data page, whose checksum no longer matches.
    let path = scratch.path("pa_crc.parquet")
    var bytes = try scratch.read(path)
    #expect(try TableImport.checkParquet(at: path).rows == 1000)
    bytes[bytes.count / 3] ^= 0x55
    let corrupt = try scratch.write(bytes, to: "corrupt.parquet")
    #expect {
      try TableImport.checkParquet(at: corrupt)
    } throws: { error in
      let error = error as! TableError
      return error.kind == .parquet && error.description.contains(corrupt)
        && error.description.contains("CRC-32 does not match")
    }
  }
}
