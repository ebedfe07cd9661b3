import Parquet
import PondTestSupport
import Testing

@Suite struct PageSkipTests {
  /// Skipping every other page yields exactly the pages a plain read yields at those places.
  @Test(arguments: [false, true]) func skippedPagesLeaveTheOthersIntact(dictionary: Bool) throws {
    let path: String
    let scratch = try ScratchDirectory("page-skip")
    let rows = 5_000
    if dictionary {
      guard TestSupport.interopEnabled else { return }
      path = scratch.path("dict.parquet")
      let script = """
        import sys, os
        import pyarrow as pa, pyarrow.parquet as pq
        def main():
            n = \(rows)
            t = pa.table({"v": pa.array([None if i % 7 == 0 else "s%d" % (i % 40) for i in range(n)])})
            pq.write_table(t, sys.argv[1], data_page_size=512, row_group_size=2000,
                           use_dictionary=True, compression="snappy")
        try:
            main()
        except BaseException:
            import traceback; traceback.print_exc(); sys.stdout.flush(); os._exit(1)
        sys.stdout.flush(); os._exit(0)
        """
      let result = try TestSupport.runPython(script, [path])
      try #require(result.status == 0, "\(result.stderrText)")
    } else {
      path = scratch.path("plain.parquet")
      let schema = try ParquetSchema([ParquetColumn(name: "v", type: .int64, nullable: true)])
      _ = try ParquetWriter.write(
        path: path, schema: schema,
        columns: [.int64s((0..<rows).map { $0 % 7 == 0 ? nil : Int64($0) })],
        options: ParquetWriterOptions(maximumPageRows: 300, syncsOnFinish: false))
    }
    let reader = try ParquetReader(path: path)
    var all: [ParquetColumnData] = []
    var plain = reader.pages(ofColumn: 0)
    while let page = try plain.next() { all.append(page) }
    #expect(all.count > 4)
    var cursor = reader.pages(ofColumn: 0)
    var skippedRows = 0
    for (index, page) in all.enumerated() {
      #expect(try cursor.rowCountOfNextPage() == page.rowCount)
      if index % 2 == 0 {
        #expect(try cursor.skip() == page.rowCount)
        skippedRows += page.rowCount
      } else {
        #expect(try cursor.next() == page)
      }
    }
    #expect(try cursor.rowCountOfNextPage() == nil)
    #expect(try cursor.skip() == nil)
    #expect(try cursor.next() == nil)
    #expect(skippedRows > 0 && skippedRows < rows)
  }
}
