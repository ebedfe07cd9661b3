import Foundation
import Pipeline
import PondTestSupport
import TLogFS
import Testing

/// Every file under `directory` (relative paths, the manifest included) with its bytes.
func siteFiles(_ directory: String) throws -> [String: [UInt8]] {
  var files: [String: [UInt8]] = [:]
  let enumerator = FileManager.default.enumerator(atPath: directory)
  while let name = enumerator?.nextObject() as? String {
    var isDirectory: ObjCBool = false
    let path = directory + "/" + name
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      files[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
  }
  return files
}

/// The names of the files whose bytes differ between two sites, or that only one has.
func differences(_ one: [String: [UInt8]], _ other: [String: [UInt8]]) -> Set<String> {
  Set(one.keys).union(other.keys).filter { one[$0] != other[$0] }
}

@Suite("pond site build: output", .serialized)
struct SiteBuilderTests {
  static let configuration = SiteConfiguration(
    title: "Test <site>", info: "/hydrovu/$1/device.json")

  @Test("a build writes the index, the assets, a page per series and the data files of every span")
  func layout() throws {
    let pond = try SiteTestPond.standard()
    try pond.write(
      Array(
        #"{"id": 7, "name": "Lake A", "description": "north shore", "latitude": 44.5, "longitude": -123.25}"#
          .utf8), to: "/hydrovu/a/device.json")
    let out = pond.scratch.path("site")
    let report = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: out)
    let files = try siteFiles(out)
    // 1h spans 62.5 days: a (90 days) meets 315, 316, 317, b (60 days) 315, 316; 6h and 1d one span each.
    var expected: Set<String> = [
      ".pond-site.json", "index.html", "site.js", "site.css", "icon.svg", "dygraph.min.js",
      "dygraph.min.css",
      "dygraph.min.js.map", "dygraph.min.css.map",
      "series/reduced_2Fa/index.html", "series/reduced_2Fb/index.html",
    ]
    for number in 315...317 { expected.insert("series/reduced_2Fa/res=1h/\(number).js") }
    for number in 315...316 { expected.insert("series/reduced_2Fb/res=1h/\(number).js") }
    for name in ["a", "b"] {
      expected.insert("series/reduced_2F\(name)/res=6h/52.js")
      expected.insert("series/reduced_2F\(name)/res=1d/13.js")
    }
    #expect(Set(files.keys) == expected)
    #expect(report.series == 2 && report.files == expected.count - 1)
    #expect(report.written == report.files && report.kept == 0 && report.removed == 0)
    #expect(report.version == pond.head)
    #expect(
      report.bytes
        == files.filter { $0.key != ".pond-site.json" }.values.reduce(0) { $0 + Int64($1.count) })
    #expect(
      files["dygraph.min.js"]
        == [UInt8](
          try Data(
            contentsOf: URL(fileURLWithPath: "/usr/share/javascript/dygraphs/dygraph.min.js"))))

    let index = String(decoding: files["index.html"]!, as: UTF8.self)
    #expect(index.contains("<title>Test &lt;site&gt;</title>"))
    #expect(
      index.contains("Lake A") && index.contains("44.5, -123.25") && index.contains("north shore"))
    #expect(
      index.contains("href=\"series/reduced_2Fb/index.html\">b</a>"),
      "b has no station file: its name is the capture")
    // The newest hour (23:00) is still open: reduce writes a bucket once a later reading exists.
    #expect(index.contains("2024-01-01 00:00 UTC – 2024-03-30 22:00 UTC"))
    let latest = try pond.query(
      "/reduced/a/res=1h", from: 1_711_836_000_000, to: 1_711_839_600_000)
    try #require(latest.count == 1)
    #expect(index.contains("temp_c_avg = \(latest[0][3]!)"))
    let page = String(decoding: files["series/reduced_2Fa/index.html"]!, as: UTF8.self)
    #expect(
      page.contains("\"chunks\":[315,316,317],\"ms\":3600000,\"name\":\"1h\",\"spanMs\":5400000000")
    )
    #expect(page.contains("\"kind\":\"bars\",\"labels\":[\"temp_c\"]"))
    // Nothing outside the site: no scheme, no absolute path in any page.
    for (name, bytes) in files where name.hasSuffix(".html") || name == "site.js" {
      let text = String(decoding: bytes, as: UTF8.self)
      #expect(
        !text.contains("http:") && !text.contains("https:") && !text.contains("src=\"/"), "\(name)")
    }
  }

  @Test("data files hold exactly the reduced rows of their span, as the query engine reads them")
  func dataFilesHoldTheReducedRows() throws {
    let pond = try SiteTestPond.standard()
    let out = pond.scratch.path("site")
    _ = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: out)
    let files = try siteFiles(out)
    for station in ["a", "b"] {
      for (resolution, milliseconds) in [
        ("1h", Int64(3_600_000)), ("6h", 21_600_000), ("1d", 86_400_000),
      ] {
        let span = 1500 * milliseconds
        let prefix = "series/reduced_2F\(station)/res=\(resolution)/"
        var all: [[Double?]] = []
        for name in files.keys.filter({ $0.hasPrefix(prefix) }).sorted(by: {
          Int($0.dropFirst(prefix.count).dropLast(3))! < Int(
            $1.dropFirst(prefix.count).dropLast(3))!
        }) {
          let file = try SiteDataFile(parsing: String(decoding: files[name]!, as: UTF8.self))
          #expect(
            file.resolution == resolution && "\(file.number).js" == name.dropFirst(prefix.count))
          let expected = try pond.query(
            "/reduced/\(station)/res=\(resolution)", from: file.number * span,
            to: (file.number + 1) * span)
          #expect(file.rows == expected, "\(name)")
          #expect(!file.rows.isEmpty)
          all += file.rows
        }
        let every = try pond.query(
          "/reduced/\(station)/res=\(resolution)", from: 0, to: 4_000_000_000_000)
        #expect(
          all == every,
          "\(station) \(resolution): \(all.count) rows in files, \(every.count) reduced")
      }
    }
  }

  @Test(
    "the same pond version gives the same bytes; an older version differs only where its inputs do")
  func deterministic() throws {
    var pond = try SiteTestPond.standard()
    let before = pond.head
    let one = pond.scratch.path("one")
    let two = pond.scratch.path("two")
    _ = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: one)
    _ = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: two)
    #expect(try siteFiles(one) == siteFiles(two))

    try pond.append(SiteTestPond.readings(days: 90..<95), to: "/stations/a/readings")
    try pond.reduce()
    let old = pond.scratch.path("old")
    let new = pond.scratch.path("new")
    let report = try SiteBuilder.build(
      Self.configuration, from: try pond.reader(), at: before, into: old)
    #expect(report.version == before)
    _ = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: new)
    #expect(try siteFiles(old) == siteFiles(one))
    // Five more days of a: its last 1h span, its 6h and 1d spans, its page, the index and the manifest.
    #expect(
      differences(try siteFiles(old), try siteFiles(new)) == [
        ".pond-site.json", "index.html", "series/reduced_2Fa/index.html",
        "series/reduced_2Fa/res=1h/317.js", "series/reduced_2Fa/res=6h/52.js",
        "series/reduced_2Fa/res=1d/13.js",
      ])
  }

  @Test("a rebuild writes only the files whose inputs changed and removes the ones no longer made")
  func incremental() throws {
    var pond = try SiteTestPond.standard()
    let out = pond.scratch.path("site")
    let first = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: out)
    let idle = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: out)
    #expect(idle.written == 0 && idle.kept == first.files && idle.removed == 0)

    let built = try siteFiles(out)
    try pond.append(SiteTestPond.readings(days: 90..<95), to: "/stations/a/readings")
    try pond.reduce()
    let again = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: out)
    #expect(again.written == 5 && again.kept == first.files - 5 && again.removed == 0)
    let changed = differences(built, try siteFiles(out))
    #expect(changed.count == again.written + 1, "\(changed)")  // and the manifest

    // A file deleted by hand is written again, though its inputs did not change.
    try FileManager.default.removeItem(atPath: out + "/series/reduced_2Fb/res=1h/315.js")
    let repaired = try SiteBuilder.build(Self.configuration, from: try pond.reader(), into: out)
    #expect(repaired.written == 1)

    var narrower = Self.configuration
    narrower.series = "/reduced/[a]"
    let narrowed = try SiteBuilder.build(narrower, from: try pond.reader(), into: out)
    // b's page and its 1h (2), 6h and 1d files go; only the index changes (a's page is the same).
    #expect(narrowed.removed == 5 && narrowed.written == 1, "\(narrowed)")
    #expect(!FileManager.default.fileExists(atPath: out + "/series/reduced_2Fb"))
    #expect(try siteFiles(out).count == narrowed.files + 1)
    // A new build from scratch makes the same bytes as the incremental one.
    let fresh = pond.scratch.path("fresh")
    _ = try SiteBuilder.build(narrower, from: try pond.reader(), into: fresh)
    #expect(try siteFiles(fresh) == siteFiles(out))
  }
}

