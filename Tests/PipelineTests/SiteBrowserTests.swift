import Foundation
import Pipeline
import PondTestSupport
import Testing

/// Headless Chromium opens a built site (scripts/site/check_site.py): no console error, no request outside
/// the site, drawn charts, a screenshot, and a zoom that loads the finer resolution's files and draws what
/// the query engine reads.
@Suite("pond site build: in a browser", .serialized)
struct SiteBrowserTests {
  static let chromium = "/usr/bin/chromium"
  static let script = TestSupport.repositoryRoot.appendingPathComponent(
    "scripts/site/check_site.py")
  /// Where screenshots are kept after the run.
  static let artifacts = TestSupport.repositoryRoot.appendingPathComponent(
    ".build/test-artifacts/site")

  /// 2024-01-20T00:00Z to 2024-02-10T00:00Z: 21 days, within 1h's span of 62.5 days, across the border
  /// of its files 315 and 316 (2024-01-28T00:00Z).
  static let window: (Int64, Int64) = (1_705_708_800_000, 1_707_523_200_000)

  static func python() throws -> URL {
    try #require(
      TestSupport.python ?? TestSupport.which("python3"), "python3 runs scripts/site/check_site.py")
  }

  /// Runs the check; returns its JSON report and exit status.
  static func check(
    site: String, page: String = "series/reduced_2Fa/index.html", screenshot: String,
    expected: String, serve: Bool = false, probes: [String] = []
  ) throws -> (report: [String: Any], status: Int32) {
    let result = try TestSupport.run(
      try python(),
      [
        script.path, "--site", site, "--page", page, "--screenshot",
        screenshot, "--expected", expected, "--chromium", chromium,
      ] + (serve ? ["--serve"] : []) + probes.flatMap { ["--probe", $0] })
    let report = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
    return (
      try #require(report, "check_site.py printed no report: \(result.stderrText)"), result.status
    )
  }

  /// The expected zoom: the 1h rows in the window, as check_site.py takes them.
  static func expected(_ pond: SiteTestPond, change: Bool = false) throws -> String {
    var rows = try pond.query(
      "/reduced/a/res=1h", from: window.0, to: window.1, inclusive: true)
    if change { rows[100][3]! += 1 }
    let text = rows.map { row in
      "[" + "\(Int64(row[0]!)),"
        + row.dropFirst().map { $0.map { "\($0)" } ?? "null" }.joined(separator: ",")
        + "]"
    }
    let columns = SiteTestPond.columns.map { "\"\($0)\"" }.joined(separator: ",")
    return try pond.scratch.write(
      Array(
        "{\"window\": [\(window.0), \(window.1)], \"resolution\": \"1h\", \"columns\": [\(columns)], \"rows\": [\(text.joined(separator: ",\n"))]}\n"
          .utf8), to: change ? "expected-wrong.json" : "expected.json")
  }

  @Test(
    "the index and a series page load cleanly from file:// and http, draw, and zoom to the query engine's rows",
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: chromium) || TestSupport.isCI,
      "needs Debian's chromium at /usr/bin/chromium (CI installs it)"))
  func chromiumOpensTheSite() throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.chromium),
      "chromium is missing under CI: add chromium to scripts/deps.sh")
    let pond = try SiteTestPond.standard("site-browser")
    try pond.write(
      Array(#"{"id": 7, "name": "Lake A", "latitude": 44.5, "longitude": -123.25}"#.utf8),
      to: "/hydrovu/a/device.json")
    let site = pond.scratch.path("site")
    _ = try SiteBuilder.build(
      SiteConfiguration(title: "Browser test", info: "/hydrovu/$1/device.json"),
      from: try pond.reader(), into: site)
    try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
    let screenshot = Self.artifacts.appendingPathComponent("series-a.png").path

    let day: Int64 = 86_400_000
    let (report, status) = try Self.check(
      site: site, screenshot: screenshot, expected: try Self.expected(pond),
      probes: [
        // 10 days from 2024-01-01: 1h (its 62.5-day span fits), one file; 80 days: 6h (375 days), one file; 400
        // days: wider than 6h's span, so 1d; a 62.5-day view across 1h's files 315 and 316: two.
        "\(Self.window.0 - 19 * day),\(Self.window.0 - 9 * day)",
        "\(Self.window.0 - 19 * day),\(Self.window.0 + 61 * day)",
        "\(Self.window.0 - 200 * day),\(Self.window.0 + 200 * day)",
        "\(Self.window.0),\(Self.window.0 + 1500 * 3_600_000)",
      ])
    #expect(status == 0, "\(report["failures"] ?? report)")
    #expect(report["ok"] as? Bool == true)
    #expect((report["failures"] as? [String])?.isEmpty == true)
    #expect((report["errors"] as? [String])?.isEmpty == true)
    #expect((report["outside"] as? [String])?.isEmpty == true)
    let requests = try #require(report["requests"] as? [String])
    #expect(requests.contains { $0.hasSuffix("/series/reduced_2Fa/res=1h/316.js") }, "\(requests)")
    #expect(report["index_rows"] as? Int == 2)
    let pixels = try #require(report["pixels"] as? [Int])
    #expect(pixels.count == 2 && pixels.allSatisfy { $0 > 100 }, "\(pixels)")
    let initial = try #require(report["initial"] as? [String: Any])
    #expect(initial["resolution"] as? String == "1d" && initial["chunks"] as? [Int] == [13])
    let zoomed = try #require(report["zoomed"] as? [String: Any])
    #expect(zoomed["resolution"] as? String == "1h" && zoomed["chunks"] as? [Int] == [315, 316])
    // 21 days of hours, both ends included, on each of the two charts.
    #expect(zoomed["points"] as? [Int] == [505, 505])
    let probes = try #require(report["probes"] as? [[String: Any]])
    #expect(probes.map { $0["resolution"] as? String } == ["1h", "6h", "1d", "1h"])
    #expect(probes.map { $0["chunks"] as? [Int] } == [[315], [52], [13], [315, 316]])
    #expect(FileManager.default.fileExists(atPath: screenshot))
    #expect(
      FileManager.default.fileExists(atPath: screenshot.replacing(".png", with: "-zoomed.png")))
    print("pond site build: screenshots of the series page kept at \(screenshot) and -zoomed.png")

    // The same from a web server (the script's own, on 127.0.0.1).
    let (served, servedStatus) = try Self.check(
      site: site, screenshot: pond.scratch.path("served.png"), expected: try Self.expected(pond),
      serve: true)
    #expect(servedStatus == 0, "\(served["failures"] ?? served)")
    #expect((served["base"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
    #expect((served["outside"] as? [String])?.isEmpty == true)
    #expect((served["zoomed"] as? [String: Any])?["chunks"] as? [Int] == [315, 316])

    // The checks can fail: a request outside the site and a point that differs are reported.
    let page = site + "/index.html"
    let html = String(decoding: try pond.scratch.read(page), as: UTF8.self)
    try Array(
      html.replacing("</body>", with: "<img src=\"http://example.invalid/x.png\"></body>").utf8
    )
    .write(to: page)
    let (bad, badStatus) = try Self.check(
      site: site, screenshot: pond.scratch.path("bad.png"),
      expected: try Self.expected(pond, change: true))
    #expect(badStatus == 1)
    let failures = (bad["failures"] as? [String]) ?? []
    #expect(
      failures.contains {
        $0.contains("requests outside the site") && $0.contains("example.invalid")
      })
    #expect(
      failures.contains { $0.contains("chart temp_c") && $0.contains("first difference at 100") })
  }

  @Test(
    "a whole range beyond 1,500 buckets of the coarsest resolution loads each of its files",
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: chromium) || TestSupport.isCI,
      "needs Debian's chromium at /usr/bin/chromium (CI installs it)"))
  func wholeRangeBeyondOneSpan() throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.chromium),
      "chromium is missing under CI: add chromium to scripts/deps.sh")
    let pond = try SiteTestPond.standard("site-browser-wide")
    // 1h alone: its span is 62.5 days, and a's 90 days meet files 315, 316 and 317.
    try pond.reduce(
      SiteTestPond.reduce.replacing("/reduced/$1", with: "/hourly/$1").replacing(
        "1h, 6h, 1d", with: "1h"))
    let site = pond.scratch.path("site")
    _ = try SiteBuilder.build(
      SiteConfiguration(title: "Hourly", series: "/hourly/*"), from: try pond.reader(), into: site)
    let (report, status) = try Self.check(
      site: site, page: "series/hourly_2Fa/index.html", screenshot: pond.scratch.path("wide.png"),
      expected: try Self.expected(pond))
    #expect(status == 0, "\(report["failures"] ?? report)")
    let initial = try #require(report["initial"] as? [String: Any])
    #expect(initial["resolution"] as? String == "1h")
    #expect(initial["chunks"] as? [Int] == [315, 316, 317])
    #expect(
      (initial["loads"] as? [String])?.sorted()
        == ["res=1h/315.js", "res=1h/316.js", "res=1h/317.js"])
    // Every hour of the 90 days but the last, still open, on each chart.
    let hours = 90 * 24 - 1
    #expect(initial["points"] as? [Int] == [hours, hours])
  }
}

extension Array where Element == UInt8 {
  fileprivate func write(to path: String) throws {
    try Data(self).write(to: URL(fileURLWithPath: path))
  }
}
