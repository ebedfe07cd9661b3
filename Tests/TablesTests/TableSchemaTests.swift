import Parquet
import Tables
import Testing

@Suite("Table schemas: text, Parquet and differences")
struct TableSchemaTests {
  @Test(arguments: [
    "time:timestamp,temp_c:double?,site:string",
    "a:timestamp_ms,b:timestamp_ns?,c:timestamp_local,d:timestamp_ms_local,e:timestamp_ns_local",
    "x:float,y:int32?,z:int64,w:bool,v:binary?,u:date",
    "naïve name with spaces:string",
    "q?:double",
  ])
  func textRoundTrips(_ text: String) throws {
    let schema = try TableSchema(parsing: text)
    #expect(schema.description == text)
    #expect(try TableSchema(parsing: schema.description) == schema)
    #expect(try TableSchema(parquet: schema.parquetSchema) == schema)
  }

  @Test func spacesAndAliasesAreAccepted() throws {
    let schema = try TableSchema(
      parsing: " time : timestamp_us , ok:boolean ?, t: timestamp_us_local")
    #expect(schema.description == "time:timestamp,ok:bool?,t:timestamp_local")
    #expect(schema.columns[1] == TableColumn(name: "ok", type: .bool, nullable: true))
  }

  @Test(arguments: [
    ("", "not name:type"), ("time", "not name:type"), ("a:b:c", "not name:type"),
    ("time:timestamp,", "not name:type"), ("time:datetime", "unknown type \"datetime\""),
    (":double", "a column name is empty"), ("a:double,a:int64", "appears twice"),
    ("a\tb:double", "control character (U+0009)"), ("time:", "unknown type \"\""),
  ])
  func badTextIsRefused(_ text: String, _ expected: String) {
    #expect {
      try TableSchema(parsing: text)
    } throws: { error in
      let error = error as! TableError
      return error.kind == .schema && error.description.contains(expected)
    }
  }

  @Test(arguments: ["a,b", "a:b", "", "tab\there", " padded", "line\nend"])
  func badNamesAreRefused(_ name: String) {
    #expect(throws: TableError.self) {
      try TableSchema([TableColumn(name: name, type: .double, nullable: false)])
    }
  }

  @Test func parquetTypesMapBothWays() throws {
    let parquet = try ParquetSchema([
      ParquetColumn(name: "t", type: .timestamp, nullable: false),
      ParquetColumn(
        name: "ms", physicalType: .int64,
        logicalType: .timestamp(unit: .milliseconds, isAdjustedToUTC: true), nullable: true),
      ParquetColumn(
        name: "local", physicalType: .int64,
        logicalType: .timestamp(unit: .nanoseconds, isAdjustedToUTC: false), nullable: true),
      ParquetColumn(name: "d", physicalType: .int32, logicalType: .date, nullable: true),
      ParquetColumn(name: "f", physicalType: .float, nullable: true),
      ParquetColumn(name: "s", type: .string, nullable: true),
      ParquetColumn(name: "b", type: .binary, nullable: false),
    ])
    let schema = try TableSchema(parquet: parquet)
    #expect(
      schema.description
        == "t:timestamp,ms:timestamp_ms?,local:timestamp_ns_local?,d:date?,f:float?,s:string?,b:binary"
    )
    #expect(schema.parquetSchema == parquet)
  }

  @Test func parquetNamesTheSyntaxCannotCarryAreRefusedNamingTheColumn() throws {
    let parquet = try ParquetSchema([ParquetColumn(name: "a,b", type: .int64, nullable: true)])
    #expect {
      try TableSchema(parquet: parquet)
    } throws: { error in
      (error as! TableError).description.contains("\"a,b\"")
    }
  }

  @Test func differencesAreExplainedInOneLine() throws {
    let series = try TableSchema(parsing: "time:timestamp,temp_c:int64,x:double?,n:bool")
    let version = try TableSchema(parsing: "time:timestamp,temp_c:double,n:bool?,extra:string")
    #expect(
      version.difference(fromSeries: series)
        == "column temp_c is double here, int64 in the series; column x is missing; "
        + "column n is nullable here, not nullable in the series; column extra is not in the series"
    )
    #expect(series.difference(fromSeries: series) == nil)
    let reordered = try TableSchema(parsing: "temp_c:int64,time:timestamp,x:double?,n:bool")
    #expect(
      reordered.difference(fromSeries: series)
        == "the columns are in another order (temp_c,time,x,n here, time,temp_c,x,n in the series)")
  }
}
