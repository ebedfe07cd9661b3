import Foundation
import Parquet
import PondSQLite
import PondTestSupport
import PondTime
import TLogFS
import Tables

/// A pond with series of readings reduced to 1h, 6h and 1d, made through the library, and a scratch
/// directory for sites.
struct SiteTestPond {
  let scratch: ScratchDirectory
  var root: String { scratch.path("pond") }
  /// 2024-01-01T00:00:00Z in microseconds.
  static let start: Int64 = 1_704_067_200_000_000
  static let step: Int64 = 600_000_000
  static let rowsPerDay = 144
  static let schema = "time:timestamp,temp_c:double?,rain_mm:int64?"
  static let reduce = """
    reduce:
      input: /stations/*/readings
      output: /reduced/$1
      resolutions: 1h, 6h, 1d
    columns:
      temp_c: avg, min, max
      rain_mm: sum, count
    """
  static let columns = ["rain_mm_sum", "rain_mm_count", "temp_c_avg", "temp_c_min", "temp_c_max"]
  private var files = 0

  init(_ label: String = "site") throws {
    scratch = try ScratchDirectory(label)
    try PondStore.create(root: root, birthplace: "test", commandLine: "test init")
  }

  func writer() throws -> PondStore { try PondStore(root: root, mode: .write(wait: true)) }
  func reader() throws -> PondStore { try PondStore(root: root, mode: .read) }
  var head: Int64 { (try? reader().head) ?? -1 }

  /// Readings every 10 minutes of days `days` from 2024-01-01: a daily temperature cycle (null every 7th
  /// reading) and a rain count.
  static func readings(days: Range<Int>) -> [ParquetColumnData] {
    let indices = Array((days.lowerBound * rowsPerDay)..<(days.upperBound * rowsPerDay))
    let times = indices.map { start + Int64($0) * step }
    let temps: [Double?] = indices.map {
      $0 % 7 == 3 ? nil : 10 + 8 * sin(Double($0) / 144 * 2 * .pi) + 3 * sin(Double($0) / 1000)
    }
    let rain: [Int64?] = indices.map { Int64(($0 * 37) % 5) }
    return [.int64s(times), .doubles(temps), .int64s(rain)]
  }

  /// Appends `columns` to the series `path` (creating its directory).
  mutating func append(_ columns: [ParquetColumnData], to path: String) throws {
    files += 1
    let file = scratch.path("input-\(files).parquet")
    _ = try ParquetWriter.write(
      path: file, schema: try TableSchema(parsing: Self.schema).parquetSchema, columns: columns)
    let info = try TableImport.checkParquet(at: file)
    let store = try writer()
    try store.change(commandLine: "test append") { fileSystem in
      let parent = String(path[..<path.lastIndex(of: "/")!])
      if try !fileSystem.exists(parent) {
        try fileSystem.createDirectory(parent, withParents: true)
      }
      _ = try store.stageTable(
        parquetAt: file, describedBy: info, to: path, series: true, in: fileSystem)
    }
  }

  /// Stores `bytes` as the file `path`.
  func write(_ bytes: [UInt8], to path: String) throws {
    try writer().change(commandLine: "test write") { fileSystem in
      let parent = String(path[..<path.lastIndex(of: "/")!])
      if try !fileSystem.exists(parent) {
        try fileSystem.createDirectory(parent, withParents: true)
      }
      try fileSystem.writeFile(path, contents: bytes)
    }
  }

  @discardableResult
  func reduce(_ yaml: String = SiteTestPond.reduce) throws -> TableReduce.Report {
    try TableReduce.run(
      try ReduceConfiguration(yaml: yaml, path: "reduce.yaml"), on: try writer(),
      rebuild: false, commandLine: "pond reduce reduce.yaml")
  }

  /// Two stations, `a` with 90 days and `b` with 60, reduced.
  static func standard(_ label: String = "site") throws -> SiteTestPond {
    var pond = try SiteTestPond(label)
    try pond.append(readings(days: 0..<90), to: "/stations/a/readings")
    try pond.append(readings(days: 0..<60), to: "/stations/b/readings")
    try pond.reduce()
    return pond
  }

  /// The rows of the series `path` with `start <= time < end` (UTC ms), through the query engine: the
  /// time in ms, then `columns`' values as doubles (nil for null).
  func query(_ path: String, from start: Int64, to end: Int64, inclusive: Bool = false) throws
    -> [[Double?]]
  {
    let store = try reader()
    let engine = try QueryEngine()
    try engine.register(
      try PondQuery.table(named: "r", pattern: path, in: store, fileSystem: try store.fileSystem()))
    let from = UTCMilliseconds(rawValue: start).iso8601!
    let to = UTCMilliseconds(rawValue: end).iso8601!
    var rows: [[Double?]] = []
    try engine.run(
      "SELECT time, \(Self.columns.joined(separator: ", ")) FROM r WHERE time >= '\(from)' "
        + "AND time \(inclusive ? "<=" : "<") '\(to)' ORDER BY time"
    ) { values in
      guard case .text(let text) = values[0], let time = UTCMicroseconds(iso8601: text) else {
        throw SiteTestError("not a time: \(values)")
      }
      rows.append(
        [Double(time.rawValue / 1000)]
          + values.dropFirst().map {
            switch $0 {
            case .real(let value): value
            case .integer(let value): Double(value)
            default: nil
            }
          })
      return true
    }
    return rows
  }
}

/// A data file of a site: its resolution, chunk number and rows (time in ms, then values; nil for null).
struct SiteDataFile: Equatable {
  var resolution: String
  var number: Int64
  var rows: [[Double?]]

  init(parsing text: String) throws {
    var lines = text.split(separator: "\n").map(String.init)
    guard let first = lines.first, first.hasPrefix("pondSite.register(\""), lines.last == "]);"
    else {
      throw SiteTestError("a data file, not \(text.prefix(80))")
    }
    let header = first.dropFirst("pondSite.register(\"".count).split(separator: "\"")
    resolution = String(header[0])
    number = Int64(header[1].dropFirst(2).prefix { $0 != "," })!
    lines.removeFirst()
    lines.removeLast()
    rows = try lines.map { line in
      var body = Substring(line)
      if body.hasSuffix(",") { body = body.dropLast() }
      guard body.hasPrefix("["), body.hasSuffix("]") else {
        throw SiteTestError("a row, not \(line)")
      }
      return try body.dropFirst().dropLast().split(separator: ",").map { cell in
        if cell == "null" { return nil }
        guard let value = Double(cell) else {
          throw SiteTestError("a number, not \(cell)")
        }
        return value
      }
    }
  }
}

/// Something a site test could not read as it expected.
struct SiteTestError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
