/// Reads several columns of one Parquet file side by side, in batches of whole rows: each `next()` returns
/// one `ParquetColumnData` per requested column, all with the same row count.
///
/// This is the one place where pages of different columns (which end at different rows) are lined up.
/// Each column keeps one decoded page from its `ParquetColumnPages` cursor and an offset into it; a batch
/// takes rows from the current pages and pulls the next page of a column only when its page is used up.
/// Memory is one page (plus its dictionary) per column and the batch, whatever the file's size. A batch
/// that is exactly one whole page of a column hands that page over without copying.
public struct ParquetRowBatches: Sendable {
  /// The schema indices of the columns, in the order of each batch's entries.
  public let columns: [Int]
  /// The largest row count of a batch.
  public let batchRows: Int
  /// Rows not yet returned.
  public private(set) var remainingRows: Int64

  private let path: String
  private let totalRows: Int64
  private var cursors: [ColumnCursor]
  private var failure: ParquetError?

  /// One column's page cursor, its current page and how far into it the batches have read.
  private struct ColumnCursor: Sendable {
    var pages: ParquetColumnPages
    var page: ParquetColumnData?
    /// Rows of `page` already returned.
    var rowOffset = 0
    /// Values (present rows) of `page` already returned.
    var valueOffset = 0

    var rowsLeftInPage: Int { (page?.rowCount ?? 0) - rowOffset }
  }

  /// Batches over columns `columns` (schema indices, each at most once, at least one) of every row group of
  /// `reader`, of up to `batchRows` rows each.
  public init(reader: ParquetReader, columns: [Int], batchRows: Int = 8192) {
    precondition(!columns.isEmpty, "a batch needs at least one column")
    precondition(batchRows > 0, "batchRows must be positive")
    precondition(Set(columns).count == columns.count, "a column is requested twice")
    self.columns = columns
    self.batchRows = batchRows
    self.path = reader.path
    remainingRows = reader.numRows
    totalRows = reader.numRows
    cursors = columns.map { ColumnCursor(pages: reader.pages(ofColumn: $0)) }
  }

  /// The next batch of `min(batchRows, remainingRows)` rows, or `nil` after the last row.
  ///
  /// - Throws: `ParquetError` when a page cannot be read, or when the columns' pages do not hold the rows
  ///   the footer declares (`.corrupt`). After an error the batches throw that error again.
  public mutating func next() throws(ParquetError) -> [ParquetColumnData]? {
    if let failure { throw failure }
    do {
      return try advance()
    } catch {
      failure = error
      throw error
    }
  }

  private mutating func advance() throws(ParquetError) -> [ParquetColumnData]? {
    guard remainingRows > 0 else {
      try checkExhausted()
      return nil
    }
    let rows = Int(min(Int64(batchRows), remainingRows))
    var batch: [ParquetColumnData] = []
    batch.reserveCapacity(cursors.count)
    for index in cursors.indices {
      batch.append(try take(rows, from: &cursors[index]))
    }
    remainingRows -= Int64(rows)
    return batch
  }

  /// The next `rows` rows of one column, pulling pages as needed.
  private func take(_ rows: Int, from cursor: inout ColumnCursor) throws(ParquetError)
    -> ParquetColumnData
  {
    var builder: ColumnBuilder?
    var needed = rows
    while needed > 0 {
      if cursor.rowsLeftInPage == 0 {
        guard let page = try cursor.pages.next() else {
          throw ParquetError(
            path: path, kind: .corrupt,
            reason:
              "column \"\(cursor.pages.column.name)\" holds fewer rows than the footer declares (\(totalRows))"
          )
        }
        cursor.page = page
        cursor.rowOffset = 0
        cursor.valueOffset = 0
        continue
      }
      guard let page = cursor.page else { preconditionFailure("a page with rows left is set") }
      let count = min(needed, cursor.rowsLeftInPage)
      if builder == nil && count == rows && cursor.rowOffset == 0 && count == page.rowCount {
        cursor.rowOffset = count
        cursor.valueOffset = page.values.count
        return page
      }
      let values = page.presentCount(inRows: cursor.rowOffset..<cursor.rowOffset + count)
      if builder == nil { builder = ColumnBuilder(physicalType: cursor.pages.column.physicalType) }
      builder!.append(
        page, rows: cursor.rowOffset..<cursor.rowOffset + count,
        values: cursor.valueOffset..<cursor.valueOffset + values)
      cursor.rowOffset += count
      cursor.valueOffset += values
      needed -= count
    }
    return builder!.finish()
  }

  /// After the declared rows: every column's pages must be used up too.
  private mutating func checkExhausted() throws(ParquetError) {
    for index in cursors.indices {
      var extra = cursors[index].rowsLeftInPage
      if extra == 0 { extra = try cursors[index].pages.next()?.rowCount ?? 0 }
      guard extra == 0 else {
        throw ParquetError(
          path: path, kind: .corrupt,
          reason:
            "column \"\(cursors[index].pages.column.name)\" holds more rows than the footer declares"
        )
      }
      cursors[index].page = nil
      cursors[index].rowOffset = 0
    }
  }
}

extension ParquetColumnData {
  /// Rows `rows` of this column, nulls included.
  public func slice(rows: Range<Int>) -> ParquetColumnData {
    precondition(rows.lowerBound >= 0 && rows.upperBound <= rowCount, "rows out of range")
    if rows.count == rowCount { return self }
    let first = presentCount(inRows: 0..<rows.lowerBound)
    let count = presentCount(inRows: rows)
    var builder = ColumnBuilder(physicalType: values.physicalType)
    builder.append(self, rows: rows, values: first..<first + count)
    return builder.finish()
  }

  /// How many rows of `rows` are present (not null).
  func presentCount(inRows rows: Range<Int>) -> Int {
    guard let presence else { return rows.count }
    var count = 0
    for row in rows where presence[row] { count += 1 }
    return count
  }
}
