public import Parquet
public import TLogFS

/// What `pond copy --table` does with its source: a CSV file converted to Parquet, or a Parquet file checked
/// as it is, each giving the `TableInfo` its oplog row records.
///
/// These calls read and write files synchronously: call them from a thread that may block (not Swift's
/// cooperative pool).
public enum TableImport {
  /// CSV records converted per `ParquetWriter.write(_:)` batch: bounds memory whatever the file's size.
  public static let batchRows = 65_536

  /// The schema of a CSV file, inferred from its header and every value (one pass over the file).
  ///
  /// Each column takes the first type that holds every non-empty cell: `bool`, `int64`, `double` (so an
  /// integer column with one decimal is `double`), `timestamp`, else `string`; a column without any
  /// value is `string`. Every inferred column is nullable, as pyarrow's and DuckDB's are: the versions of a
  /// series then keep one schema whether or not a file has an empty cell (for a string column, a null is an
  /// empty cell that is not quoted). Header names are trimmed of white space.
  /// - Throws: `TableError` for a malformed file or header.
  public static func inferSchema(ofCSVAt path: String) throws(TableError) -> TableSchema {
    let reader = try CSVReader(path: path)
    let names = try header(of: reader)
    var inferences = [ColumnInference](repeating: ColumnInference(), count: names.count)
    var rows = 0
    while try reader.readRecord() {
      rows += 1
      reader.fieldBytes.withUnsafeBufferPointer { bytes in
        for index in inferences.indices {
          let cell = CSVValues.Cell(rebasing: bytes[reader.range(ofField: index)])
          inferences[index].observe(cell, quoted: reader.isQuoted(index))
        }
      }
    }
    return try TableSchema(
      zip(names, inferences).map { name, inference in
        TableColumn(name: name, type: inference.result.type, nullable: true)
      })
  }

  /// Converts the CSV file at `path` to a new Parquet file at `parquetPath` (which must not exist; it is
  /// published only when complete), with `schema` or, when nil, the schema `inferSchema(ofCSVAt:)` finds
  /// (a second pass). Records go to the writer in batches of `batchRows`.
  ///
  /// With an explicit `schema`, the header must name the same columns, in any order; the file's columns
  /// follow the schema's order.
  /// - Parameter timeColumn: the column holding each row's time; when nil, the one timestamp column if
  ///   there is exactly one, none if there is none.
  /// - Parameter widening: with a `schema`, the header may also name columns the schema lacks (a series'
  ///   schema, widened by a file with new columns): they follow the schema's columns, in the header's
  ///   order, nullable, with the types inference gives them (one more pass over the file).
  /// - Throws: `TableError`: a malformed file (line and column), a value that does not parse as its column's
  ///   type (line, column and value), an unusable time column, or a write failure.
  public static func convertCSV(
    at path: String, to parquetPath: String, schema given: TableSchema? = nil,
    timeColumn: String? = nil, widening: Bool = false,
    options: ParquetWriterOptions = ParquetWriterOptions()
  ) throws(TableError) -> TableInfo {
    var schema: TableSchema
    if let given {
      schema = given
      if widening {
        let names = try header(of: CSVReader(path: path))
        if let missing = given.columns.first(where: { !names.contains($0.name) }) {
          throw TableError(
            .schema, path: path, line: 1, column: missing.name,
            reason:
              "the series has column \(missing.name) (\(given)), the header does not: a version keeps "
              + "every column of its series (an empty column holds nulls)")
        }
        if names.contains(where: { given.index(of: $0) == nil }) {
          let inferred = try inferSchema(ofCSVAt: path)
          schema = try TableSchema(
            given.columns + inferred.columns.filter { given.index(of: $0.name) == nil })
        }
      }
    } else {
      schema = try inferSchema(ofCSVAt: path)
    }
    let timeIndex = try timeColumnIndex(timeColumn, in: schema, path: path)
    let reader = try CSVReader(path: path)
    let names = try header(of: reader)
    var placement: [Int] = []
    for name in names {
      guard let index = schema.index(of: name) else {
        throw TableError(
          .schema, path: path, line: 1, column: name,
          reason: "the header has column \(name), the schema (\(schema)) does not")
      }
      placement.append(index)
    }
    if let missing = schema.columns.first(where: { !names.contains($0.name) }) {
      throw TableError(
        .schema, path: path, line: 1, column: missing.name,
        reason: "the schema has column \(missing.name), the header does not")
    }
    let writer: ParquetWriter
    do {
      writer = try ParquetWriter(path: parquetPath, schema: schema.parquetSchema, options: options)
    } catch {
      throw TableError(error)
    }
    var builders = schema.columns.map { CSVColumnBuilder(column: $0) }
    var rows: Int64 = 0
    var batch = 0
    func flush() throws(TableError) {
      var columns: [ParquetColumnData] = []
      for index in builders.indices { columns.append(builders[index].takeBatch()) }
      do {
        try writer.write(columns)
      } catch {
        throw TableError(error)
      }
      batch = 0
    }
    while try reader.readRecord() {
      try reader.fieldBytes.withUnsafeBufferPointer { bytes throws(TableError) in
        for (field, index) in placement.enumerated() {
          let cell = CSVValues.Cell(rebasing: bytes[reader.range(ofField: field)])
          do throws(CSVColumnBuilder.Refusal) {
            try builders[index].append(cell, quoted: reader.isQuoted(field))
          } catch {
            throw TableError(
              .badValue, path: path, line: reader.line, column: names[field], reason: error.reason)
          }
        }
      }
      rows += 1
      batch += 1
      if batch == batchRows { try flush() }
    }
    if batch > 0 { try flush() }
    do {
      _ = try writer.finish()
    } catch {
      throw TableError(error)
    }
    let time = timeIndex.map { schema.columns[$0].name }
    return TableInfo(
      rows: rows, schema: schema.description, timeColumn: time,
      timeRange: timeIndex.flatMap { builders[$0].timeRange })
  }

