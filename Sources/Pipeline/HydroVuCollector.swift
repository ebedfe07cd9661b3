import DeltaLog
import Parquet
import PondFiles
import PondTime
import TLogFS
import Tables
import TinyFS

/// Collects the readings of HydroVu devices into a pond: per device, one version appended to the series of
/// tables `<directory>/<name>/readings` (a `time` column and a nullable double column per
/// `<scope>.<parameter>.<unit>`, readings joined on their timestamp), and `<directory>/<name>/device.json`
/// when the location's description changed; all devices in one commit.
///
/// A run reads HydroVu with no writer lock held (`collect(pond:)`), writes each device's new rows into a
/// Parquet file in `$POND/local/`, and only then takes the lock to commit them (`HydroVuCollection.store`).
/// A device's readings start strictly after the newest time its series records (its versions' time ranges;
/// no table is read), or at the configuration's `start` when it has none; at most `maxPointsPerRun`
/// timestamps are stored per device and run, always whole timestamps (HydroVu's pages come in time order;
/// a timestamp whose parameters straddle two pages is kept only once a later one arrived or the pages
/// ended). A parameter seen for the first time widens the series: the new version has the series' columns
/// in their order, then the new ones (by name), all nullable; a column the run has no reading for is null.
public struct HydroVuCollector: Sendable {
  public let configuration: HydroVuConfiguration
  public let client: HydroVuClient

  /// The series of tables of a device's readings, in its directory.
  public static let readingsName = "readings"
  /// The description of a device's location, in its directory.
  public static let deviceFileName = "device.json"
  /// The time column of every readings series.
  public static let timeColumn = "time"

  /// - Parameter client: the client to use; nil for one made from the configuration.
  public init(_ configuration: HydroVuConfiguration, client: HydroVuClient? = nil) {
    self.configuration = configuration
    self.client =
      client
      ?? HydroVuClient(
        baseURL: configuration.baseURL, clientID: configuration.clientID,
        clientSecret: configuration.clientSecret)
  }

  /// Collects and commits: `collect(pond:)`, then `store(into:commandLine:)` with the pond opened for
  /// writing (waiting for the writer lock).
  public func run(pond root: String, commandLine: String) async throws
    -> HydroVuReport
  {
    let collection = try await collect(pond: root)
    guard collection.hasChanges else { return collection.report }
    return try await BlockingPool.shared.run {
      let store = try PondStore(root: root, mode: .write(wait: true))
      return try collection.store(into: store, commandLine: commandLine)
    }
  }

  /// Reads what is new from HydroVu for every active device of the pond at `root` (opened for reading: no
  /// writer lock is held) into Parquet files in its `local/`, ready to be stored in one commit.
  public func collect(pond root: String) async throws -> HydroVuCollection {
    try configuration.validate()
    let configuration = configuration
    let plans = try await BlockingPool.shared.run {
      try Self.plan(configuration, pond: root)
    }
    // Every start time is known (or refused) before the first request.
    var starts: [String: Int64] = [:]
    for plan in plans where plan.device.active {
      starts[plan.device.name] = try startTime(of: plan)
    }
    var names = HydroVuNames(parameters: [:], units: [:])
    var locations: [Int64: HydroVuLocation] = [:]
    if !starts.isEmpty {
      names = try await client.friendlyNames()
      for location in try await client.locations() { locations[location.id] = location }
    }
    let local = root + "/" + PondLayout.localDirectory
    // Each device's readings become its Parquet file as soon as its pages are read: one device's readings
    // are held at a time. The files go when this fails, or with the collection that takes them over.
    var parts: [HydroVuCollection.Part] = []
    var handedOver = false
    defer {
      if !handedOver {
        for path in parts.compactMap(\.staged.parquet) { try? LocalFiles.remove(path) }
      }
    }
    for plan in plans {
      guard let start = starts[plan.device.name] else {
        let device = Fetched(plan: plan)
        parts.append(try HydroVuCollection.part(device, local: local))
        continue
      }
      guard let location = locations[plan.device.id] else {
        throw HydroVuError(
          .configuration,
          "device \(plan.device.name): HydroVu lists no location with id \(plan.device.id) for client "
            + "id \(configuration.clientID); check the device's id")
      }
      var readings = Readings(start: start, limit: configuration.maxPointsPerRun)
      try await client.readings(location: plan.device.id, startTime: start) { page in
        try readings.add(
          page, names: names, scope: plan.device.scope ?? plan.device.name, device: plan.device.name
        )
        return !readings.isFull
      }
      let device = Fetched(
        plan: plan, readings: readings, complete: !readings.isFull,
        deviceFile: Self.deviceFile(location))
      parts.append(
        try await BlockingPool.shared.run { try HydroVuCollection.part(device, local: local) })
    }
    handedOver = true
    return HydroVuCollection(parts)
  }

