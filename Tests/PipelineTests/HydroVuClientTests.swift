import DeltaLog
import Pipeline
import PondTestSupport
import Testing

@testable import Pipeline

private let start: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
private let interval: Int64 = 900
private let end = start + 99 * interval  // 100 readings

private func server(pageSize: Int = 10, options: [String] = []) throws -> FakeHydroVu {
  try FakeHydroVu(
    devices: 2, parameters: 2, start: start, end: end, interval: interval,
    options: ["--page-size", String(pageSize)] + options)
}

/// The collector against a misbehaving HydroVu: retried faults are cured, the others fail the run, which
/// then commits nothing.
@Suite struct HydroVuFaultTests {
  @Test func aTokenThatExpiresMidCollectionIsFetchedAgain() async throws {
    // Each token serves 4 requests: 2 + 10 + 10 requests need 6 tokens (a 401 after each of the first 5).
    let fake = try server(options: ["--token-requests", "4"])
    let pond = try HydroVuPond()
    let report = try await fake.collector().run(pond: pond.root, commandLine: "run")
    #expect(report.devices.map(\.rows) == [100, 100])
    for location: Int64 in [100, 101] {
      try fake.expectStored(in: pond, location: location, times: fake.times(from: start))
    }
    let stats = try await fake.stats()
    #expect(stats.tokens == 6)
  }

  @Test func aTokenRevokedEarlyIsFetchedAgainOnItsFirst401() async throws {
    let fake = try server()
    try await fake.arm("expire", count: 1, match: "/locations/100/data")
    try await fake.arm("expire", count: 1, match: "/locations/101/data")
    let pond = try HydroVuPond()
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    try fake.expectStored(in: pond, location: 101, times: fake.times(from: start))
    let stats = try await fake.stats()
    #expect(stats.tokens == 3)
    #expect(stats.faults == 2)
  }

  @Test func tooManyRequestsAreWaitedOut() async throws {
    let fake = try server()
    try await fake.arm("429", count: 3, match: "/locations/100/data", retryAfter: 0)
    try await fake.arm("429", count: 1, match: "/locations/101/data", retryAfter: 1)
    try await fake.arm("429", count: 2, match: "/locations/list")
    let pond = try HydroVuPond()
    let clock = ContinuousClock()
    let started = clock.now
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    // Retry-After: 1 was honoured (a second), over the client's own 10 ms backoff.
    #expect(clock.now - started >= .seconds(1))
    for location: Int64 in [100, 101] {
      try fake.expectStored(in: pond, location: location, times: fake.times(from: start))
    }
    let stats = try await fake.stats()
    #expect(stats.faults == 6)
    #expect(stats.armed == 0)
  }

  @Test func aTokenIsRenewedBeforeItExpires() async throws {
    // Tokens live 5 s: the client renews one in its last tenth without waiting for a 401 (a shorter life
    // would leave too little slack on a busy machine).
    let fake = try server(options: ["--token-seconds", "5"])
    let pond = try HydroVuPond()
    let collector = fake.collector()
    _ = try await collector.run(pond: pond.root, commandLine: "run")
    try await Task.sleep(for: .seconds(5))
    let report = try await collector.run(pond: pond.root, commandLine: "run")
    #expect(report.version == nil)
    let stats = try await fake.stats()
    // At least one renewal (more when a run outlasts a token on a busy machine).
    #expect(stats.tokens >= 2)
    // Every request was answered the first time: no 401 was needed.
    #expect(stats.requests["/public-api/v1/sispec/friendlynames"] == 2)
    #expect(stats.requests["/public-api/v1/locations/100/data"] == 10 + 1)
  }

  @Test func aLongRetryAfterIsCapped() async throws {
    let fake = try server()
    try await fake.arm("429", count: 1, match: "/sispec", retryAfter: 3600)
    let client = HydroVuClient(
      baseURL: fake.baseURL, clientID: FakeHydroVu.clientID,
      clientSecret: FakeHydroVu.clientSecret, maxRetryAfter: .milliseconds(100))
    let clock = ContinuousClock()
    let started = clock.now
    #expect(try await client.friendlyNames().parameters.count == 2)
    #expect(clock.now - started < .seconds(30))
    #expect(try await fake.stats().faults == 1)
  }

