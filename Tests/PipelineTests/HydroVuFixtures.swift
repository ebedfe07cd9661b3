import Foundation
import ObjectStore
import Parquet
import Pipeline
import PondTestSupport
import PondTime
import TLogFS
import Testing

/// A pond for the collector's tests, and readers of what the collector stored.
struct HydroVuPond {
  let scratch: ScratchDirectory
  var root: String { scratch.path("pond") }

  init() throws {
    scratch = try ScratchDirectory("hydrovu")
    try PondStore.create(root: root, birthplace: "test", commandLine: "test init")
  }

  var head: Int64 {
    get throws { try PondStore(root: root, mode: .read).head }
  }

  /// The versions of the series of tables at `path`.
  func versions(_ path: String) throws -> [TableVersion] {
    let store = try PondStore(root: root, mode: .read)
    return try store.tableVersions(path, in: try store.fileSystem())
  }

  func exists(_ path: String) throws -> Bool {
    try PondStore(root: root, mode: .read).fileSystem().exists(path)
  }

  func file(_ path: String) throws -> String {
    String(
      decoding: try PondStore(root: root, mode: .read).fileSystem().readFile(path), as: UTF8.self)
  }

  /// Every row of every version of the series at `path`, read with ParquetReader, in order: each row's
  /// time (UTC µs) and its non-null cells by column name; and the columns of each version.
  func rows(_ path: String) throws -> (
    rows: [(time: Int64, cells: [String: Double])], schemas: [[String]]
  ) {
    let store = try PondStore(root: root, mode: .read)
    var rows: [(time: Int64, cells: [String: Double])] = []
    var schemas: [[String]] = []
    for version in try store.tableVersions(path, in: try store.fileSystem()) {
      let reader: ParquetReader
      switch try store.tableContent(version) {
      case .bytes(let bytes): reader = try ParquetReader(bytes: bytes)
      case .file(let file): reader = try ParquetReader(path: file)
      }
      let names = reader.schema.columns.map(\.name)
      schemas.append(names)
      let columns = try reader.readAllColumns().map { $0.rows() }
      for row in 0..<Int(reader.numRows) {
        guard case .int64(let time) = columns[0][row] else {
          Issue.record("row \(row) of version \(version.version) has no time")
          continue
        }
        var cells: [String: Double] = [:]
        for (index, name) in names.enumerated().dropFirst() {
          if case .double(let value) = columns[index][row] { cells[name] = value }
        }
        rows.append((time, cells))
      }
    }
    return (rows, schemas)
  }
}

/// The generator's parameter names and units (scripts/hydrovu/fake_hydrovu.py).
let fakeNames = [
  ("Temperature", "C"), ("Depth", "m"), ("pH", "pH units"), ("Specific Conductance", "uS/cm"),
  ("Dissolved Oxygen", "mg/L"),
]

func column(_ scope: String, _ parameter: Int) -> String {
  "\(scope).\(fakeNames[parameter - 1].0).\(fakeNames[parameter - 1].1)"
}

extension FakeHydroVu {
  /// A client of this server with quick retries.
  func client(secret: String = FakeHydroVu.clientSecret) -> HydroVuClient {
    HydroVuClient(
      baseURL: baseURL, clientID: FakeHydroVu.clientID, clientSecret: secret,
      retry: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)))
  }

  /// A configuration of every device of this server (named `d<id>`), from its start (none when
  /// `withoutStart`).
  func configuration(
    maxPoints: Int = 100_000, withoutStart: Bool = false, inactive: Set<Int64> = []
  ) -> HydroVuConfiguration {
    HydroVuConfiguration(
      baseURL: baseURL, clientID: FakeHydroVu.clientID, clientSecret: FakeHydroVu.clientSecret,
      directory: "/hydrovu", maxPointsPerRun: maxPoints,
      start: withoutStart ? nil : UTCMicroseconds(rawValue: start * 1_000_000),
      devices: (0..<Int64(devices)).map {
        HydroVuConfiguration.Device(
          id: firstID + $0, name: "d\(firstID + $0)", active: !inactive.contains(firstID + $0))
      })
  }

  func collector(
    maxPoints: Int = 100_000, withoutStart: Bool = false, inactive: Set<Int64> = [],
    secret: String = FakeHydroVu.clientSecret
  ) -> HydroVuCollector {
    HydroVuCollector(
      configuration(maxPoints: maxPoints, withoutStart: withoutStart, inactive: inactive),
      client: client(secret: secret))
  }

  /// Checks that the series of `location` holds exactly the generator's readings at `times` (ascending,
  /// each once) for parameters `parameters`, a parameter absent before `since[p]`.
  func expectStored(
    in pond: HydroVuPond, location: Int64, times: [Int64], parameters: [Int]? = nil,
    since: [Int: Int64] = [:], sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let (rows, _) = try pond.rows("/hydrovu/d\(location)/readings")
    #expect(rows.map(\.time) == times.map { $0 * 1_000_000 }, sourceLocation: sourceLocation)
    var wrong = 0
    for (row, time) in zip(rows, times) {
      var expected: [String: Double] = [:]
      for parameter in parameters ?? Array(1...self.parameters)
      where time >= since[parameter, default: .min] {
        expected[column("d\(location)", parameter)] = FakeHydroVu.value(
          location: location, parameter: parameter, time: time)
      }
      if row.cells != expected {
        wrong += 1
        if wrong <= 3 {
          Issue.record(
            "at \(time): stored \(row.cells), expected \(expected)", sourceLocation: sourceLocation)
        }
      }
    }
    #expect(wrong == 0, sourceLocation: sourceLocation)
  }
}