  /// Checks a Parquet file to be stored as it is and describes it: its schema maps to a `TableSchema`,
  /// every page of every column decodes, and the time column's range is read page by page (milliseconds
  /// and nanoseconds rounded outwards to microseconds; local times read as UTC).
  /// - Parameter timeColumn: as for `convertCSV`.
  /// - Throws: `TableError` naming the file and the reason (unreadable, corrupt, nested or unsupported
  ///   columns, an unusable time column).
  public static func checkParquet(at path: String, timeColumn: String? = nil) throws(TableError)
    -> TableInfo
  {
    let reader: ParquetReader
    let schema: TableSchema
    do {
      reader = try ParquetReader(path: path)
    } catch {
      throw TableError(error)
    }
    do {
      schema = try TableSchema(parquet: reader.schema)
    } catch {
      throw TableError(error.kind, path: path, column: error.column, reason: error.reason)
    }
    let timeIndex = try timeColumnIndex(timeColumn, in: schema, path: path)
    var timeRange: ClosedRange<Int64>?
    for index in schema.columns.indices {
      var pages = reader.pages(ofColumn: index)
      var rows: Int64 = 0
      let perSecond = schema.columns[index].type.timeUnit?.perSecond ?? 1
      do {
        while let page = try pages.next() {
          rows += Int64(page.rowCount)
          guard index == timeIndex, case .int64(let values) = page.values,
            let low = values.min(), let high = values.max()
          else { continue }
          timeRange = TimeRange.widen(
            timeRange,
            TimeRange.microseconds(low, perSecond: perSecond)
              .lowerBound...TimeRange.microseconds(
                high, perSecond: perSecond
              ).upperBound)
        }
      } catch {
        throw TableError(error)
      }
      guard rows == reader.numRows else {
        throw TableError(
          .parquet, path: path, column: schema.columns[index].name,
          reason: "the column holds \(rows) rows, the file's metadata says \(reader.numRows)")
      }
    }
    return TableInfo(
      rows: reader.numRows, schema: schema.description,
      timeColumn: timeIndex.map { schema.columns[$0].name }, timeRange: timeRange)
  }

