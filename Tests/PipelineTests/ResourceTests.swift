import Foundation
import Pipeline
import PondTestSupport
import TLogFS
import Testing

/// A pond and a spool directory of CSV files for resource tests.
final class PipelinePond {
  let scratch: ScratchDirectory
  var root: String { scratch.path("pond") }
  var spool: String { scratch.path("spool") }

  init() throws {
    scratch = try ScratchDirectory("pipeline")
    try PondStore.create(root: root, birthplace: "test", commandLine: "pond init")
    try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
  }

  /// Writes a day of 15-minute readings (`day` from 2026-01-01) as `spool/<name>.csv`.
  func writeDay(_ day: Int, name: String) throws {
    var text = "time,temp_c\n"
    for minute in stride(from: 0, to: 24 * 60, by: 15) {
      let hour = minute / 60
      text +=
        "2026-01-\(day < 9 ? "0" : "")\(day + 1)T\(hour < 10 ? "0" : "")\(hour):"
        + "\(minute % 60 < 10 ? "0" : "")\(minute % 60):00Z,\(Double(minute % 170) / 10)\n"
    }
    _ = try scratch.write(Array(text.utf8), to: "spool/\(name).csv")
  }

  func apply(_ yaml: String) throws -> ResourceStore.ApplyReport {
    let store = try PondStore(root: root, mode: .write(wait: false))
    return try ResourceStore.apply(
      try Resource.parse(yaml, file: "test.yaml"), to: store, commandLine: "pond apply")
  }

  var head: Int64 { get throws { try PondStore(root: root, mode: .read).head } }

  func run(_ names: [String] = [], environment: [String: String] = [:]) async throws
    -> PipelineRun.Report
  {
    try await PipelineRun.run(
      pondRoot: root, names: names, environment: environment, commandLine: "pond run")
  }

  /// The Inbox + Reduce pair: the reduce reads what the inbox writes.
  var inboxAndReduce: String {
    """
    kind: Reduce
    name: a-hourly
    spec:
      reduce:
        input: /stations/*/readings
        output: /reduced/$1
        resolutions: [1h, 6h]
      columns:
        temp_c: [avg, max]
    ---
    kind: Inbox
    name: z-logger
    spec:
      source: \(spool)/*.csv
      destination: /stations/lake/readings
      as: table-series
    """
  }
}

@Suite("resources: apply")
struct ResourceApplyTests {
  @Test(
    "a new resource gets a UUID; applying it unchanged commits nothing; a change keeps the UUID")
  func applyTwice() throws {
    let pond = try PipelinePond()
    let first = try pond.apply(pond.inboxAndReduce)
    #expect(first.version == 1)
    #expect(first.resources.map(\.change) == [.created, .created])
    let uuids = first.resources.map(\.uuid)
    #expect(Set(uuids).count == 2 && uuids.allSatisfy { $0.count == 36 })
    let again = try pond.apply(pond.inboxAndReduce)
    #expect(again.version == nil)
    #expect(again.resources.map(\.change) == [.unchanged, .unchanged])
    #expect(try pond.head == 1)
    let changed = try pond.apply(
      pond.inboxAndReduce.replacingOccurrences(of: "[1h, 6h]", with: "[1h, 1d]"))
    #expect(changed.version == 2)
    #expect(changed.resources.map(\.change) == [.changed, .unchanged])
    #expect(changed.resources.map(\.uuid) == uuids)
    let stored = try ResourceStore.list(
      in: try PondStore(root: pond.root, mode: .read).fileSystem())
    #expect(stored.map(\.name) == ["a-hourly", "z-logger"])
    #expect(stored[0].spec["reduce"]?["resolutions"]?.items?.compactMap(\.scalar) == ["1h", "1d"])
  }