  @Test func serverErrorsAreRetried() async throws {
    let fake = try server()
    try await fake.arm("500", count: 4, match: "/data")
    let pond = try HydroVuPond()
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    try fake.expectStored(in: pond, location: 100, times: fake.times(from: start))
    #expect(try await fake.stats().faults == 4)
  }

  @Test func serverErrorsBeyondTheRetriesCommitNothing() async throws {
    let fake = try server()
    try await fake.arm("500", count: 5, match: "/locations/101/data")
    let pond = try HydroVuPond()
    let head = try pond.head
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector().run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .http)
    #expect(
      error?.message.contains("GET /public-api/v1/locations/101/data answered 500 5 times") == true,
      "\(String(describing: error))")
    #expect(try pond.head == head)
    #expect(try !pond.exists("/hydrovu"))
  }

  @Test(arguments: ["malformed", "cut"])
  func aMalformedBodyFailsTheRunAndCommitsNothing(kind: String) async throws {
    let fake = try server()
    // The first device is read whole (not committed either); the second device's first page is bad.
    try await fake.arm(kind, count: 1, match: "/locations/101/data")
    let pond = try HydroVuPond()
    let head = try pond.head
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector().run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .malformed)
    #expect(error?.message.contains("GET /public-api/v1/locations/101/data") == true)
    #expect(error?.message.contains(" at byte ") == true, "\(String(describing: error))")
    #expect(try pond.head == head)
    #expect(try !pond.exists("/hydrovu"))
    // The next run, with HydroVu well again, stores everything.
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    try fake.expectStored(in: pond, location: 101, times: fake.times(from: start))
  }

  @Test func aTruncatedBodyIsRetried() async throws {
    let fake = try server()
    try await fake.arm("truncated", count: 2, match: "/data")
    let pond = try HydroVuPond()
    _ = try await fake.collector().run(pond: pond.root, commandLine: "run")
    try fake.expectStored(in: pond, location: 100, times: fake.times(from: start))
    #expect(try await fake.stats().faults == 2)
  }

  @Test func bodiesTruncatedOnEveryTryCommitNothing() async throws {
    let fake = try server()
    try await fake.arm("truncated", count: 100, match: "/locations/101/data")
    let pond = try HydroVuPond()
    let head = try pond.head
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector().run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .network)
    #expect(error?.message.contains("GET /public-api/v1/locations/101/data failed 5 times") == true)
    #expect(try pond.head == head)
  }

  @Test func wrongCredentialsAreRefusedNamingTheClient() async throws {
    let fake = try server()
    let pond = try HydroVuPond()
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector(secret: "wrong").run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .credentials)
    #expect(
      error?.message.hasPrefix("HydroVu refused the credentials of client id test-client") == true)
    #expect(error?.message.contains("check the client id and secret") == true)
    #expect(try pond.head == 0)
  }

  @Test func forbiddenEvenWithAFreshTokenIsRefused() async throws {
    let fake = try server()
    try await fake.arm("403", count: 2, match: "/locations/100/data")
    let pond = try HydroVuPond()
    let error = await #expect(throws: HydroVuError.self) {
      try await fake.collector().run(pond: pond.root, commandLine: "run")
    }
    #expect(error?.kind == .credentials)
    #expect(error?.message.contains("answered 403 even with a fresh token") == true)
    #expect(try await fake.stats().tokens == 2)
    #expect(try pond.head == 0)
  }
}

