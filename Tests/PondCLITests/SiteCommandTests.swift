import Foundation
import PondTestSupport
import Testing

/// `pond site build` through the built binary.
@Suite("pond site build")
struct SiteCommandTests {
  static let config = """
    reduce:
      input: /stations/*/readings
      output: /reduced/$1
      resolutions: 1h, 1d
    columns:
      temp_c: avg, min, max
    """

  /// Hourly readings for `days` days from 2024-01-01 + `from` days.
  static func csv(from: Int, days: Int) -> [UInt8] {
    var text = "time,temp_c\n"
    for day in from..<(from + days) {
      for hour in 0..<24 {
        let date = Date(timeIntervalSince1970: 1_704_067_200 + Double(day * 86_400 + hour * 3600))
        text += "\(date.ISO8601Format()),\(Double(hour) / 2 + Double(day % 9))\n"
      }
    }
    return Array(text.utf8)
  }

  static func files(_ directory: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: directory)
    while let name = enumerator?.nextObject() as? String {
      let path = directory + "/" + name
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files[name] = try Data(contentsOf: URL(fileURLWithPath: path))
      }
    }
    return files
  }

  @Test("builds, rebuilds incrementally, --at an older version, --json, and refuses bad input")
  func build() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("mkdir", "-p", "/stations/lake", "/hydrovu/lake")
    try pond.ok(
      "copy", "--table", "--series", pond.hostFile("a.csv", Self.csv(from: 0, days: 40)),
      "/stations/lake/readings")
    let reduce = pond.hostFile("reduce.yaml", Array(Self.config.utf8))
    try pond.ok("reduce", reduce)
    try pond.ok(
      "copy",
      pond.hostFile(
        "device.json",
        Array(#"{"id": 1, "name": "The Lake", "latitude": 45.1, "longitude": -122.9}"#.utf8)),
      "/hydrovu/lake/device.json")
    let version = try pond.ok("log").split(separator: "\n").count - 1
    let out = pond.directory.appendingPathComponent("site").path
    let info = "--info=/hydrovu/$1/device.json"

    let first = try pond.ok("site", "build", out, info, "--title", "Lakes")
    #expect(
      first.hasPrefix("Built \(out) from pond version \(version): 1 series, ")
        && first.contains(" written, 0 kept, 0 removed)"), "\(first)")
    let index = String(
      decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/index.html")), as: UTF8.self)
    #expect(
      index.contains("<title>Lakes</title>") && index.contains("The Lake")
        && index.contains("45.1, -122.9"))
    #expect(FileManager.default.fileExists(atPath: out + "/series/reduced_2Flake/res=1h/315.js"))
    let built = try Self.files(out)

    try pond.ok(
      "copy", "--table", "--series", pond.hostFile("b.csv", Self.csv(from: 40, days: 3)),
      "/stations/lake/readings")
    try pond.ok("reduce", reduce)
    let again = try #require(
      try pond.json("site", "build", out, info, "--title", "Lakes", "--json") as? [String: Any])
    // The index, the page, and the last file of each resolution.
    #expect(again["written"] as? Int == 4 && again["removed"] as? Int == 0, "\(again)")
    #expect(again["kept"] as? Int == (again["files"] as? Int ?? 0) - 4)
    #expect(again["series"] as? Int == 1 && again["version"] as? Int == version + 2)

    let old = pond.directory.appendingPathComponent("old").path
    try pond.ok("site", "build", old, info, "--title", "Lakes", "--at", "\(version)")
    #expect(try Self.files(old) == built)

    let none = try pond.run("site", "build", out, "--series", "/nothing/*")
    #expect(none.status == 1)
    #expect(
      none.stderr.hasPrefix("pond site build: /nothing/*: matches no directory")
        && none.stderr.contains("pond list"), "\(none.stderr)")
    let noDygraphs = try pond.run("site", "build", out, "--dygraphs", "/nonexistent")
    #expect(noDygraphs.status == 1)
    #expect(
      noDygraphs.stderr.contains("/nonexistent/dygraph.min.js")
        && noDygraphs.stderr.contains("libjs-dygraphs"), "\(noDygraphs.stderr)")
    let notADirectory = try pond.run("site", "build", pond.hostFile("file", [1]) + "/site")
    #expect(notADirectory.status == 1 && notADirectory.stderr.contains("cannot be used"))
    #expect(try pond.run("site", "build").status == 64)
  }
}
