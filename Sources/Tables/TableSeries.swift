public import Parquet
public import TLogFS

/// The versions of a series of tables as one table: which version may be appended (a series may widen with
/// new nullable columns), the schema a reader sees (the latest version's), and where each of its columns is
/// in an older version's file (nowhere: read as null).
///
/// Every reader of a series (SQL and `pond cat`, `pond reduce`, `pond export`) goes through this type, and
/// every writer that appends to a series (`pond copy --table --series`, collectors) checks with
/// `checkAppend(_:onto:series:)`.
public enum TableSeries {
  /// Refuses `table` as the next version of the series of tables at the pond path `path`, whose latest
  /// version `latest` describes (nil when the series has none yet: any table may start it).
  ///
  /// The rule (`TableSchema.refusal(toExtend:)`): the latest version's columns, with the same types and
  /// nullability, in the same order, plus any new nullable columns anywhere between them; the same time
  /// column.
  /// - Throws: `TableError` (`.schema` or `.timeColumn`) naming the series and every difference.
  public static func checkAppend(_ table: TableInfo, onto latest: TableInfo?, series path: String)
    throws(TableError)
  {
    guard let latest else { return }
    let seriesSchema = try TableSchema(parsing: latest.schema)
    if let refusal = try TableSchema(parsing: table.schema).refusal(toExtend: seriesSchema) {
      throw TableError(
        .schema, path: path,
        reason: "the table does not extend the series' schema (\(seriesSchema)): \(refusal); "
          + "nothing was appended")
    }
    guard table.timeColumn == latest.timeColumn else {
      throw TableError(
        .timeColumn, path: path,
        reason: "the table's time column is \(table.timeColumn ?? "none"), the series' is "
          + "\(latest.timeColumn ?? "none"); nothing was appended")
    }
  }

  /// `checkAppend(table, onto:series: path)` as the check `PondStore.storeTable` and `stageTable` run under
  /// the writer lock with the latest version stored at `path`:
  /// `store.storeTable(parquetAt:describedBy: table, to: path, series: true, commandLine:check:
  /// TableSeries.appendCheck(table, series: path))`.
  public static func appendCheck(_ table: TableInfo, series path: String) -> (TableInfo?) throws ->
    Void
  {
    { latest in try checkAppend(table, onto: latest, series: path) }
  }

  /// The schema `versions` (of the table or series at `path`, oldest first) are read with: the latest
  /// version's, which every older version's must widen to; nil when there is no version.
  /// - Throws: `TableError` (`.schema`) naming a version that does not fit (stored before the rule, or
  ///   with another time column).
  public static func schema(of versions: [TableVersion], path: String) throws(TableError)
    -> TableSchema?
  {
    guard let latest = versions.last else { return nil }
    let schema = try TableSchema(parsing: latest.table.schema)
    var checked = Set([latest.table.schema])
    for version in versions.dropLast() where !checked.contains(version.table.schema) {
      if let refusal = schema.refusal(toExtend: try TableSchema(parsing: version.table.schema)) {
        throw TableError(
          .schema, path: path,
          reason:
            "version \(version.version) (\(version.table.schema)) does not fit the latest version's "
            + "schema (\(schema)): \(refusal)")
      }
      checked.insert(version.table.schema)
    }
    if let other = versions.first(where: { $0.table.timeColumn != latest.table.timeColumn }) {
      throw TableError(
        .timeColumn, path: path,
        reason:
          "version \(other.version)'s time column is \(other.table.timeColumn ?? "none"), the latest "
          + "version's \(latest.table.timeColumn ?? "none")")
    }
    return schema
  }

  /// For each column of `table` (the schema a series is read with), its index in `file` (one version's
  /// file), or nil when the file lacks it and its rows read as null. Columns match by name.
  ///
  /// Nil when the file does not fit: it has a column `table` lacks, or one of another type, or nulls in a
  /// column `table` does not allow them in, or it lacks a column that is not nullable.
  public static func positions(of table: ParquetSchema, in file: ParquetSchema) -> [Int?]? {
    var positions: [Int?] = []
    var found = 0
    for column in table.columns {
      guard let index = file.index(of: column.name) else {
        guard column.nullable else { return nil }
        positions.append(nil)
        continue
      }
      let here = file.columns[index]
      guard here.physicalType == column.physicalType, here.logicalType == column.logicalType,
        !here.nullable || column.nullable
      else { return nil }
      positions.append(index)
      found += 1
    }
    return found == file.columns.count ? positions : nil
  }

  /// A batch of `rows` nulls of `column`, for a column a version's file lacks.
  static func nulls(_ column: ParquetColumn, rows: Int) -> ParquetColumnData {
    let values: ParquetValues =
      switch column.physicalType {
      case .boolean: .boolean([])
      case .int32: .int32([])
      case .int64: .int64([])
      case .float: .float([])
      case .double: .double([])
      case .byteArray: .byteArray(ParquetByteArrays())
      }
    return ParquetColumnData(values: values, presence: Array(repeating: false, count: rows))
  }

  /// Row-aligned batches (`ParquetRowBatches`) of one version's file, with columns of the schema the
  /// series is read with: a column the file lacks comes as nulls. Memory as `ParquetRowBatches`'.
  struct RowBatches {
    private var batches: ParquetRowBatches
    /// Per requested column: its entry in `batches`' batches, or the column to fill with nulls.
    private let sources: [Source]

    private enum Source {
      case file(Int)
      case absent(ParquetColumn)
    }

    /// Batches of columns `columns` (indices in `schema`, at least one of them in the file) of `reader`,
    /// whose file holds `schema`'s columns at `positions` (`TableSeries.positions(of:in:)`).
    init(
      reader: ParquetReader, schema: ParquetSchema, positions: [Int?], columns: [Int],
      batchRows: Int = 8192
    ) {
      var fileColumns: [Int] = []
      var sources: [Source] = []
      for column in columns {
        if let position = positions[column] {
          sources.append(.file(fileColumns.count))
          fileColumns.append(position)
        } else {
          sources.append(.absent(schema.columns[column]))
        }
      }
      precondition(!fileColumns.isEmpty, "a version's batches need a column its file holds")
      batches = ParquetRowBatches(reader: reader, columns: fileColumns, batchRows: batchRows)
      self.sources = sources
    }

    /// The next batch, one entry per requested column, or nil after the last row.
    mutating func next() throws(ParquetError) -> [ParquetColumnData]? {
      guard let batch = try batches.next() else { return nil }
      let rows = batch[0].rowCount
      return sources.map { source in
        switch source {
        case .file(let index): batch[index]
        case .absent(let column): TableSeries.nulls(column, rows: rows)
        }
      }
    }
  }
}
