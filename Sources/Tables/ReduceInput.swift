import Parquet
import TLogFS

/// Reads the rows of one input table version into the finest open buckets, a page at a time per column:
/// memory is one page per column plus the open buckets, whatever the version's size.
struct ReduceInput {
  /// Adds every row of `version` with a non-null time to `levels.finest`; returns the rows read and the
  /// largest time seen (µs). A row in a bucket before `closedBefore` is late data. `schema` is the input's
  /// (`TableSeries.schema(of:path:)`): a configured column that this version lacks is null in its rows.
  static func read(
    _ version: TableVersion, path: String, schema: TableSchema, store: PondStore,
    columns: [ReduceConfiguration.Column], closedBefore: Int64?, into levels: inout ReduceLevels
  ) throws -> (rows: Int64, maxTime: Int64?) {
    let reader: ParquetReader
    do {
      reader = try store.parquetReader(of: version)
    } catch let error as ParquetError {
      throw TableError(error)
    }
    let parquetSchema = schema.parquetSchema
    guard let positions = TableSeries.positions(of: parquetSchema, in: reader.schema) else {
      throw TableError(
        .schema, path: path,
        reason:
          "version \(version.version) has columns (\(reader.schema.columns.map(\.description).joined(separator: ", "))) "
          + "that do not fit the series' (\(schema))")
    }
    guard let timeName = version.table.timeColumn, let timeColumn = schema.index(of: timeName),
      positions[timeColumn] != nil
    else {
      throw TableError(
        .timeColumn, path: path,
        reason: "version \(version.version) has no time column: pond reduce buckets rows by time")
    }
    let timeType = schema.columns[timeColumn].type
    var indices = [timeColumn]
    for column in columns {
      guard let index = schema.index(of: column.name) else {
        throw TableError(
          .configuration, path: path, column: column.name,
          reason:
            "the input has no column \(column.name) (columns: \(schema.columns.map(\.name).joined(separator: ", ")))"
        )
      }
      let type = schema.columns[index].type
      guard [.double, .float, .int64, .int32].contains(type) else {
        throw TableError(
          .configuration, path: path, column: column.name,
          reason:
            "\(column.name) is \(type): only double, float, int64 and int32 columns are aggregated")
      }
      indices.append(index)
    }
    // A configured column this version lacks comes as nulls.
    var batches = TableSeries.RowBatches(
      reader: reader, schema: parquetSchema, positions: positions, columns: indices)
    let finest = levels.resolutions[0]
    let scale = ParquetTimeUnitScale(perSecond: timeType.timeUnit!.perSecond)
    var current: ReducePartial?
    var maxTime: Int64?
    var rows: Int64 = 0
    while let batch = try Self.next(&batches) {
      let times = RowValues(batch[0])
      let values = batch.dropFirst().map(RowValues.init)
      for row in 0..<times.count {
        guard let raw = times.integer(row) else { continue }
        let micros = scale.microseconds(raw)
        let start = finest.bucketStart(of: micros)
        if current?.start != start {
          if let current { levels.finest[current.start] = current }
          if let closedBefore, start < closedBefore {
            throw TableError(
              .reduceState, path: path,
              reason:
                "version \(version.version) has a row at \(PondStore.formatTime(micros / 1000)), in a bucket already written; nothing was written (late data: run 'pond reduce --rebuild' to recompute)"
            )
          }
          current =
            levels.finest.removeValue(forKey: start)
            ?? ReducePartial(start: start, columns: columns.count)
        }
        current!.rows += 1
        for (index, column) in values.enumerated() {
          if let value = column.double(row) { current!.add(value, column: index) }
        }
        maxTime = Swift.max(maxTime ?? micros, micros)
        rows += 1
      }
    }
    if let current { levels.finest[current.start] = current }
    return (rows, maxTime)
  }

  /// The next batch of rows, Parquet's errors as the table's.
  private static func next(_ batches: inout TableSeries.RowBatches) throws(TableError)
    -> [ParquetColumnData]?
  {
    do {
      return try batches.next()
    } catch {
      throw TableError(error)
    }
  }

}

/// One column of a row batch, by row: values in stored form (`integers` for INT64 columns, times among them)
/// or as doubles (the other numeric columns), and where the nulls are.
private struct RowValues {
  var doubles: [Double] = []
  var integers: [Int64] = []
  /// The position of each row's value among the non-null values; nil for a null row.
  var positions: [Int?]

  init(_ data: ParquetColumnData) {
    switch data.values {
    case .double(let values): doubles = values
    case .float(let values): doubles = values.map(Double.init)
    case .int32(let values): doubles = values.map(Double.init)
    case .int64(let values): integers = values
    case .boolean, .byteArray: preconditionFailure("the column's type was checked")
    }
    if let presence = data.presence {
      var next = 0
      positions = presence.map { present in
        defer { if present { next += 1 } }
        return present ? next : nil
      }
    } else {
      positions = Array(0..<data.rowCount)
    }
  }

  var count: Int { positions.count }

  /// Row `row` of an INT64 column (the time column).
  func integer(_ row: Int) -> Int64? { positions[row].map { integers[$0] } }

  /// Row `row` as a double.
  func double(_ row: Int) -> Double? {
    positions[row].map { integers.isEmpty ? doubles[$0] : Double(integers[$0]) }
  }
}
