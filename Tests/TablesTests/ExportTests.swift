import Foundation
import Parquet
import PondTestSupport
import PondTime
import TLogFS
import Tables
import Testing
import TinyFS

@Suite("Export: hive partitions of a table's rows, batch by batch")
struct ExportTests {
  static let day = 86_400 * Int64(1_000_000_000)
  static let june1 = Int64(1_717_200_000) * 1_000_000_000  // 2024-06-01T00:00:00Z in ns

  /// A table with nanosecond times out of order, a null and Int64.max (2262-04-11), exported by day with
  /// batches of 2 rows: a new file whenever the period changes, a run continued across batches.
  @Test func rowsOutOfOrderAndAcrossBatches() throws {
    let directory = try TestSupport.makeTemporaryDirectory("export")
    let root = directory.appendingPathComponent("pond").path
    try PondStore.create(root: root, birthplace: "test", commandLine: "init")
    let times: [Int64?] = [
      Self.june1, Self.june1 + 1, Self.june1 + Self.day, Self.june1 + 2, nil,
      Self.june1 + Self.day + 5, Self.june1 + 2 * Self.day - 1, .max,
    ]
    let schema = try ParquetSchema([
      ParquetColumn(
        name: "time", physicalType: .int64,
        logicalType: .timestamp(unit: .nanoseconds, isAdjustedToUTC: true), nullable: true),
      ParquetColumn(name: "v", type: .int64, nullable: false),
    ])
    let source = directory.appendingPathComponent("t.parquet").path
    _ = try ParquetWriter.write(
      path: source, schema: schema, columns: [.int64s(times), .int64s((0..<8).map { Int64($0) })])
    let prepared = try TableCopy.prepare(
      source, to: "/t", series: false, schema: nil, timeColumn: nil,
      reading: try PondStore(root: root, mode: .read))
    _ = try prepared.store(
      into: try PondStore(root: root, mode: .write(wait: false)), commandLine: "copy")
    let store = try PondStore(root: root, mode: .read)
    let out = directory.appendingPathComponent("out").path
    let reports = try Export.run(
      ["/t"], from: store, in: try store.fileSystem(), to: out,
      partitioning: try ExportPartitioning(parsing: "year,month,day"), batchRows: 2)
    #expect(reports.map(\.files) == [6])
    #expect(reports.map(\.rows) == [8])
    #expect(reports.map(\.splitVersions) == [1])
    let version = try #require(try store.tableVersions("/t", in: store.fileSystem()).first)
    let null =
      "year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/"
      + "day=__HIVE_DEFAULT_PARTITION__"
    let expected: [(String, [Int64])] = [
      ("year=2024/month=06/day=01", [0, 1]), ("year=2024/month=06/day=02", [2]),
      ("year=2024/month=06/day=01", [3]), (null, [4]), ("year=2024/month=06/day=02", [5, 6]),
      ("year=2262/month=04/day=11", [7]),
    ]
    for (number, (partition, values)) in expected.enumerated() {
      let path = "\(out)/t/\(partition)/part-\(version.transaction)-\(number).parquet"
      let reader = try ParquetReader(path: path)
      #expect(reader.schema == schema)
      #expect(try reader.readColumn(1).rows() == values.map { .int64($0) }, "\(path)")
    }
    let names = try #require(FileManager.default.enumerator(atPath: out + "/t"))
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".parquet") || $0.contains(".pond-tmp-") }
    #expect(names.count == 6, "\(names)")
  }
}
