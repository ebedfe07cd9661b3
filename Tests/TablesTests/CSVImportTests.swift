import Parquet
import PondTestSupport
import TLogFS
import Tables
import Testing

/// Writes CSV text to a scratch directory and converts it.
struct CSVFixture {
  let scratch: ScratchDirectory
  let path: String

  init(_ text: String) throws {
    scratch = try ScratchDirectory("csv-import")
    path = try scratch.write(Array(text.utf8), to: "data.csv")
  }

  var parquetPath: String { scratch.path("data.parquet") }

  static let options = ParquetWriterOptions(syncsOnFinish: false)

  func schema() throws -> String { try TableImport.inferSchema(ofCSVAt: path).description }

  func convert(schema: String? = nil, timeColumn: String? = nil) throws -> TableInfo {
    try TableImport.convertCSV(
      at: path, to: parquetPath, schema: try schema.map { try TableSchema(parsing: $0) },
      timeColumn: timeColumn, options: Self.options)
  }

  /// The converted file's columns, each row as a cell (nil = null).
  func readBack() throws -> [[ParquetValue?]] {
    try ParquetReader(path: parquetPath).readAllColumns().map { $0.rows() }
  }
}

@Suite("CSV inference and conversion")
struct CSVImportTests {
  @Test func awkwardFileInfersEveryType() throws {
    let csv = try CSVFixture(
      "\u{FEFF}time,temp_c,count,ok,note,empty\r\n"
        + "2024-01-01T00:00:00Z,1,3,true,\"a, b\",\r\n"
        + "2024-01-01T01:00:00.5+01:00,2.5e1,,FALSE,\"multi\nline \"\"quoted\"\"\",\r\n"
        + "2024-01-01 02:00:00,,-7,True,,\r\n")
    #expect(
      try csv.schema()
        == "time:timestamp?,temp_c:double?,count:int64?,ok:bool?,note:string?,empty:string?")
    let info = try csv.convert()
    let hour: Int64 = 3_600_000_000
    let start: Int64 = 1_704_067_200_000_000
    #expect(info.rows == 3)
    #expect(info.timeColumn == "time")
    #expect(info.timeRange == start...(start + 2 * hour))
    // The file as written describes itself alike when stored as it is.
    #expect(try TableImport.checkParquet(at: csv.parquetPath) == info)
    #expect(
      info.schema
        == "time:timestamp?,temp_c:double?,count:int64?,ok:bool?,note:string?,empty:string?"
    )
    let columns = try csv.readBack()
    #expect(columns[0] == [.int64(start), .int64(start + 500_000), .int64(start + 2 * hour)])
    #expect(columns[1] == [.double(1), .double(25), nil])
    #expect(columns[2] == [.int64(3), nil, .int64(-7)])
    #expect(columns[3] == [.boolean(true), .boolean(false), .boolean(true)])
    #expect(
      columns[4] == [
        .bytes(Array("a, b".utf8)), .bytes(Array("multi\nline \"quoted\"".utf8)), nil,
      ])
    #expect(columns[5] == [nil, nil, nil])
  }

  @Test(arguments: [
    ("x\n1\n2\n3\n", "x:int64?"), ("x\n1\n2.5\n3\n", "x:double?"),
    ("x\n1\n-inf\nNaN\n", "x:double?"),
    ("x\n1\n1e400000\n", "x:double?"), ("x\n99999999999999999999\n", "x:double?"),
    ("x\n1\nabc\n", "x:string?"), ("x\ntrue\n1\n", "x:string?"), ("x\n0x10\n", "x:string?"),
    ("x\n2024-01-01\n2024-01-01T00:00:00-02:30\n", "x:timestamp?"),
    ("x\n2024-13-01\n", "x:string?"),
    ("x\n\"\"\n", "x:string?"), ("x\n\n\n", "x:string?"), ("x\n 1 \n", "x:int64?"),
    ("x\n\"\"\n1\n", "x:int64?"), ("a,b\n,\"\"\n", "a:string?,b:string?"),
  ])
  func inference(_ text: String, _ expected: String) throws {
    #expect(try CSVFixture(text).schema() == expected)
  }

  @Test func numbersInEveryDecimalForm() throws {
    let csv = try CSVFixture("x\n.5\n1.\n+1.5\n-2E-3\n 7 \n-0\n1e308\n")
    #expect(try csv.schema() == "x:double?")
    _ = try csv.convert()
    #expect(
      try csv.readBack()[0] == [
        .double(0.5), .double(1), .double(1.5), .double(-0.002), .double(7), .double(-0.0),
        .double(1e308),
      ])
  }

  @Test func headerOnlyIsATableOfNoRows() throws {
    let csv = try CSVFixture("time,value\n")
    #expect(try csv.schema() == "time:string?,value:string?")
    let info = try csv.convert()
    #expect(
      info
        == TableInfo(rows: 0, schema: "time:string?,value:string?", timeColumn: nil, timeRange: nil)
    )
    #expect(try ParquetReader(path: csv.parquetPath).numRows == 0)
    let typed = try CSVFixture("time,value\n")
    #expect(
      try typed.convert(schema: "time:timestamp,value:double")
        == TableInfo(
          rows: 0, schema: "time:timestamp,value:double", timeColumn: "time", timeRange: nil))
  }

  @Test func emptyFileIsRefused() throws {
    #expect {
      try CSVFixture("").convert()
    } throws: { error in
      (error as! TableError).kind == .malformedCSV
        && (error as! TableError).description.contains("needs a header row")
    }
  }

  @Test func explicitSchemaOrdersColumnsAndParsesEveryType() throws {
    let csv = try CSVFixture(
      "v,f,i,d,t,ms,ns,b,s,bin\n"
        + "1.5,0.25,7,2024-02-29,2024-01-01T00:00:00.123456789Z,2024-01-01T00:00:00.9999Z,"
        + "2024-01-01T00:00:00.000000001Z,true,\"\",raw\n"
        + ",,,,,,,,,\n")
    let schema =
      "t:timestamp?,ns:timestamp_ns?,ms:timestamp_ms?,v:double?,f:float?,i:int32?,d:date?,b:bool?,s:string?,bin:binary?"
    let info = try csv.convert(schema: schema, timeColumn: "ns")
    let start: Int64 = 1_704_067_200_000_000
    #expect(info.schema == schema)
    #expect(info.timeColumn == "ns")
    #expect(try TableImport.checkParquet(at: csv.parquetPath, timeColumn: "ns") == info)
    // One nanosecond past a microsecond: the range rounds outwards.
    #expect(info.timeRange == start...(start + 1))
    let columns = try csv.readBack()
    #expect(
      columns.map { $0[0] } == [
        .int64(start + 123_456), .int64(start * 1000 + 1), .int64(start / 1000 + 999), .double(1.5),
        .float(0.25), .int32(7), .int32(19_782), .boolean(true), .bytes([]),
        .bytes(Array("raw".utf8)),
      ])
    #expect(columns.allSatisfy { $0[1] == nil })
  }

  @Test func badValueUnderAnExplicitSchemaNamesLineColumnAndValue() throws {
    let csv = try CSVFixture("time,temp_c\n2024-01-01T00:00:00Z,1\n\"2024-01-01\nT01:00:00Z\",2\n")
    #expect {
      try csv.convert(schema: "time:timestamp,temp_c:double")
    } throws: { error in
      let error = error as! TableError
      return error.kind == .badValue && error.line == 3 && error.column == "time"
        && error.description.contains("\"2024-01-01\\nT01:00:00Z\" is not a timestamp")
    }
    #expect(!csv.scratch.exists(csv.parquetPath))
    let nulls = try CSVFixture("time,temp_c\n2024-01-01T00:00:00Z,\n")
    #expect {
      try nulls.convert(schema: "time:timestamp,temp_c:double")
    } throws: { error in
      let error = error as! TableError
      return error.line == 2 && error.column == "temp_c"
        && error.description.contains("write temp_c:double? in the schema")
    }
    let int = try CSVFixture("n\n1\n3000000000\n")
    #expect {
      try int.convert(schema: "n:int32")
    } throws: { error in
      (error as! TableError).description.contains(
        "line 3, column n: \"3000000000\" is not an int32")
    }
  }

  @Test func headerAndSchemaMustNameTheSameColumns() throws {
    let csv = try CSVFixture("a,b\n1,2\n")
    #expect {
      try csv.convert(schema: "a:int64,c:int64")
    } throws: { error in
      (error as! TableError).description.contains("the header has column b, the schema")
    }
    #expect {
      try csv.convert(schema: "a:int64,b:int64,c:int64")
    } throws: { error in
      (error as! TableError).description.contains("the schema has column c, the header does not")
    }
  }

  @Test func malformedFilesAreRefusedWithLineAndColumn() throws {
    #expect {
      try CSVFixture("a,b\n1,2\n3\n").convert()
    } throws: { error in
      let error = error as! TableError
      return error.kind == .malformedCSV && error.line == 3 && error.column == "2"
    }
    #expect {
      try CSVFixture("a,b\n1,\"2\n").convert()
    } throws: { error in
      let error = error as! TableError
      return error.kind == .malformedCSV && error.line == 2 && error.column == "2"
    }
    #expect {
      try CSVFixture("a,a\n1,2\n").convert()
    } throws: { error in
      (error as! TableError).description.contains("appears twice")
    }
    #expect {
      try CSVFixture("a,\n1,2\n").convert()
    } throws: { error in
      (error as! TableError).description.contains("line 1, column 2: a column name is empty")
    }
  }

  @Test func timeColumnIsInferredGivenOrRefused() throws {
    let two = try CSVFixture("a,b,v\n2024-01-01,2024-01-02,1\n")
    #expect {
      try two.convert()
    } throws: { error in
      (error as! TableError).kind == .timeColumn
        && (error as! TableError).description.contains("2 timestamp columns (a, b)")
    }
    let info = try two.convert(timeColumn: "b")
    #expect(
      info.timeColumn == "b" && info.timeRange == 1_704_153_600_000_000...1_704_153_600_000_000)
    #expect {
      try CSVFixture("a,v\n2024-01-01,1\n").convert(timeColumn: "v")
    } throws: { error in
      (error as! TableError).description.contains("the time column must be a timestamp, v is int64")
    }
    #expect {
      try CSVFixture("a,v\n2024-01-01,1\n").convert(timeColumn: "when")
    } throws: { error in
      (error as! TableError).description.contains("there is no column when")
    }
    #expect(try CSVFixture("v\n1\n").convert().timeColumn == nil)
  }

  @Test func invalidUTF8InAStringColumnIsRefused() throws {
    let scratch = try ScratchDirectory("csv-utf8")
    let path = try scratch.write(Array("s\nok\n".utf8) + [0xFF, 0x0A], to: "bad.csv")
    #expect {
      try TableImport.convertCSV(
        at: path, to: scratch.path("out.parquet"), options: CSVFixture.options)
    } throws: { error in
      (error as! TableError).description.contains("line 3, column s: the cell is not valid UTF-8")
    }
  }

  @Test func manyBatchesKeepEveryRow() throws {
    let rows = TableImport.batchRows + 1000
    var text = "time,v\n"
    text.reserveCapacity(rows * 24)
    for row in 0..<rows {
      text += "\(1_700_000_000 + row),\(row % 7 == 0 ? "" : String(row))\n"
    }
    let csv = try CSVFixture(text)
    let info = try csv.convert(schema: "time:int64,v:int64?")
    #expect(info.rows == Int64(rows))
    let reader = try ParquetReader(path: csv.parquetPath)
    #expect(reader.numRows == Int64(rows))
    let values = try reader.readColumn(1)
    #expect(values.nullCount == (rows + 6) / 7)
  }
}
