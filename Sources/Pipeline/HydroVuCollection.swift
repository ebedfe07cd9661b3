import Parquet
import PondFiles
public import TLogFS
import Tables
import TinyFS

/// What one HydroVu run collected, ready to be committed: a Parquet file per device with new readings (in
/// `$POND/local/`, removed when this value goes) and the device files that changed.
public final class HydroVuCollection: Sendable {
  /// What the run found, per configured device; `version` is nil until stored.
  public let report: HydroVuReport
  private let staged: [Staged]
  private let temporaries: [String]

  /// One device's changes.
  struct Staged: Sendable {
    var seriesPath: String
    var directory: String
    /// The new version of the series, and the latest version it was made to follow.
    var parquet: String?
    var table: TableInfo?
    var follows: TableInfo?
    var deviceFilePath: String
    var deviceFile: [UInt8]?
  }

  /// One device's part of a collection: its changes and its report. Made as soon as the device's pages are
  /// read, so that only one device's readings are held at a time.
  struct Part: Sendable {
    var staged: Staged
    var report: HydroVuReport.Device
  }

  /// True when committing it changes the pond.
  public var hasChanges: Bool { staged.contains { $0.parquet != nil || $0.deviceFile != nil } }

  /// Takes over `parts` (and removes their Parquet files when it goes).
  init(_ parts: [Part]) {
    staged = parts.map(\.staged)
    temporaries = parts.compactMap(\.staged.parquet)
    report = HydroVuReport(devices: parts.map(\.report), version: nil)
  }

  /// Writes `device`'s new readings as a Parquet file into `local` (blocking); the file belongs to the
  /// caller until a collection takes the part over.
  static func part(_ device: Fetched, local: String) throws -> Part {
    let plan = device.plan
    var entry = Staged(
      seriesPath: plan.seriesPath, directory: plan.directory, deviceFilePath: plan.deviceFilePath)
    var report = HydroVuReport.Device(
      id: plan.device.id, name: plan.device.name, path: plan.seriesPath,
      active: plan.device.active, complete: device.complete)
    if let file = device.deviceFile, file != plan.deviceFile {
      entry.deviceFile = file
      report.deviceFileWritten = true
    }
    if let readings = device.readings {
      let times = readings.storedTimes
      if let last = times.last {
        // Columns with a reading among the stored times: the series' own, then new ones by name.
        let used = readings.columnNames.indices.filter { column in
          readings.cells[column].keys.contains { $0 <= last }
        }
        let added = used.map { readings.columnNames[$0] }
          .filter { !plan.columns.contains($0) }.sorted()
        let columns = plan.columns + added
        let path = TemporaryName.make(in: local)
        do {
          entry.table = try Self.write(times, of: readings, columns: columns, to: path)
        } catch {
          try? LocalFiles.remove(path)
          throw error
        }
        entry.parquet = path
        entry.follows = plan.latest
        report.rows = Int64(times.count)
        report.timeRange = times.first! * 1_000_000...last * 1_000_000
        report.newColumns = plan.latest == nil ? [] : added
      }
    }
    return Part(staged: entry, report: report)
  }

  deinit { for path in temporaries { try? LocalFiles.remove(path) } }

  /// Writes the rows at `times` of `columns` to a new Parquet file at `path` and describes it.
  private static func write(
    _ times: [Int64], of readings: Readings, columns: [String], to path: String
  ) throws -> TableInfo {
    let schema = try TableSchema(
      [TableColumn(name: HydroVuCollector.timeColumn, type: .timestamp, nullable: false)]
        + columns.map { TableColumn(name: $0, type: .double, nullable: true) })
    let index = Dictionary(
      uniqueKeysWithValues: readings.columnNames.enumerated().map { ($1, $0) })
    let writer = try ParquetWriter(path: path, schema: schema.parquetSchema)
    let batch = 8192
    for start in stride(from: 0, to: times.count, by: batch) {
      let rows = times[start..<min(start + batch, times.count)]
      var data = [ParquetColumnData.int64s(rows.map { $0 * 1_000_000 })]
      for name in columns {
        let cells = index[name].map { readings.cells[$0] } ?? [:]
        data.append(.doubles(rows.map { cells[$0] }))
      }
      try writer.write(data)
    }
    _ = try writer.finish()
    return try TableImport.checkParquet(at: path, timeColumn: HydroVuCollector.timeColumn)
  }

  /// Commits the collection to `store` (opened for writing) as one commit: each device's new version of its
  /// series (refused, with nothing written, when the series changed since the collection read it, or when
  /// it does not extend the series' latest version: `TableSeries.checkAppend`) and each changed device
  /// file. Commits nothing when there is nothing new.
  public func store(into store: PondStore, commandLine: String) throws -> HydroVuReport {
    var report = report
    guard hasChanges else { return report }
    try store.change(commandLine: commandLine) { fileSystem in
      for entry in staged where entry.parquet != nil || entry.deviceFile != nil {
        if try !fileSystem.exists(entry.directory) {
          try fileSystem.createDirectory(entry.directory, withParents: true)
        }
        if let file = entry.deviceFile {
          try fileSystem.writeFile(entry.deviceFilePath, contents: file)
        }
        guard let parquet = entry.parquet, let table = entry.table else { continue }
        _ = try store.stageTable(
          parquetAt: parquet, describedBy: table, to: entry.seriesPath, series: true,
          in: fileSystem
        ) { latest in
          guard latest == entry.follows else {
            throw HydroVuError(
              .pond,
              "\(entry.seriesPath) changed while HydroVu was read (another run stored readings?); "
                + "nothing was committed: run again")
          }
          try TableSeries.checkAppend(table, onto: latest, series: entry.seriesPath)
        }
      }
    }
    report.version = store.head
    return report
  }
}

/// What a HydroVu run did.
public struct HydroVuReport: Sendable, Equatable, Encodable {
  /// One configured device.
  public struct Device: Sendable, Equatable, Encodable {
    public var id: Int64
    public var name: String
    /// Its series of readings.
    public var path: String
    /// False for a device the configuration marks inactive (skipped).
    public var active: Bool
    /// Rows (timestamps) appended, and their time range (UTC microseconds).
    public var rows: Int64 = 0
    public var timeRange: ClosedRange<Int64>?
    /// Columns this run added to an existing series.
    public var newColumns: [String] = []
    public var deviceFileWritten = false
    /// False when `maxPointsPerRun` cut the run short: HydroVu has more, which the next run collects.
    public var complete: Bool

    public init(id: Int64, name: String, path: String, active: Bool, complete: Bool) {
      self.id = id
      self.name = name
      self.path = path
      self.active = active
      self.complete = complete
    }
  }

  public var devices: [Device]
  /// The pond version committed; nil when nothing was new (or before `store`).
  public var version: Int64?

  public init(devices: [Device], version: Int64?) {
    self.devices = devices
    self.version = version
  }
}