  @Test("a kind changed under the same name is refused, nothing committed")
  func kindChange() throws {
    let pond = try PipelinePond()
    _ = try pond.apply(pond.inboxAndReduce)
    let other = """
      kind: Inbox
      name: a-hourly
      spec:
        source: /tmp/x/*.csv
        destination: /x
      """
    #expect {
      try pond.apply(other)
    } throws: { error in
      "\(error)".contains("a-hourly: is a Reduce resource") && "\(error)".contains("resources rm")
    }
    #expect(try pond.head == 1)
  }

  @Test(
    "a literal secret is refused naming the line; references are stored as written",
    arguments: [
      ("client_secret: hunter2", "'client_secret' holds a literal secret"),
      ("password: \"${env:A}x\"", "'password' holds a literal secret"),
      ("api_token: [a]", "'api_token' holds a literal secret"),
      ("key_id: AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
      ("client_secret: abc${oops", "holds a malformed reference (its value is not shown)"),
    ])
  func literalSecret(line: String, words: String) throws {
    let yaml = """
      kind: Inbox
      name: in
      spec:
        source: /tmp/x/*.csv
        destination: /x
        \(line)
      """
    #expect {
      try Resource.parse(yaml, file: "r.yaml")
    } throws: { error in
      "\(error)".contains("r.yaml, line 6") && "\(error)".contains(words)
        && !"\(error)".contains("hunter2") && !"\(error)".contains("abc")
    }
  }

  @Test("problems of a definition are refused naming the file, line or key")
  func badDefinitions() throws {
    let cases: [(String, String)] = [
      ("kind: Lake\nname: a\nspec:\n  x: 1\n", "unknown kind 'Lake'"),
      ("kind: Inbox\nspec:\n  x: 1\n", "no 'name'"),
      ("kind: Inbox\nname: ../a\nspec:\n  x: 1\n", "is not a resource name"),
      ("kind: Inbox\nname: a\nspec:\n  destination: /x\n", "spec.source, line 4: missing"),
      (
        "kind: Inbox\nname: a\nspec:\n  source: /s/*\n  destination: /x\n  as: blob\n",
        "'blob' is not a way to copy"
      ),
      (
        "kind: Inbox\nname: a\nspec:\n  source: /s/*\n  destination: /x\n  colour: red\n",
        "spec.colour, line 6: unknown key"
      ),
      (
        "kind: Reduce\nname: r\nspec:\n  reduce:\n    input: /a\n    output: /b\n    resolutions: 1h\n",
        "columns: missing"
      ),
      (
        "kind: Inbox\nname: a\nspec:\n  source: /s/*\n  destination: /x\n---\n"
          + "kind: Inbox\nname: a\nspec:\n  source: /s/*\n  destination: /y\n",
        "the name 'a' is defined twice"
      ),
    ]
    for (yaml, words) in cases {
      #expect(throws: (any Error).self, "\(words)") { try Resource.parse(yaml, file: "r.yaml") }
      do {
        _ = try Resource.parse(yaml, file: "r.yaml")
      } catch {
        #expect("\(error)".contains(words), "\(error)")
      }
    }
  }
}