  /// The index of the time column: `name`'s (which must be a timestamp column), or when nil the only
  /// timestamp column, or nil when there is none.
  /// - Throws: `TableError` (`.timeColumn`) for a missing or non-timestamp column, or several timestamp
  ///   columns and no `name`.
  public static func timeColumnIndex(_ name: String?, in schema: TableSchema, path: String? = nil)
    throws(TableError) -> Int?
  {
    if let name {
      guard let index = schema.index(of: name) else {
        throw TableError(
          .timeColumn, path: path, column: name,
          reason:
            "there is no column \(name) for the time (columns: \(schema.columns.map(\.name).joined(separator: ", ")))"
        )
      }
      guard schema.columns[index].type.isTimestamp else {
        throw TableError(
          .timeColumn, path: path, column: name,
          reason: "the time column must be a timestamp, \(name) is \(schema.columns[index].type)")
      }
      return index
    }
    let timestamps = schema.columns.indices.filter { schema.columns[$0].type.isTimestamp }
    guard timestamps.count <= 1 else {
      throw TableError(
        .timeColumn, path: path,
        reason:
          "\(timestamps.count) timestamp columns (\(timestamps.map { schema.columns[$0].name }.joined(separator: ", "))): name the time column with --time-column"
      )
    }
    return timestamps.first
  }

  /// Reads the header record and sets the reader to expect its field count.
  private static func header(of reader: CSVReader) throws(TableError) -> [String] {
    guard try reader.readRecord() else {
      throw TableError(
        .malformedCSV, path: reader.path, line: 1,
        reason: "the file is empty: a CSV table needs a header row naming its columns")
    }
    var names: [String] = []
    for index in 0..<reader.fieldCount {
      let bytes = reader.fieldBytes[reader.range(ofField: index)]
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw TableError(
          .malformedCSV, path: reader.path, line: reader.line, column: String(index + 1),
          reason: "the header's name is not valid UTF-8")
      }
      let name = TableSchema.trimmed(text)
      do {
        try TableSchema.check(name: name)
      } catch {
        throw TableError(
          .schema, path: reader.path, line: reader.line, column: String(index + 1),
          reason: error.reason)
      }
      names.append(name)
    }
    do {
      _ = try TableSchema(names.map { TableColumn(name: $0, type: .string, nullable: true) })
    } catch {
      throw TableError(
        .schema, path: reader.path, line: reader.line, column: error.column, reason: error.reason)
    }
    reader.expectedFieldCount = names.count
    return names
  }
}

/// The types one CSV column's cells still fit, narrowed cell by cell.
private struct ColumnInference {
  private var fits: Candidates = .all
  private var sawValue = false
  private var sawNull = false
  private var sawUnquotedEmpty = false

  private struct Candidates: OptionSet {
    let rawValue: UInt8
    static let bool = Candidates(rawValue: 1)
    static let int64 = Candidates(rawValue: 2)
    static let double = Candidates(rawValue: 4)
    static let timestamp = Candidates(rawValue: 8)
    static let all: Candidates = [.bool, .int64, .double, .timestamp]
  }

  mutating func observe(_ cell: CSVValues.Cell, quoted: Bool) {
    if cell.isEmpty && !quoted { sawUnquotedEmpty = true }
    let value = CSVValues.trimmed(cell)
    guard !value.isEmpty else {
      sawNull = true
      return
    }
    sawValue = true
    guard !fits.isEmpty else { return }
    if fits.contains(.bool) && CSVValues.bool(value) == nil { fits.remove(.bool) }
    if fits.contains(.int64) && CSVValues.int64(value) == nil { fits.remove(.int64) }
    if fits.contains(.double) && CSVValues.double(value) == nil { fits.remove(.double) }
    if fits.contains(.timestamp) && CSVValues.timestamp(value, perSecond: 1_000_000) == nil {
      fits.remove(.timestamp)
    }
  }

  var result: (type: TableColumnType, nullable: Bool) {
    let type: TableColumnType =
      if !sawValue || fits.isEmpty {
        .string
      } else if fits.contains(.bool) {
        .bool
      } else if fits.contains(.int64) {
        .int64
      } else if fits.contains(.double) {
        .double
      } else {
        .timestamp
      }
    return (type, type == .string ? sawUnquotedEmpty : sawNull)
  }
}

extension TableError {
  /// A Parquet reader's or writer's error, naming its file.
  init(_ error: ParquetError) {
    self.init(.parquet, path: error.path, reason: "\(error.kind): \(error.reason)")
  }
}
