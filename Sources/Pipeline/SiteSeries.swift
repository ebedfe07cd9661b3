import FoundationEssentials
import PondCrypto
import PondSQLite
import PondTime
import TLogFS
import Tables
import TinyFS

/// How many buckets of its resolution one data file spans: a view that fits one span holds at most this many
/// points per line and loads at most two files.
let siteChunkPoints: Int64 = 1500

/// One reduce output directory as the site shows it: its resolutions, value columns and station description.
struct SiteSeries {
  /// The match's pond path.
  var path: String
  /// The glob's captures joined by `/`, or the last path component when the glob has no wildcard.
  var name: String
  /// The page's directory under `series/`: the pond path, injective and safe in a file name and a URL.
  var directory: String
  /// Resolutions, finest first.
  var resolutions: [SiteResolution]
  /// Value columns (every column but time), in the tables' order.
  var columns: [String]
  var timeColumn: String
  var station: SiteStation?
  /// SHA-256 of the station file, when there is one.
  var stationDigest: String?

  /// The first and last bucket start, UTC milliseconds; nil when no version holds a row.
  var range: ClosedRange<Int64>? {
    let ranges = resolutions.flatMap { $0.versions.compactMap(\.table.timeRange) }
    guard let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() else {
      return nil
    }
    return low.dividedRoundingDown(by: 1000)...high.dividedRoundingDown(by: 1000)
  }
}

/// One `res=<resolution>` series of tables.
struct SiteResolution {
  var name: String
  var resolution: ReduceResolution
  var path: String
  var versions: [TableVersion]

  /// One data file's span, UTC milliseconds.
  var spanMilliseconds: Int64 { siteChunkPoints * resolution.microseconds / 1000 }

  /// The chunks (file numbers: the span's start divided by the span) some version's rows fall in, ascending.
  var chunks: [Int64] {
    var numbers = Set<Int64>()
    for range in versions.compactMap(\.table.timeRange) {
      let first = range.lowerBound.dividedRoundingDown(by: 1000).dividedRoundingDown(
        by: spanMilliseconds)
      let last = range.upperBound.dividedRoundingDown(by: 1000).dividedRoundingDown(
        by: spanMilliseconds)
      for number in first...last { numbers.insert(number) }
    }
    return numbers.sorted()
  }

  /// The versions whose time range meets chunk `number`, the chunk's inputs.
  func versions(inChunk number: Int64) -> [TableVersion] {
    let start = number * spanMilliseconds * 1000
    let end = start + spanMilliseconds * 1000
    return versions.filter { version in
      guard let range = version.table.timeRange else { return false }
      return range.lowerBound < end && range.upperBound >= start
    }
  }
}

/// A station's description as the HydroVu collector writes it (`device.json`).
struct SiteStation: Decodable, Equatable {
  var name: String?
  var description: String?
  var latitude: Double?
  var longitude: Double?
}

extension SiteSeries {
  /// The series `configuration` names in `fileSystem`, sorted by path.
  static func find(
    _ configuration: SiteConfiguration, store: PondStore, fileSystem: FileSystem
  ) throws -> [SiteSeries] {
    let matches = try fileSystem.glob(configuration.series).filter { $0.entryType.isDirectory }
    guard !matches.isEmpty else {
      throw SiteError(
        .configuration, path: configuration.series,
        "matches no directory in the pond",
        hint:
          "give --series a glob of 'pond reduce' output directories; list them with 'pond list -l \(configuration.series)'"
      )
    }
    var series: [SiteSeries] = []
    for match in matches {
      if let found = try SiteSeries(match, configuration, store: store, fileSystem: fileSystem) {
        series.append(found)
      }
    }
    guard !series.isEmpty else {
      throw SiteError(
        .configuration, path: configuration.series,
        "matches \(matches.count) director\(matches.count == 1 ? "y" : "ies"), none holding a res=<resolution> series of tables",
        hint: "run 'pond reduce' first, or point --series at its output directories")
    }
    return series
  }

  /// The series at `match`, or nil when it holds no `res=<resolution>` table.
  init?(
    _ match: GlobMatch, _ configuration: SiteConfiguration, store: PondStore,
    fileSystem: FileSystem
  ) throws {
    var resolutions: [SiteResolution] = []
    for entry in try fileSystem.list(match.path) {
      guard entry.name.hasPrefix("res="),
        let resolution = ReduceResolution(parsing: String(entry.name.dropFirst(4)))
      else { continue }
      let path = match.path + "/" + entry.name
      guard try fileSystem.stat(path).entryType.isTable else { continue }
      let versions = try store.tableVersions(path, in: fileSystem)
      resolutions.append(
        SiteResolution(
          name: resolution.description, resolution: resolution, path: path, versions: versions))
    }
    guard let first = resolutions.first(where: { !$0.versions.isEmpty }) else { return nil }
    resolutions.sort { $0.resolution < $1.resolution }
    // Every reader takes a series' schema from its latest version (TableSeries); the resolutions of one
    // reduce output share their columns.
    let info = first.versions[first.versions.count - 1].table
    guard let timeColumn = info.timeColumn else {
      throw SiteError(
        .input, path: first.path, "has no time column",
        hint: "the site shows the output of 'pond reduce', whose tables have one")
    }
    let schema = try TableSeries.schema(of: first.versions, path: first.path)
    for resolution in resolutions where !resolution.versions.isEmpty {
      let other = try TableSeries.schema(of: resolution.versions, path: resolution.path)
      guard other == schema else {
        throw SiteError(
          .input, path: resolution.path,
          "has columns \(other.map(\.description) ?? "-"), \(first.path) has \(info.schema)",
          hint:
            "the resolutions of one reduce output share its columns; run 'pond reduce --rebuild'")
      }
    }
    path = match.path
    name =
      match.captures.isEmpty
      ? String(match.path.split(separator: "/").last ?? "/") : match.captures.joined(separator: "/")
    directory = Self.fileName(for: match.path)
    self.resolutions = resolutions
    self.timeColumn = timeColumn
    columns = (schema?.columns ?? []).map(\.name).filter { $0 != timeColumn }
    if let infoPath = try configuration.infoPath(captures: match.captures),
      try fileSystem.exists(infoPath)
    {
      let bytes = try fileSystem.readFile(infoPath)
      do {
        station = try JSONDecoder().decode(SiteStation.self, from: Data(bytes))
      } catch {
        throw SiteError(
          .input, path: infoPath, "is not a station description (\(error))",
          hint:
            "it should be a JSON object {\"id\", \"name\", \"description\", \"latitude\", \"longitude\"}; fix it or change --info"
        )
      }
      stationDigest = SHA256Digest(hashing: bytes).description
    }
  }