@Suite("pond site build: refusals")
struct SiteRefusalTests {
  static func refused(
    _ configuration: SiteConfiguration, pond: SiteTestPond, into out: String? = nil,
    _ expected: [String]
  ) throws {
    let directory = out ?? pond.scratch.path("site")
    #expect {
      try SiteBuilder.build(configuration, from: try pond.reader(), into: directory)
    } throws: { error in
      let text = "\(error)"
      return expected.allSatisfy { text.contains($0) }
    }
  }

  @Test("a glob that matches nothing, or no reduce output, names the glob and what to do")
  func noMatch() throws {
    let pond = try SiteTestPond.standard()
    try Self.refused(
      SiteConfiguration(title: "t", series: "/nothing/*"), pond: pond,
      ["/nothing/*", "matches no directory", "pond list"])
    try Self.refused(
      SiteConfiguration(title: "t", series: "/stations/*"), pond: pond,
      ["/stations/*", "none holding a res=<resolution> series", "pond reduce"])
    try Self.refused(
      SiteConfiguration(title: "t", info: "/hydrovu/$2/device.json"), pond: pond,
      ["$2", "1 wildcard"])
  }

  @Test("a missing dygraphs directory names the package")
  func missingDygraphs() throws {
    let pond = try SiteTestPond.standard()
    try Self.refused(
      SiteConfiguration(title: "t", dygraphs: pond.scratch.path("no-dygraphs")), pond: pond,
      ["no-dygraphs/dygraph.min.js", "libjs-dygraphs", "--dygraphs"])
  }

  @Test("an unwritable or foreign output directory is refused, naming it")
  func badOutput() throws {
    let pond = try SiteTestPond.standard()
    let file = try pond.scratch.write(Array("x".utf8), to: "a-file")
    try Self.refused(
      SiteConfiguration(title: "t"), pond: pond, into: file + "/site",
      [file + "/site", "cannot be used", "choose a directory you can write"])
    let foreign = pond.scratch.path("foreign")
    try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
    _ = try pond.scratch.write(Array("mine".utf8), to: "foreign/notes.txt")
    try Self.refused(
      SiteConfiguration(title: "t"), pond: pond, into: foreign,
      [foreign, "not empty", ".pond-site.json"])
    #expect(try pond.scratch.read(foreign + "/notes.txt") == Array("mine".utf8))
  }

  @Test("a station file that is not JSON names it")
  func badStation() throws {
    let pond = try SiteTestPond.standard()
    try pond.write(Array("{not json".utf8), to: "/hydrovu/a/device.json")
    try Self.refused(
      SiteConfiguration(title: "t", info: "/hydrovu/$1/device.json"), pond: pond,
      ["/hydrovu/a/device.json", "is not a station description", "--info"])
  }
}