  /// Unix seconds of the first reading wanted: just after the newest stored, else the configured start.
  private func startTime(of plan: DevicePlan) throws -> Int64 {
    if let newest = plan.newest {
      return newest.dividedRoundingDown(by: 1_000_000) + 1
    }
    guard let start = configuration.start else {
      throw HydroVuError(
        .configuration,
        "device \(plan.device.name): \(plan.seriesPath) holds no readings yet and the configuration "
          + "gives no start time; give one (the first time to collect), the collector never starts "
          + "from 1970 on its own")
    }
    return -(-start.rawValue).dividedRoundingDown(by: 1_000_000)
  }

  /// What the pond holds of each device, read without the writer lock.
  private static func plan(_ configuration: HydroVuConfiguration, pond root: String) throws
    -> [DevicePlan]
  {
    let store = try PondStore(root: root, mode: .read)
    let fileSystem = try store.fileSystem()
    var plans: [DevicePlan] = []
    for device in configuration.devices {
      var directory = configuration.directory
      while directory.hasSuffix("/") { directory.removeLast() }
      directory += "/" + device.name
      var plan = DevicePlan(
        device: device, directory: directory,
        seriesPath: directory + "/" + readingsName, deviceFilePath: directory + "/" + deviceFileName
      )
      if device.active, try fileSystem.exists(plan.seriesPath) {
        let type = try fileSystem.stat(plan.seriesPath).entryType
        guard type == .tableSeries else {
          throw HydroVuError(
            .pond,
            "\(plan.seriesPath) is a \(type), not a series of tables; move it away or choose another "
              + "directory for the HydroVu collector")
        }
        let versions = try store.tableVersions(plan.seriesPath, in: fileSystem)
        plan.latest = versions.last?.table
        plan.newest = versions.compactMap { $0.table.timeRange?.upperBound }.max()
        if let latest = plan.latest {
          plan.columns = try readingColumns(of: latest, at: plan.seriesPath)
        }
      }
      if device.active, try fileSystem.exists(plan.deviceFilePath) {
        plan.deviceFile = try fileSystem.readFile(plan.deviceFilePath)
      }
      plans.append(plan)
    }
    return plans
  }

  /// The reading columns (after `time`) of a series' latest version; refuses a series the collector did
  /// not write.
  private static func readingColumns(of info: TableInfo, at path: String) throws -> [String] {
    let schema = try TableSchema(parsing: info.schema)
    let columns = schema.columns
    guard info.timeColumn == timeColumn, let first = columns.first,
      first == TableColumn(name: timeColumn, type: .timestamp, nullable: false),
      columns.dropFirst().allSatisfy({ $0.type == .double && $0.nullable })
    else {
      throw HydroVuError(
        .pond,
        "\(path) has columns \(schema) (time column \(info.timeColumn ?? "none")), not those of "
          + "HydroVu readings (time:timestamp, then double? columns); move it away or choose another "
          + "directory")
    }
    return columns.dropFirst().map(\.name)
  }