  /// `path` as one file name: without the leading `/`, every byte outside `A-Z a-z 0-9 . -` written as `_`
  /// and two hex digits (so `/` is `_2F`), which no two paths share.
  static func fileName(for path: String) -> String {
    var name = ""
    for byte in path.utf8.dropFirst(path.hasPrefix("/") ? 1 : 0) {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"):
        name.append(Character(Unicode.Scalar(byte)))
      default:
        name += "_" + Hex.encode([byte]).uppercased()
      }
    }
    return name.isEmpty ? "_2F" : name
  }
}

/// Reads rows of a series' resolutions through the query engine, one engine per series, made on first use.
final class SiteRowReader {
  private let series: SiteSeries
  private let store: PondStore
  private let fileSystem: FileSystem
  private var engine: QueryEngine?

  init(series: SiteSeries, store: PondStore, fileSystem: FileSystem) {
    self.series = series
    self.store = store
    self.fileSystem = fileSystem
  }

  private func table(_ index: Int) throws -> String {
    if engine == nil {
      let engine = try QueryEngine()
      for (number, resolution) in series.resolutions.enumerated()
      where !resolution.versions.isEmpty {
        try engine.register(
          try PondQuery.table(
            named: "r\(number)", pattern: resolution.path, in: store, fileSystem: fileSystem))
      }
      self.engine = engine
    }
    return "r\(index)"
  }

  /// The rows of resolution `index` with `start <= time < end` (UTC milliseconds; nil: unbounded), in time
  /// order, newest first when `descending`: the time in milliseconds, then `series.columns`.
  func rows(
    resolution index: Int, from start: Int64?, to end: Int64?, descending: Bool = false,
    limit: Int? = nil
  ) throws -> [SiteRow] {
    guard !series.resolutions[index].versions.isEmpty else { return [] }
    let table = try table(index)
    let quoted = SQLiteQuery.quotedIdentifier
    func literal(_ milliseconds: Int64) throws -> String {
      guard let text = UTCMilliseconds(rawValue: milliseconds).iso8601 else {
        throw SiteError(
          .input, path: series.resolutions[index].path,
          "holds a time outside the years 0001-9999", hint: "the site cannot name it")
      }
      return "'\(text)'"
    }
    let time = quoted(series.timeColumn)
    var conditions: [String] = []
    if let start { conditions.append("\(time) >= \(try literal(start))") }
    if let end { conditions.append("\(time) < \(try literal(end))") }
    let sql =
      "SELECT \(([series.timeColumn] + series.columns).map(quoted).joined(separator: ", ")) FROM \(table)"
      + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
      + " ORDER BY \(time)\(descending ? " DESC" : "")" + (limit.map { " LIMIT \($0)" } ?? "")
    var rows: [SiteRow] = []
    try engine!.run(sql) { values in
      guard case .text(let text) = values[0],
        let instant = UTCMicroseconds(iso8601: text, options: .zonelessIsUTC)
      else {
        // A null time is not written by reduce; a row without one cannot be drawn.
        return true
      }
      var row = SiteRow(time: instant.rawValue.dividedRoundingDown(by: 1000), values: [])
      for (column, value) in zip(series.columns, values.dropFirst()) {
        guard let value = SiteValue(value) else {
          throw SiteError(
            .input, path: series.resolutions[index].path,
            "column \(column) holds \(value), not a number",
            hint: "the site draws the numeric columns 'pond reduce' writes")
        }
        row.values.append(value)
      }
      rows.append(row)
      return true
    }
    return rows
  }
}

/// One bucket: its start (UTC milliseconds) and its values.
struct SiteRow: Equatable {
  var time: Int64
  var values: [SiteValue]
}

/// A value as the site writes it: a number or nothing.
enum SiteValue: Equatable {
  case number(Double)
  case integer(Int64)
  case none

  /// The value of a numeric cell (infinities and NaN, which JavaScript literals cannot write, are none);
  /// nil for text and blobs.
  init?(_ value: SQLiteValue) {
    switch value {
    case .real(let number): self = number.isFinite ? .number(number) : .none
    case .integer(let number): self = .integer(number)
    case .null: self = .none
    case .text, .blob: return nil
    }
  }

  /// JavaScript (and JSON) text: the shortest text that reads back as the same double, or `null`.
  var script: String {
    switch self {
    case .number(let number): number.description
    case .integer(let number): String(number)
    case .none: "null"
    }
  }
}
