import Foundation
import PondTestSupport
import Testing

/// Reads every version of a pond's `data/` with deltalake and prints, per version, the canonical text of
/// each row: the columns in schema order joined by "|", `content` in base64, nulls as "N", the timestamp
/// in microseconds since the epoch.
private let readEveryVersion = #"""
  import base64, json, os, sys
  try:
      import pyarrow as pa
      from deltalake import DeltaTable
      path = sys.argv[1]
      latest = DeltaTable(path).version()
      columns = ["part_id", "node_id", "version", "txn", "timestamp", "entry_type", "content", "size", "sha256", "blob"]
      out = {}
      for version in range(latest + 1):
          table = DeltaTable(path, version=version).to_pyarrow_table()
          table = table.set_column(
              table.schema.get_field_index("timestamp"), "timestamp",
              table.column("timestamp").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()))
          rows = []
          for record in table.to_pylist():
              parts = []
              for name in columns:
                  value = record[name]
                  if value is None:
                      parts.append("N")
                  elif name == "content":
                      parts.append(base64.b64encode(bytes(value)).decode())
                  else:
                      parts.append(str(value))
              rows.append("|".join(parts))
          out[str(version)] = sorted(rows)
      print(json.dumps({"latest": latest, "versions": out}))
      sys.stdout.flush()
      rc = 0
  except Exception as error:
      print("error: %r" % (error,), file=sys.stderr)
      sys.stderr.flush()
      rc = 1
  os._exit(rc)
  """#

@Suite("pond data/ read by deltalake")
struct PondDeltaInteropTests {
  @Test(
    "every version deltalake reads holds the rows 'pond show --at N --json' shows",
    .enabled(if: TestSupport.interopEnabled, "needs .venv with deltalake: run `make deps`"))
  func everyVersionMatches() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init", "--birthplace", "interop")
    try pond.ok("mkdir", "-p", "/sensors/lake")
    let big = pond.hostFile(
      "big.bin", (0..<150_000).map { UInt8(truncatingIfNeeded: $0 * 31 >> 2) })
    try pond.ok("copy", pond.hostFile("a.csv", Array("t,v\n1,2\n".utf8)), big, "/sensors/lake")
    try pond.ok("copy", "--series", pond.hostFile("s1", Array("x\n".utf8)), "/sensors/log")
    try pond.ok("copy", "--series", pond.hostFile("s2", Array("y\n".utf8)), "/sensors/log")
    try pond.ok("ln", "-s", "/sensors/lake/a.csv", "/latest")
    try pond.ok("mv", "/sensors/lake/big.bin", "/big.bin")
    try pond.ok("rm", "-r", "/sensors/lake")
    let result = try TestSupport.runPython(readEveryVersion, [pond.root + "/data"])
    try #require(result.status == 0, "deltalake failed: \(result.stderrText)")
    let decoded = try #require(
      try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    let latest = try #require(decoded["latest"] as? Int)
    #expect(latest == 7)
    let versions = try #require(decoded["versions"] as? [String: [String]])
    var cumulative: [String] = []
    for version in 0...latest {
      let shown = try #require(
        try pond.json("show", "--json", "--at", String(version)) as? [[String: Any]])
      cumulative += shown.map(Self.canonical)
      // deltalake at version N holds every row of versions 0...N (pond never removes data files).
      #expect(versions[String(version)] == cumulative.sorted(), "version \(version)")
    }
  }

  static func canonical(_ row: [String: Any]) -> String {
    [
      "part_id", "node_id", "version", "txn", "timestamp", "entry_type", "content", "size",
      "sha256", "blob",
    ]
    .map { name in
      switch row[name] {
      case let text as String: text
      case let number as Int: String(number)
      case let number as NSNumber: number.stringValue
      default: "N"
      }
    }.joined(separator: "|")
  }
}
