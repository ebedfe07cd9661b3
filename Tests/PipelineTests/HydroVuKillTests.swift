import Foundation
import Pipeline
import PondTestSupport
import PondTime
import TLogFS
import Testing

#if canImport(Glibc)
  import Glibc
#endif

private let start: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
private let interval: Int64 = 900
private let childPond = "POND_TEST_HYDROVU_CHILD_POND"
private let childURL = "POND_TEST_HYDROVU_CHILD_URL"

/// A collection killed with SIGKILL mid-run: the test binary runs itself, filtered to `childCollects`, as
/// the collecting process (`pond run` is not wired to the collector yet).
@Suite struct HydroVuKillTests {
  @Test func aRunKilledMidCollectionCommitsNothingAndTheNextRunResumes() async throws {
    let fake = try FakeHydroVu(
      devices: 2, parameters: 3, start: start, end: start + 199 * interval, interval: interval,
      options: ["--page-size", "7"])
    let pond = try HydroVuPond()
    _ = try await fake.collector(maxPoints: 30).run(pond: pond.root, commandLine: "first")
    let head = try pond.head
    // The child reads the first device whole, then stalls on the second device's first page.
    try await fake.arm("stall", count: 1, match: "/locations/101/data", seconds: 60)
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    child.arguments = [
      "--testing-library", "swift-testing", "--filter", "HydroVuKillTests/childCollects",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment[childPond] = pond.root
    environment[childURL] = fake.baseURL
    child.environment = environment
    child.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    child.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try child.run()
    defer {
      if child.isRunning {
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
      }
    }
    var stalled = false
    for _ in 0..<600 where !stalled && child.isRunning {
      try await Task.sleep(for: .milliseconds(100))
      stalled = try await fake.stats().stalled == 1
    }
    try #require(stalled, "the child never reached the stalled page")
    #expect(try await fake.stats().requests["/public-api/v1/locations/100/data"] == 5 + 25)
    kill(child.processIdentifier, SIGKILL)
    child.waitUntilExit()
    #expect(child.terminationReason == .uncaughtSignal)
    #expect(child.terminationStatus == SIGKILL)
    // Nothing was committed, and the killed process left no writer lock behind.
    #expect(try pond.head == head)
    _ = try PondStore(root: pond.root, mode: .write(wait: false))
    let report = try await fake.collector().run(pond: pond.root, commandLine: "again")
    #expect(report.version == head + 1)
    for location: Int64 in [100, 101] {
      try fake.expectStored(in: pond, location: location, times: fake.times(from: start))
      #expect(try pond.versions("/hydrovu/d\(location)/readings").map(\.table.rows) == [30, 170])
    }
  }

  /// The collecting process of the test above; runs only as its child.
  @Test(
    .enabled(
      if: ProcessInfo.processInfo.environment[childPond] != nil,
      "runs only as the child of aRunKilledMidCollectionCommitsNothingAndTheNextRunResumes"))
  func childCollects() async throws {
    let environment = ProcessInfo.processInfo.environment
    let configuration = HydroVuConfiguration(
      baseURL: try #require(environment[childURL]), clientID: FakeHydroVu.clientID,
      clientSecret: FakeHydroVu.clientSecret, directory: "/hydrovu",
      start: UTCMicroseconds(rawValue: start * 1_000_000),
      devices: [.init(id: 100, name: "d100"), .init(id: 101, name: "d101")])
    let report = try await HydroVuCollector(configuration).run(
      pond: try #require(environment[childPond]), commandLine: "child")
    #expect(report.version != nil)
  }
}
