import Foundation
import Pipeline
import PondSQLite
import PondTestSupport
import TLogFS
import Tables
import Testing
import TinyFS

private let start: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
private let interval: Int64 = 900
private let end = start + 199 * interval  // 200 readings

private func server(
  devices: Int = 2, parameters: Int = 3, pageSize: Int = 7, options: [String] = []
) throws -> FakeHydroVu {
  try FakeHydroVu(
    devices: devices, parameters: parameters, start: start, end: end, interval: interval,
    options: ["--page-size", String(pageSize)] + options)
}

@Suite struct HydroVuCollectorTests {
  @Test func pagesOfEveryDeviceArriveOnceInOneCommit() async throws {
    let fake = try server(options: ["--list-page-size", "1"])
    let pond = try HydroVuPond()
    let before = try pond.head
    let report = try await fake.collector().run(pond: pond.root, commandLine: "test collect")
    #expect(report.version == before + 1)
    #expect(try pond.head == before + 1)
    let times = fake.times(from: start)
    #expect(times.count == 200)
    for location: Int64 in [100, 101] {
      try fake.expectStored(in: pond, location: location, times: times)
      #expect(try pond.versions("/hydrovu/d\(location)/readings").count == 1)
      let info = try #require(try pond.versions("/hydrovu/d\(location)/readings").last).table
      #expect(info.timeColumn == "time")
      #expect(info.timeRange == start * 1_000_000...end * 1_000_000)
      #expect(
        info.schema
          == "time:timestamp,\(column("d\(location)", 2)):double?,"
          + "\(column("d\(location)", 1)):double?,\(column("d\(location)", 3)):double?")
    }
    #expect(report.devices.map(\.rows) == [200, 200])
    #expect(report.devices.allSatisfy { $0.complete && $0.deviceFileWritten })
    let stats = try await fake.stats()
    // 200 timestamps in pages of 7: 29 pages per device; the list endpoint in pages of one location.
    #expect(stats.requests["/public-api/v1/locations/100/data"] == 29)
    #expect(stats.requests["/public-api/v1/locations/101/data"] == 29)
    #expect(stats.requests["/public-api/v1/locations/list"] == 2)
    #expect(stats.tokens == 1)
    #expect(
      try pond.file("/hydrovu/d101/device.json")
        == #"{"id":101,"name":"Device 101","description":"Fake device 101","latitude":45.015625,"#
        + #""longitude":-122.015625}"#)
  }

  @Test func aRunWithNothingNewCommitsNothing() async throws {
    let fake = try server(devices: 1)
    let pond = try HydroVuPond()
    _ = try await fake.collector().run(pond: pond.root, commandLine: "first")
    let head = try pond.head
    let report = try await fake.collector().run(pond: pond.root, commandLine: "second")
    #expect(report.version == nil)
    #expect(report.devices.map(\.rows) == [0])
    #expect(report.devices.map(\.deviceFileWritten) == [false])
    #expect(try pond.head == head)
    // The second run asked only for what follows the newest stored time.
    #expect(try await fake.stats().requests["/public-api/v1/locations/100/data"] == 29 + 1)
  }

  @Test func maxPointsPerRunSplitsTheReadingsWithoutGapsOrDuplicates() async throws {
    let fake = try server()
    let pond = try HydroVuPond()
    let times = fake.times(from: start)
    var stored = 0
    var runs = 0
    while true {
      let report = try await fake.collector(maxPoints: 45).run(pond: pond.root, commandLine: "run")
      guard let version = report.version else { break }
      runs += 1
      #expect(version == Int64(runs))
      let rows = min(45, 200 - stored)
      #expect(report.devices.map(\.rows) == [Int64(rows), Int64(rows)])
      stored += rows
      #expect(report.devices.allSatisfy { $0.complete == (stored == 200) })
      for location: Int64 in [100, 101] {
        try fake.expectStored(in: pond, location: location, times: Array(times.prefix(stored)))
      }
      try #require(runs < 10)
    }
    #expect(runs == 5)
    #expect(stored == 200)
    #expect(try pond.versions("/hydrovu/d100/readings").map(\.table.rows) == [45, 45, 45, 45, 20])
  }

  @Test func aRunCutShortNeverStoresHalfATimestamp() async throws {
    // Each page holds 7 timestamps and the first of the 3 parameters of the next one: after two pages a
    // run has seen 15 timestamps, the 15th only in part. With at most 15 per run, it must read a third
    // page before storing the 15th.
    let fake = try server(options: ["--straddle"])
    let pond = try HydroVuPond()
    let times = fake.times(from: start)
    var stored = 0
    while stored < 200 {
      let report = try await fake.collector(maxPoints: 15).run(pond: pond.root, commandLine: "run")
      let rows = min(15, 200 - stored)
      #expect(report.devices.map(\.rows) == [Int64(rows), Int64(rows)])
      stored += rows
      try fake.expectStored(in: pond, location: 101, times: Array(times.prefix(stored)))
    }
    try fake.expectStored(in: pond, location: 100, times: times)
    #expect(
      try pond.versions("/hydrovu/d101/readings").map(\.table.rows)
        == Array(repeating: 15, count: 13) + [5])
  }

  @Test func aParameterThatAppearsLaterWidensTheSeries() async throws {
    let since = start + 100 * interval
    let fake = try server(devices: 1, options: ["--late-parameter", "3:\(since)"])
    let pond = try HydroVuPond()
    let first = try await fake.collector(maxPoints: 80).run(pond: pond.root, commandLine: "1")
    #expect(first.devices[0].newColumns == [])
    let second = try await fake.collector().run(pond: pond.root, commandLine: "2")
    #expect(second.devices[0].newColumns == [column("d100", 3)])
    let (_, schemas) = try pond.rows("/hydrovu/d100/readings")
    let old = ["time", column("d100", 2), column("d100", 1)]
    #expect(schemas == [old, old + [column("d100", 3)]])
    let versions = try pond.versions("/hydrovu/d100/readings")
    #expect(versions.last?.table.schema.hasSuffix(",\(column("d100", 3)):double?") == true)
    try fake.expectStored(
      in: pond, location: 100, times: fake.times(from: start), since: [3: since])
  }

  @Test
  func aWidenedSeriesReadsAsOneTable() async throws {
    let since = start + 100 * interval
    let fake = try server(devices: 1, options: ["--late-parameter", "3:\(since)"])
    let pond = try HydroVuPond()
    _ = try await fake.collector(maxPoints: 80).run(pond: pond.root, commandLine: "1")
    _ = try await fake.collector().run(pond: pond.root, commandLine: "2")
    let store = try PondStore(root: pond.root, mode: .read)
    let engine = try QueryEngine()
    try engine.register(
      try PondQuery.table(
        named: "r", pattern: "/hydrovu/d100/readings", in: store, fileSystem: try store.fileSystem()
      ))
    var counts: [[SQLiteValue]] = []
    try engine.run(
      "SELECT count(*), count(\"\(column("d100", 1))\"), count(\"\(column("d100", 3))\") FROM r"
    ) {
      counts.append($0)
      return true
    }
    #expect(counts == [[.integer(200), .integer(200), .integer(100)]])
  }

  @Test func anInactiveDeviceIsSkipped() async throws {
    let fake = try server(options: ["--inactive-device", "101"])
    let pond = try HydroVuPond()
    let report = try await fake.collector(inactive: [101]).run(pond: pond.root, commandLine: "run")
    #expect(report.devices.map(\.active) == [true, false])
    #expect(report.devices.map(\.rows) == [200, 0])
    try fake.expectStored(in: pond, location: 100, times: fake.times(from: start))
    #expect(try !pond.exists("/hydrovu/d101"))
    #expect(try await fake.stats().requests["/public-api/v1/locations/101/data"] == nil)
  }

  @Test func aMissingNameIsTheParameterID() async throws {
    let fake = try server(devices: 1, options: ["--unnamed-parameter", "2"])
    let pond = try HydroVuPond()
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    let (rows, schemas) = try pond.rows("/hydrovu/d100/readings")
    #expect(schemas == [["time", "d100.2.m", column("d100", 1), column("d100", 3)]])
    #expect(
      rows.first?.cells["d100.2.m"] == FakeHydroVu.value(location: 100, parameter: 2, time: start))
  }

  @Test func aDeviceWithoutDataAndWithoutStartIsRefused() async throws {
    let fake = try server(devices: 1)
    let pond = try HydroVuPond()
    let head = try pond.head
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector(withoutStart: true).run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .configuration)
    #expect(error?.message.contains("device d100") == true)
    #expect(error?.message.contains("no start time") == true)
    #expect(try pond.head == head)
    // Refused before any request.
    #expect(try await fake.stats().requests.isEmpty)
    // Once the device has data, no start is needed.
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    let report = try await fake.collector(withoutStart: true).run(
      pond: pond.root, commandLine: "run")
    #expect(report.version == nil)
  }

  @Test func aDeviceHydroVuDoesNotListIsRefused() async throws {
    let fake = try server(devices: 1)
    let pond = try HydroVuPond()
    var configuration = fake.configuration()
    configuration.devices.append(.init(id: 999, name: "ghost"))
    let error = await #expect(throws: HydroVuError.self) {
      try await HydroVuCollector(configuration, client: fake.client()).run(
        pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .configuration)
    #expect(
      error?.message
        == "device ghost: HydroVu lists no location with id 999 for client id test-client; check "
        + "the device's id")
    #expect(try pond.head == 0)
  }

  @Test func aSeriesTheCollectorDidNotWriteIsRefused() async throws {
    let fake = try server(devices: 1)
    let pond = try HydroVuPond()
    let csv = try pond.scratch.write(
      Array("time,site\n2024-01-01T00:00:00Z,lake\n".utf8), to: "other.csv")
    try PondStore(root: pond.root, mode: .write(wait: true)).change(commandLine: "mkdir") {
      try $0.createDirectory("/hydrovu/d100", withParents: true)
    }
    let prepared = try TableCopy.prepare(
      csv, to: "/hydrovu/d100/readings", series: true, schema: nil, timeColumn: nil,
      reading: try PondStore(root: pond.root, mode: .read))
    _ = try prepared.store(
      into: try PondStore(root: pond.root, mode: .write(wait: true)), commandLine: "copy")
    let head = try pond.head
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector().run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .pond)
    #expect(
      error?.message
        == "/hydrovu/d100/readings has columns time:timestamp?,site:string? (time column time), not "
        + "those of HydroVu readings (time:timestamp, then double? columns); move it away or choose "
        + "another directory")
    #expect(try pond.head == head)
  }

  @Test func aSeriesChangedDuringCollectionIsNotAppendedTo() async throws {
    let fake = try server(devices: 1)
    let pond = try HydroVuPond()
    let collection = try await fake.collector(maxPoints: 50).collect(pond: pond.root)
    _ = try await fake.collector(maxPoints: 20).run(pond: pond.root, commandLine: "other run")
    let head = try pond.head
    let store = try PondStore(root: pond.root, mode: .write(wait: true))
    let error = #expect(throws: HydroVuError.self) {
      try collection.store(into: store, commandLine: "late")
    }
    #expect(error?.kind == .pond)
    #expect(error?.message.contains("nothing was committed") == true)
    #expect(store.head == head)
    try fake.expectStored(in: pond, location: 100, times: fake.times(from: start, count: 20))
  }

  @Test func aStalledRunHoldsNoLockCommitsNothingAndTheNextRunResumes() async throws {
    let fake = try server()
    let pond = try HydroVuPond()
    _ = try await fake.collector(maxPoints: 30).run(pond: pond.root, commandLine: "first")
    let head = try pond.head
    // The second device's first page stalls after half its body, after the first device was read.
    try await fake.arm("stall", count: 1, match: "/locations/101/data", seconds: 30)
    let collector = fake.collector()
    let root = pond.root
    let run = Task { try await collector.run(pond: root, commandLine: "stalled") }
    var stalled = false
    for _ in 0..<600 where !stalled {
      try await Task.sleep(for: .milliseconds(50))
      stalled = try await fake.stats().stalled == 1
    }
    try #require(stalled)
    // Mid-collection: nothing committed, and no writer lock held.
    #expect(try pond.head == head)
    _ = try PondStore(root: pond.root, mode: .write(wait: false))
    run.cancel()
    await #expect(throws: (any Error).self) { try await run.value }
    #expect(try pond.head == head)
    let report = try await fake.collector().run(pond: pond.root, commandLine: "again")
    #expect(report.version == head + 1)
    for location: Int64 in [100, 101] {
      try fake.expectStored(in: pond, location: location, times: fake.times(from: start))
      #expect(try pond.versions("/hydrovu/d\(location)/readings").map(\.table.rows) == [30, 170])
    }
  }
}