@Suite("resources: pond run")
struct PipelineRunTests {
  @Test(
    "dependency order comes from inputs and outputs, not names; each output is committed; a rerun commits nothing"
  )
  func order() async throws {
    let pond = try PipelinePond()
    try pond.writeDay(0, name: "d0")
    try pond.writeDay(1, name: "d1")
    _ = try pond.apply(pond.inboxAndReduce)
    let report = try await pond.run()
    #expect(!report.failed)
    #expect(report.resources.map(\.name) == ["z-logger", "a-hourly"])
    #expect(report.resources.map(\.status) == [.ok, .ok])
    let versions = report.resources.compactMap(\.version)
    #expect(versions.count == 2 && versions[0] < versions[1])
    let store = try PondStore(root: pond.root, mode: .read)
    #expect(
      try store.tableVersions("/stations/lake/readings", in: try store.fileSystem()).count == 2)
    #expect(try store.fileSystem().exists("/reduced/lake/res=6h"))
    let head = try pond.head
    let again = try await pond.run()
    #expect(again.resources.map(\.status) == [.unchanged, .unchanged])
    #expect(try pond.head == head)
    // A new file is copied once, and only it.
    try pond.writeDay(2, name: "d2")
    let third = try await pond.run(["z-logger"])
    #expect(third.resources.map(\.message) == ["copied 1 new file(s) into /stations/lake/readings"])
  }

  @Test("a cycle is refused naming its members, before anything runs")
  func cycle() async throws {
    let pond = try PipelinePond()
    let yaml = """
      kind: Reduce
      name: up
      spec:
        reduce: {input: /a/*/t, output: /b/$1, resolutions: 1h}
        columns: {v: avg}
      """
    // Flow mappings are not read: the same in block style.
    #expect(throws: (any Error).self) { try Resource.parse(yaml, file: "r.yaml") }
    _ = try pond.apply(
      """
      kind: Reduce
      name: up
      spec:
        reduce:
          input: /a/*/t
          output: /b/$1
          resolutions: 1h
        columns:
          v: avg
      ---
      kind: Reduce
      name: down
      spec:
        reduce:
          input: /b/*/res=1h
          output: /a/$1
          resolutions: 1h
        columns:
          v_avg: avg
      ---
      kind: Reduce
      name: after
      spec:
        reduce:
          input: /a/*/res=1h
          output: /c/$1
          resolutions: 1d
        columns:
          v_avg_avg: avg
      ---
      kind: Inbox
      name: free
      spec:
        source: \(pond.spool)/*.csv
        destination: /in
      """)
    let head = try pond.head
    await #expect {
      try await pond.run()
    } throws: { error in
      let text = "\(error)"
      return text.contains("cycle") && text.contains("up (needs down)")
        && text.contains("down (needs up)") && !text.contains("free") && !text.contains("after")
    }
    #expect(try pond.head == head)
  }

  @Test("a failed resource commits nothing, its dependents are skipped, the others run")
  func failure() async throws {
    let pond = try PipelinePond()
    try pond.writeDay(0, name: "d0")
    _ = try pond.apply(
      pond.inboxAndReduce
        + """

        ---
        kind: Inbox
        name: other
        spec:
          source: ${env:OTHER_SPOOL}/*.csv
          destination: /other
        """)
    // Break the logger's input: a CSV whose row is ragged.
    _ = try pond.scratch.write(
      Array("time,temp_c\n2026-01-05T00:00:00Z,1,2\n".utf8), to: "spool/bad.csv")
    let head = try pond.head
    let report = try await pond.run(environment: ["OTHER_SPOOL": pond.spool])
    #expect(report.failed)
    let byName = Dictionary(uniqueKeysWithValues: report.resources.map { ($0.name, $0) })
    #expect(byName["z-logger"]?.status == .failed)
    #expect(byName["z-logger"]?.phase == "run")
    #expect(byName["z-logger"]?.message.contains("bad.csv") == true)
    #expect(byName["a-hourly"]?.status == .skipped)
    #expect(byName["a-hourly"]?.message.contains("depends on z-logger") == true)
    #expect(byName["other"]?.status == .ok)
    let store = try PondStore(root: pond.root, mode: .read)
    let fileSystem = try store.fileSystem()
    #expect(!(try fileSystem.exists("/stations/lake/readings")))
    #expect(try fileSystem.exists("/other/bad.csv"))
    // Init's commits and the other inbox's: nothing of the failed one's run.
    #expect(try store.head > head)
  }

  @Test("Start fails on a reference whose variable is not set, naming it")
  func missingEnvironment() async throws {
    let pond = try PipelinePond()
    _ = try pond.apply(
      """
      kind: Inbox
      name: in
      spec:
        source: ${env:SPOOL_DIR}/*.csv
        destination: /in
      """)
    let report = try await pond.run()
    #expect(report.resources.first?.status == .failed)
    #expect(report.resources.first?.phase == "start")
    #expect(report.resources.first?.message.contains("SPOOL_DIR is not set") == true)
    await #expect(throws: (any Error).self) { try await pond.run(["nope"]) }
  }
}

@Suite("resources: deploy/pipeline.yaml")
struct PipelineExampleTests {
  @Test("the example resource file applies: its kinds, order and references")
  func example() throws {
    let path = TestSupport.repositoryRoot.appendingPathComponent("deploy/pipeline.yaml").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let resources = try Resource.parse(text, file: path)
    #expect(resources.map(\.kind) == [.hydroVu, .inbox, .reduce, .site])
    let hydroVu = try ResourceSpec(
      resources[0], environment: ["HYDROVU_CLIENT_ID": "id", "HYDROVU_CLIENT_SECRET": "secret"])
    guard case .hydroVu(let configuration) = hydroVu else {
      Issue.record("not a HydroVu spec")
      return
    }
    #expect(configuration.clientSecret == "secret")
    #expect(configuration.devices.map(\.active) == [true, true, false])
    #expect(resources[0].spec["client_secret"]?.scalar == "${env:HYDROVU_CLIENT_SECRET}")
    let pond = try PipelinePond()
    let report = try pond.apply(text)
    #expect(report.resources.count == 4)
    let specs = try resources.map { try ResourceSpec($0, environment: nil) }
    #expect(specs[3].inputs == ["/reduced/*", "/hydrovu/$1/device.json"])
  }
}