@Suite struct HydroVuClientTests {
  @Test func columnNamesLoseWhatAColumnNameCannotHold() {
    #expect(
      Readings.columnName(scope: "lake", parameter: "Chl-a, RFU", unit: "ug:L")
        == "lake.Chl-a_ RFU.ug_L")
    #expect(Readings.columnName(scope: "s", parameter: " Depth\n", unit: "m") == "s.Depth_.m")
  }

  @Test func theDeviceFileIsCompactWithItsKeysInOrder() {
    let file = HydroVuCollector.deviceFile(
      HydroVuLocation(id: 7, name: "Lake \"A\"", description: nil, latitude: 44.5, longitude: -123))
    #expect(
      String(decoding: file, as: UTF8.self)
        == #"{"id":7,"name":"Lake \"A\"","description":null,"latitude":44.5,"longitude":-123.0}"#)
  }

  @Test func twoParametersThatMakeOneColumnAreRefusedNotMixed() throws {
    let page = try HydroVuDataPage(
      JSONValue.parse(
        #"{"parameters":[{"parameterId":"1","unitId":"1","readings":[{"timestamp":10,"value":1}]},"#
          + #"{"parameterId":"2","unitId":"1","readings":[{"timestamp":10,"value":2}]}]}"#),
      path: "/data")
    var readings = Readings(start: 0, limit: 10)
    let names = HydroVuNames(parameters: ["1": "Temp", "2": "Temp"], units: ["1": "C"])
    let error = #expect(throws: HydroVuError.self) {
      try readings.add(page, names: names, scope: "s", device: "lake")
    }
    #expect(
      error?.message.hasPrefix(
        "device lake: parameter 1 in unit 1 and parameter 2 in unit 1 both make the column \"s.Temp.C\""
      )
        == true, "\(error?.message ?? "")")
    // Distinct names go in distinct columns.
    var fine = Readings(start: 0, limit: 10)
    try fine.add(
      page, names: HydroVuNames(parameters: ["1": "A", "2": "B"], units: ["1": "C"]), scope: "s",
      device: "lake")
    #expect(fine.columnNames == ["s.A.C", "s.B.C"])
  }

  @Test func aPageOfAnotherShapeIsRefusedAndNullValuesAreLeftOut() throws {
    let path = "/public-api/v1/locations/7/data"
    let page = try HydroVuDataPage(
      JSONValue.parse(
        #"{"parameters":[{"parameterId":3,"unitId":"9","readings":[{"timestamp":10,"value":1},"#
          + #"{"timestamp":20,"value":null},{"timestamp":30,"value":2.5}]}]}"#), path: path)
    #expect(page.parameters.map(\.parameterID) == ["3"])
    #expect(page.parameters[0].timestamps == [10, 30])
    #expect(page.parameters[0].values == [1, 2.5])
    let error = #expect(throws: HydroVuError.self) {
      try HydroVuDataPage(
        JSONValue.parse(
          #"{"parameters":[{"parameterId":"1","unitId":"1","readings":[{"timestamp":"x"}]}]}"#),
        path: path)
    }
    #expect(error?.kind == .malformed)
    #expect(
      error?.message
        == "the answer to GET \(path) is not what HydroVu sends: a reading of parameter 1 has no "
        + "integer \"timestamp\"; nothing was stored")
  }

  @Test func pagesAndNamesComeBackDecoded() async throws {
    let fake = try server(pageSize: 30, options: ["--list-page-size", "1"])
    let client = fake.client()
    let names = try await client.friendlyNames()
    #expect(names.parameters == ["1": "Temperature", "2": "Depth"])
    #expect(names.units == ["1": "C", "2": "m"])
    #expect(try await client.locations().map(\.id) == [100, 101])
    var pages: [HydroVuDataPage] = []
    try await client.readings(location: 101, startTime: start + 1, endTime: start + 40 * interval) {
      pages.append($0)
      return true
    }
    #expect(pages.count == 2)
    let times = pages.flatMap { $0.parameters[0].timestamps }
    #expect(times == fake.times(from: start + 1, count: 40))
    #expect(
      pages[0].parameters[1].values.first
        == FakeHydroVu.value(location: 101, parameter: 2, time: start + interval))
  }
}