@Suite struct HydroVuConfigurationTests {
  private static let good = HydroVuConfiguration(
    clientID: "id", clientSecret: "secret", directory: "/hydrovu", start: nil,
    devices: [.init(id: 1, name: "lake"), .init(id: 2, name: "river", scope: "r")])

  @Test func aGoodConfigurationPasses() throws {
    try Self.good.validate()
    #expect(Self.good.baseURL == "https://www.hydrovu.com")
    #expect(Self.good.maxPointsPerRun == 100_000)
    #expect(Self.good.devices[0].active)
  }

  @Test(arguments: [
    ("directory", "hydrovu"), ("directory", "/"), ("baseURL", "www.hydrovu.com"), ("clientID", ""),
    ("clientSecret", ""), ("maxPointsPerRun", "0"), ("devices", "same name"),
    ("devices", "same id"), ("devices", "a/b"), ("devices", "scope:x"),
  ])
  func aBadFieldIsRefusedByName(field: String, value: String) {
    var configuration = Self.good
    switch (field, value) {
    case ("directory", _): configuration.directory = value
    case ("baseURL", _): configuration.baseURL = value
    case ("clientID", _): configuration.clientID = value
    case ("clientSecret", _): configuration.clientSecret = value
    case ("maxPointsPerRun", _): configuration.maxPointsPerRun = 0
    case (_, "same name"): configuration.devices[1].name = "lake"
    case (_, "same id"): configuration.devices[1].id = 1
    case (_, "a/b"): configuration.devices[1].name = "a/b"
    default: configuration.devices[1].scope = "x:y"
    }
    let error = #expect(throws: HydroVuError.self) { try configuration.validate() }
    #expect(error?.kind == .configuration)
    #expect(error?.message.hasPrefix(field) == true, "\(String(describing: error))")
  }
}
