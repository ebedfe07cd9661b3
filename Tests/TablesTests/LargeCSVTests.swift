import Foundation
import PondTestSupport
import PondTime
import Tables
import Testing

/// The peak resident set of this process (`VmHWM`), in bytes.
private func peakResidentBytes() throws -> Int {
  let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
  let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }!
  return Int(line.split(separator: " ")[1])! * 1024
}

@Suite(
  "A million-row CSV",
  .enabled(
    if: ProcessInfo.processInfo.environment["POND_TEST_LARGE_CSV"] == "1",
    "slow in a debug build: set POND_TEST_LARGE_CSV=1 and run this suite alone"))
struct LargeCSVTests {
  @Test func convertsWithBoundedMemory() throws {
    let scratch = try ScratchDirectory("csv-large")
    let path = scratch.path("large.csv")
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.write(contentsOf: Data("time,temp_c,count,site\n".utf8))
    let rows = 1_000_000
    let start: Int64 = 1_704_067_200
    var text = ""
    for row in 0..<rows {
      let seconds = start + Int64(row)
      let time = UTCMilliseconds(rawValue: seconds * 1000).iso8601!
      text +=
        "\(time),\(Double(row % 1000) / 8),\(row % 97 == 0 ? "" : String(row)),site \(row % 13)\n"
      if text.utf8.count > 1 << 20 {
        try handle.write(contentsOf: Data(text.utf8))
        text = ""
      }
    }
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
    let before = try peakResidentBytes()
    let began = ContinuousClock.now
    let info = try TableImport.convertCSV(at: path, to: scratch.path("large.parquet"))
    let took = ContinuousClock.now - began
    let grown = try peakResidentBytes() - before
    print("1,000,000 rows converted in \(took); peak resident set grew by \(grown >> 20) MiB")
    #expect(info.rows == Int64(rows))
    #expect(info.schema == "time:timestamp,temp_c:double,count:int64?,site:string")
    #expect(
      info.timeRange == start * 1_000_000...(start + Int64(rows) - 1) * 1_000_000)
    #expect(grown < 150 << 20)
  }
}
