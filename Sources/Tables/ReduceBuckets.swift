import Parquet
import PondFiles

/// The partial sums of one bucket: everything needed to finish each aggregation, and to fold it into a
/// coarser bucket (`merge`).
struct ReducePartial: Sendable, Hashable {
  /// The bucket's start, µs since the epoch.
  var start: Int64
  /// Rows with a time in the bucket (a bucket with rows whose values are all null is still written).
  var rows: Int64 = 0
  /// Per aggregated column: non-null values, their sum, smallest and largest.
  var counts: [Int64]
  var sums: [Double]
  var minimums: [Double]
  var maximums: [Double]

  init(start: Int64, columns: Int) {
    self.start = start
    counts = Array(repeating: 0, count: columns)
    sums = Array(repeating: 0, count: columns)
    minimums = Array(repeating: .infinity, count: columns)
    maximums = Array(repeating: -.infinity, count: columns)
  }

  mutating func add(_ value: Double, column: Int) {
    counts[column] += 1
    sums[column] += value
    if value < minimums[column] { minimums[column] = value }
    if value > maximums[column] { maximums[column] = value }
  }

  /// Folds a finer bucket's sums into this one.
  mutating func merge(_ other: ReducePartial) {
    rows += other.rows
    for column in counts.indices {
      counts[column] += other.counts[column]
      sums[column] += other.sums[column]
      if other.minimums[column] < minimums[column] { minimums[column] = other.minimums[column] }
      if other.maximums[column] > maximums[column] { maximums[column] = other.maximums[column] }
    }
  }

  /// The value of `aggregation` over `column`; nil (null) when the column had no value, except for count.
  func value(of aggregation: ReduceAggregation, column: Int) -> Double? {
    let count = counts[column]
    switch aggregation {
    case .count: return Double(count)
    case _ where count == 0: return nil
    case .avg: return sums[column] / Double(count)
    case .sum: return sums[column]
    case .min: return minimums[column]
    case .max: return maximums[column]
    }
  }
}

/// The open buckets of every resolution of one input, and the sinks their closed buckets go to.
///
/// Finest buckets stay open while rows may still reach them; closing one writes it and folds it into the
/// open bucket of the next resolution, which is written and folded on in turn when it closes. Coarser
/// buckets are never computed from rows.
struct ReduceLevels {
  let resolutions: [ReduceResolution]
  let columnCount: Int
  /// Open finest buckets by start (usually one; more while a version's rows are out of order).
  var finest: [Int64: ReducePartial] = [:]
  /// The open bucket of each coarser resolution (index 0 unused).
  var coarse: [ReducePartial?]
  /// Buckets closed per resolution, written to `sinks`.
  var sinks: [ReduceSink]

  init(resolutions: [ReduceResolution], columnCount: Int, sinks: [ReduceSink]) {
    self.resolutions = resolutions
    self.columnCount = columnCount
    self.coarse = Array(repeating: nil, count: resolutions.count)
    self.sinks = sinks
  }

  /// Closes every bucket (of every resolution) that ends at or before `boundary`, in time order.
  mutating func close(endingBy boundary: Int64) throws(TableError) {
    let finestWidth = resolutions[0].microseconds
    for start in finest.keys.filter({ $0 <= boundary - finestWidth }).sorted() {
      let bucket = finest.removeValue(forKey: start)!
      try sinks[0].append(bucket)
      try fold(bucket, into: 1)
    }
    for level in 1..<resolutions.count {
      if let open = coarse[level], open.start <= boundary - resolutions[level].microseconds {
        coarse[level] = nil
        try sinks[level].append(open)
        try fold(open, into: level + 1)
      }
    }
  }

  /// Adds a closed bucket of the resolution below `level` to `level`'s open bucket, first closing that one
  /// when the bucket belongs to a later one.
  private mutating func fold(_ bucket: ReducePartial, into level: Int) throws(TableError) {
    guard level < resolutions.count else { return }
    let start = resolutions[level].bucketStart(of: bucket.start)
    if let open = coarse[level], open.start != start {
      precondition(open.start < start, "buckets close in time order")
      coarse[level] = nil
      try sinks[level].append(open)
      try fold(open, into: level + 1)
    }
    var target = coarse[level] ?? ReducePartial(start: start, columns: columnCount)
    target.merge(bucket)
    coarse[level] = target
  }

  /// Every open bucket, finest first, for the state file.
  var openBuckets: [(level: Int, bucket: ReducePartial)] {
    finest.values.sorted { $0.start < $1.start }.map { (0, $0) }
      + coarse.indices.compactMap { level in coarse[level].map { (level, $0) } }
  }
}

/// Where the closed buckets of one resolution go: a Parquet file in `$POND/local/`, made on the first
/// bucket, written in batches.
final class ReduceSink {
  /// The output columns after `time`: (aggregated column index, aggregation).
  let outputs: [(column: Int, aggregation: ReduceAggregation)]
  let schema: TableSchema
  let path: String
  private(set) var buckets = 0
  private var writer: ParquetWriter?
  private var times: [Int64] = []
  private var cells: [[Double?]]
  private static let batchRows = 8192

  init(
    columns: [ReduceConfiguration.Column], directory: String
  ) throws(TableError) {
    var outputs: [(Int, ReduceAggregation)] = []
    var schemaColumns = [TableColumn(name: "time", type: .timestamp, nullable: false)]
    for (index, column) in columns.enumerated() {
      for aggregation in column.aggregations {
        outputs.append((index, aggregation))
        schemaColumns.append(
          TableColumn(
            name: "\(column.name)_\(aggregation)",
            type: aggregation == .count ? .int64 : .double, nullable: aggregation != .count))
      }
    }
    self.outputs = outputs
    self.schema = try TableSchema(schemaColumns)
    self.path = TemporaryName.make(in: directory)
    self.cells = Array(repeating: [], count: outputs.count)
  }

  deinit {
    writer = nil
    try? LocalFiles.remove(path)
  }

  func append(_ bucket: ReducePartial) throws(TableError) {
    buckets += 1
    times.append(bucket.start)
    for (index, output) in outputs.enumerated() {
      cells[index].append(bucket.value(of: output.aggregation, column: output.column))
    }
    if times.count >= Self.batchRows { try flush() }
  }

  /// Writes what is buffered and publishes the file; false when no bucket was written.
  func finish() throws(TableError) -> Bool {
    guard buckets > 0 else { return false }
    try flush()
    do {
      _ = try writer!.finish()
    } catch {
      throw TableError(error)
    }
    return true
  }

  private func flush() throws(TableError) {
    guard !times.isEmpty else { return }
    do {
      if writer == nil {
        writer = try ParquetWriter(path: path, schema: schema.parquetSchema)
      }
      var columns = [ParquetColumnData.int64s(times)]
      for (index, output) in outputs.enumerated() {
        columns.append(
          output.aggregation == .count
            ? .int64s(cells[index].map { Int64($0!) }) : .doubles(cells[index]))
      }
      try writer!.write(columns)
    } catch {
      throw TableError(error)
    }
    times.removeAll(keepingCapacity: true)
    for index in cells.indices { cells[index].removeAll(keepingCapacity: true) }
  }
}