@Suite("resources: pond run, more")
struct PipelineRunMoreTests {
  @Test("outputs below another's inputs are ordered, not a cycle: a reduce of a reduce's output")
  func chainedReduces() async throws {
    let pond = try PipelinePond()
    _ = try pond.apply(
      """
      kind: Reduce
      name: b-daily
      spec:
        reduce:
          input: /hydrovu/*/hourly/res=1h
          output: /hydrovu/$1/daily
          resolutions: 1d
        columns:
          v_avg: avg
      ---
      kind: Reduce
      name: c-hourly
      spec:
        reduce:
          input: /hydrovu/*/readings
          output: /hydrovu/$1/hourly
          resolutions: 1h
        columns:
          v: avg
      """)
    let report = try await pond.run()
    #expect(report.resources.map(\.name) == ["c-hourly", "b-daily"])
    #expect(report.resources.map(\.status) == [.failed, .skipped])
    #expect(report.resources[0].message.contains("no input matches"))
  }

  @Test(
    "an Inbox appending to a series commits file by file: a bad last file fails, the ones before stay and are reported"
  )
  func partialInbox() async throws {
    let pond = try PipelinePond()
    try pond.writeDay(0, name: "d0")
    try pond.writeDay(1, name: "d1")
    _ = try pond.scratch.write(
      Array("time,temp_c\n2026-01-05T00:00:00Z,1,2\n".utf8), to: "spool/zz-bad.csv")
    _ = try pond.apply(pond.inboxAndReduce)
    let report = try await pond.run(["z-logger"])
    let outcome = try #require(report.resources.first)
    #expect(outcome.status == .failed)
    #expect(outcome.message.contains("zz-bad.csv"), "\(outcome.message)")
    #expect(outcome.message.contains("the 2 file(s) before it were copied"), "\(outcome.message)")
    let store = try PondStore(root: pond.root, mode: .read)
    #expect(outcome.version == store.head)
    #expect(
      try store.tableVersions("/stations/lake/readings", in: try store.fileSystem()).count == 2)
    // The next run copies nothing twice and fails on the bad file alone.
    let again = try await pond.run(["z-logger"])
    #expect(again.resources.first?.status == .failed)
    #expect(again.resources.first?.version == nil)
    #expect(try PondStore(root: pond.root, mode: .read).head == store.head)
  }

  @Test("a file appended to a series before, seen again with other content, is refused naming it")
  func changedFileInSeries() async throws {
    let pond = try PipelinePond()
    try pond.writeDay(0, name: "d0")
    _ = try pond.apply(pond.inboxAndReduce)
    #expect(try await pond.run(["z-logger"]).resources.first?.status == .ok)
    try pond.writeDay(3, name: "d0")
    let report = try await pond.run(["z-logger"])
    #expect(report.resources.first?.status == .failed)
    #expect(
      report.resources.first?.message.contains(
        "d0.csv: was appended to /stations/lake/readings before") == true)
  }

  @Test("a Reduce whose definition changed recomputes its outputs on its next run")
  func redefinedReduce() async throws {
    let pond = try PipelinePond()
    try pond.writeDay(0, name: "d0")
    try pond.writeDay(1, name: "d1")
    _ = try pond.apply(pond.inboxAndReduce)
    #expect(!(try await pond.run()).failed)
    _ = try pond.apply(pond.inboxAndReduce.replacingOccurrences(of: "[1h, 6h]", with: "[1h, 1d]"))
    let report = try await pond.run()
    #expect(!report.failed, "\(report.resources.map(\.message))")
    #expect(report.resources.last?.status == .ok)
    let fileSystem = try PondStore(root: pond.root, mode: .read).fileSystem()
    #expect(try fileSystem.exists("/reduced/lake/res=1d"))
    #expect(!(try fileSystem.exists("/reduced/lake/res=6h")))
  }
}
