import Foundation
import Parquet
import PondTestSupport
import Testing

/// Writes argv[1] with pyarrow: several row groups, tiny pages that end at different rows in each column,
/// nulls, dictionary strings and v2 pages.
private let writeSmallPages = """
  import os, sys
  def main():
      import pyarrow as pa, pyarrow.parquet as pq
      n = 1000
      table = pa.table({
          "i": pa.array([None if k % 3 == 0 else k for k in range(n)], pa.int64()),
          "s": pa.array([None if k % 5 == 0 else "v" * (k % 17) + str(k) for k in range(n)], pa.string()),
          "d": pa.array([k * 0.5 for k in range(n)], pa.float64()),
      })
      pq.write_table(table, sys.argv[1], row_group_size=300, data_page_size=100, write_batch_size=7,
                     data_page_version="2.0")
  """ + runPythonMain

@Suite("ParquetRowBatches: row-aligned batches over columns whose pages end at different rows")
struct RowBatchesTests {
  static let schema = try! ParquetSchema([
    ParquetColumn(name: "i", type: .int64, nullable: true),
    ParquetColumn(name: "s", type: .string, nullable: true),
    ParquetColumn(name: "b", type: .boolean, nullable: false),
    ParquetColumn(name: "d", physicalType: .double, logicalType: nil, nullable: true),
  ])

  static let rows = 1000
  static let columns: [ParquetColumnData] = [
    .int64s((0..<rows).map { $0 % 3 == 0 ? nil : Int64($0) }),
    .strings((0..<rows).map { $0 % 5 == 0 ? nil : String(repeating: "x", count: $0 % 23) }),
    .booleans((0..<rows).map { $0 % 2 == 0 }),
    .doubles((0..<rows).map { $0 % 7 < 3 ? nil : Double($0) }),
  ]

  /// A file whose pages close after 200 bytes or 37 rows: each column's pages end at other rows.
  static func smallPageFile() throws -> String {
    let path = try TestSupport.makeTemporaryDirectory("row-batches").appendingPathComponent(
      "t.parquet"
    ).path
    _ = try ParquetWriter.write(
      path: path, schema: schema, columns: columns,
      options: ParquetWriterOptions(compression: .none, maximumPageRows: 37, maximumPageBytes: 200))
    return path
  }

  /// Reads every batch, checking that its columns have one row count, at most `batchRows`; returns the
  /// rows of each column, concatenated.
  static func readAll(_ reader: ParquetReader, columns: [Int], batchRows: Int) throws
    -> [[ParquetValue?]]
  {
    var batches = ParquetRowBatches(reader: reader, columns: columns, batchRows: batchRows)
    var result = [[ParquetValue?]](repeating: [], count: columns.count)
    var total: Int64 = 0
    while let batch = try batches.next() {
      #expect(batch.count == columns.count)
      let count = batch[0].rowCount
      #expect(count > 0 && count <= batchRows)
      #expect(count == batchRows || total + Int64(count) == reader.numRows)
      for (index, column) in batch.enumerated() {
        #expect(column.rowCount == count)
        result[index] += column.rows()
      }
      total += Int64(count)
    }
    #expect(total == reader.numRows)
    #expect(try batches.next() == nil)
    return result
  }

  @Test(arguments: [1, 7, 36, 37, 100, 999, 1000, 5000])
  func batchesHoldEveryRowOnce(batchRows: Int) throws {
    let reader = try ParquetReader(path: try Self.smallPageFile())
    let read = try Self.readAll(reader, columns: [0, 1, 2, 3], batchRows: batchRows)
    #expect(read == Self.columns.map { $0.rows() })
  }

  @Test func pagesDoEndAtDifferentRows() throws {
    let reader = try ParquetReader(path: try Self.smallPageFile())
    var ends: [[Int]] = []
    for column in 0..<4 {
      var pages = reader.pages(ofColumn: column)
      var end = 0
      var columnEnds: [Int] = []
      while let page = try pages.next() {
        end += page.rowCount
        columnEnds.append(end)
      }
      ends.append(columnEnds)
    }
    #expect(Set(ends).count > 1, "the fixture must have columns whose pages end at different rows")
  }

  @Test func aSubsetOfColumnsInAnotherOrder() throws {
    let reader = try ParquetReader(path: try Self.smallPageFile())
    let read = try Self.readAll(reader, columns: [3, 1], batchRows: 50)
    #expect(read == [Self.columns[3].rows(), Self.columns[1].rows()])
  }

  @Test func aFileOfNoRowsHasNoBatch() throws {
    let path = try TestSupport.makeTemporaryDirectory("row-batches").appendingPathComponent(
      "empty.parquet"
    ).path
    _ = try ParquetWriter.write(
      path: path, schema: Self.schema,
      columns: [.int64s([]), .strings([]), .booleans([]), .doubles([])])
    var batches = ParquetRowBatches(reader: try ParquetReader(path: path), columns: [0, 1])
    #expect(try batches.next() == nil)
  }

  @Test(arguments: [0..<0, 0..<1, 3..<4, 2..<17, 0..<1000, 995..<1000, 999..<1000])
  func sliceKeepsTheRowsOfTheRange(rows: Range<Int>) {
    for column in Self.columns {
      let slice = column.slice(rows: rows)
      #expect(slice.rowCount == rows.count)
      #expect(slice.rows() == Array(column.rows()[rows]))
    }
  }

  @Test(
    .enabled(if: TestSupport.interopEnabled, "needs .venv with pyarrow: run `make deps`"),
    arguments: [1, 13, 300, 301, 4096])
  func aPyarrowFileOfSeveralRowGroupsAndV2Pages(batchRows: Int) throws {
    let path = try TestSupport.makeTemporaryDirectory("row-batches").appendingPathComponent(
      "arrow.parquet"
    ).path
    guard let result = try Fixtures.python(writeSmallPages, [path]) else { return }
    #expect(result.status == 0, "\(result.stderrText)")
    let reader = try ParquetReader(path: path)
    #expect(reader.rowGroupRowCounts == [300, 300, 300, 100])
    let read = try Self.readAll(reader, columns: [0, 1, 2], batchRows: batchRows)
    #expect(read == (try (0..<3).map { try reader.readColumn($0).rows() }))
    #expect(read[0][3] == nil && read[0][4] == .int64(4))
    #expect(read[1][0] == nil)
  }
}