  /// The device file's bytes: compact JSON, keys in this order.
  static func deviceFile(_ location: HydroVuLocation) -> [UInt8] {
    let json = JSONValue.object([
      ("id", .int(location.id)),
      ("name", .string(location.name)),
      ("description", location.description.map { .string($0) } ?? .null),
      ("latitude", location.latitude.map { .double($0) } ?? .null),
      ("longitude", location.longitude.map { .double($0) } ?? .null),
    ])
    return Array(json.serialized.utf8)
  }
}

/// What the pond holds of one device before a run.
struct DevicePlan: Sendable {
  var device: HydroVuConfiguration.Device
  var directory: String
  var seriesPath: String
  var deviceFilePath: String
  /// The series' latest version, its reading columns, and the newest time of all its versions (UTC µs).
  var latest: TableInfo?
  var columns: [String] = []
  var newest: Int64?
  /// The device file's current bytes.
  var deviceFile: [UInt8]?
}

/// What one device gave in a run.
struct Fetched: Sendable {
  var plan: DevicePlan
  var readings: Readings?
  /// False when `maxPointsPerRun` stopped the run before HydroVu's pages ended.
  var complete = true
  var deviceFile: [UInt8]?
}

/// One device's readings of a run, by column and timestamp.
struct Readings: Sendable {
  /// Unix seconds: earlier readings are ignored.
  let start: Int64
  let limit: Int
  private(set) var columnNames: [String] = []
  private var columnIndex: [String: Int] = [:]
  /// Which parameter and unit each column holds.
  private var sources: [String: String] = [:]
  private(set) var cells: [[Int64: Double]] = []
  private var times = Set<Int64>()

  init(start: Int64, limit: Int) {
    self.start = start
    self.limit = limit
  }

  /// True once more than `limit` timestamps arrived: the first `limit` are then complete.
  var isFull: Bool { times.count > limit }

  /// Adds a page's readings. Two parameters (or units) whose names make the same column are refused: their
  /// readings would overwrite each other.
  mutating func add(_ page: HydroVuDataPage, names: HydroVuNames, scope: String, device: String)
    throws(HydroVuError)
  {
    for parameter in page.parameters {
      let name = Self.columnName(
        scope: scope, parameter: names.parameters[parameter.parameterID] ?? parameter.parameterID,
        unit: names.units[parameter.unitID] ?? parameter.unitID)
      let source = "parameter \(parameter.parameterID) in unit \(parameter.unitID)"
      if let other = sources[name], other != source {
        throw HydroVuError(
          .malformed,
          "device \(device): \(other) and \(source) both make the column \"\(name)\"; their readings "
            + "would mix, so nothing was stored (report it; the names come from HydroVu's friendlynames)"
        )
      }
      sources[name] = source
      let column: Int
      if let known = columnIndex[name] {
        column = known
      } else {
        column = columnNames.count
        columnIndex[name] = column
        columnNames.append(name)
        cells.append([:])
      }
      for (time, value) in zip(parameter.timestamps, parameter.values) where time >= start {
        cells[column][time] = value
        times.insert(time)
      }
    }
  }

  /// The timestamps to store, ascending: at most `limit`.
  var storedTimes: [Int64] { Array(times.sorted().prefix(limit)) }

  /// `<scope>.<parameter>.<unit>`, each part with the characters a column name cannot hold
  /// (`TableSchema.isForbiddenInColumnName`) replaced by `_`, and trimmed of white space.
  static func columnName(scope: String, parameter: String, unit: String) -> String {
    func clean(_ part: String) -> String {
      String(
        String.UnicodeScalarView(
          part.unicodeScalars.map { TableSchema.isForbiddenInColumnName($0) ? "_" : $0 })
      ).trimmingWhiteSpace
    }
    return "\(clean(scope)).\(clean(parameter)).\(clean(unit))"
  }
}

extension String {
  fileprivate var trimmingWhiteSpace: String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}
