import Foundation
import PondTestSupport
import Testing

/// `pond reduce` through the built binary.
@Suite("pond reduce")
struct ReduceCommandTests {
  static let config = """
    reduce:
      input: /stations/*/readings
      output: /reduced/$1
      resolutions: 30m, 1h
    columns:
      temp_c: avg, max, count
    """

  /// Readings every 10 minutes from `first` (minutes after 2024-01-01T00:00Z) for `count` rows.
  static func csv(first: Int, count: Int) -> [UInt8] {
    var text = "time,temp_c\n"
    for index in 0..<count {
      let minutes = first + index * 10
      let temp = index % 4 == 3 ? "" : String(Double(minutes) / 10)
      text += "2024-01-01T\(pad(minutes / 60)):\(pad(minutes % 60)):00Z,\(temp)\n"
    }
    return Array(text.utf8)
  }

  private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

  @Test(
    "reduces in one commit, says when there is nothing new, refuses late rows, --rebuild, --json")
  func reduce() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    try pond.ok("mkdir", "-p", "/stations/a")
    try pond.ok(
      "copy", "--table", "--series", pond.hostFile("a1.csv", Self.csv(first: 0, count: 13)),
      "/stations/a/readings")
    let config = pond.hostFile("reduce.yaml", Array(Self.config.utf8))
    let commits = try pond.ok("log").split(separator: "\n").count
    let first = try pond.ok("reduce", config)
    #expect(
      first.contains(
        "/stations/a/readings -> /reduced/a: 1 version(s), 13 rows, buckets 30m: 4, 1h: 2"),
      "\(first)")
    #expect(first.contains("Reduced 1 input(s), 13 rows, buckets 30m: 4, 1h: 2, as version"))
    #expect(try pond.ok("log").split(separator: "\n").count == commits + 1)
    let idle = try pond.ok("reduce", config)
    #expect(idle.contains("Nothing to reduce"), "\(idle)")
    #expect(try pond.ok("log").split(separator: "\n").count == commits + 1)

    let described = try #require(
      try pond.json("describe", "--json", "/reduced/a/res=30m") as? [[String: Any]])
    let versions = try #require(described.first?["versions"] as? [[String: Any]])
    let table = try #require(versions.first?["table"] as? [String: Any])
    #expect(
      table["schema"] as? String
        == "time:timestamp,temp_c_avg:double?,temp_c_max:double?,temp_c_count:int64")
    #expect(table["rows"] as? Int == 4)

    try pond.ok(
      "copy", "--table", "--series", pond.hostFile("a0.csv", Self.csv(first: 10, count: 2)),
      "/stations/a/readings")
    let late = try pond.run("reduce", config)
    #expect(late.status == 1)
    #expect(
      late.stderr.contains("late data") && late.stderr.contains("--rebuild"), "\(late.stderr)")

    let rebuilt = try #require(
      try pond.json("reduce", "--rebuild", "--json", config) as? [String: Any])
    let inputs = try #require(rebuilt["inputs"] as? [[String: Any]])
    #expect(inputs.first?["rows"] as? Int == 15)
    #expect(inputs.first?["rebuilt"] as? String == "--rebuild")
    #expect(rebuilt["version"] as? Int != nil)
    let after = try #require(
      try pond.json("describe", "--json", "/reduced/a/res=30m") as? [[String: Any]])
    #expect((after.first?["versions"] as? [[String: Any]])?.count == 1)
    #expect(try pond.run("fsck").status == 0)
  }

  @Test("a bad configuration is refused naming the key, changing nothing")
  func badConfiguration() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let config = pond.hostFile(
      "bad.yaml", Array(Self.config.replacingOccurrences(of: "30m, 1h", with: "40m, 1h").utf8))
    let result = try pond.run("reduce", config)
    #expect(result.status == 1)
    #expect(
      result.stderr.contains("reduce.resolutions: 40m does not divide 1h"), "\(result.stderr)")
  }
}
