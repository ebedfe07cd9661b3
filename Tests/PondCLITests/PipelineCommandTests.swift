import Foundation
import PondTestSupport
import Testing

/// `pond apply`, `pond resources` and `pond run` through the built binary.
@Suite("pond apply, resources, run")
struct PipelineCommandTests {
  @Test("apply, apply unchanged, list (--json), run with a failure (exit 1 naming it), rm")
  func lifecycle() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    let spool = pond.directory.appendingPathComponent("spool")
    try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
    _ = pond.hostFile("spool/a.csv", Array("time,v\n2026-01-01T00:00:00Z,1\n".utf8))
    let yaml = pond.hostFile(
      "resources.yaml",
      Array(
        """
        kind: Inbox
        name: tables
        spec:
          source: \(spool.path)/*.csv
          destination: /tables
          as: table
        ---
        kind: Reduce
        name: hourly
        spec:
          reduce:
            input: /missing/*/readings
            output: /reduced/$1
            resolutions: 1h
          columns:
            v: avg
        """.utf8))
    let applied = try pond.ok("apply", "-f", yaml)
    #expect(applied.contains("Inbox tables ("), "\(applied)")
    #expect(applied.contains("Applied 2 resource(s) as version 1"), "\(applied)")
    #expect(
      try pond.ok("apply", "-f", yaml).contains("Nothing changed; the pond stays at version 1"))
    let listed = try #require(try pond.json("resources", "--json") as? [[String: Any]])
    #expect(listed.map { $0["name"] as? String } == ["hourly", "tables"])
    #expect((listed[0]["inputs"] as? [String]) == ["/missing/*/readings"])
    let run = try pond.run("run")
    #expect(run.status == 1)
    #expect(
      run.stdout.contains("Inbox tables: ok: copied 1 new file(s) into /tables"), "\(run.stdout)")
    #expect(run.stdout.contains("Reduce hourly: failed in start:"), "\(run.stdout)")
    #expect(run.stderr.contains("pond run: did not complete: hourly"), "\(run.stderr)")
    #expect(try pond.ok("cat", "--format", "csv", "/tables/a").contains("2026-01-01"))
    let json = try #require(try pond.json("run", "tables", "--json") as? [String: Any])
    let outcomes = try #require(json["resources"] as? [[String: Any]])
    #expect(outcomes.map { $0["status"] as? String } == ["unchanged"])
    #expect(try pond.ok("resources", "rm", "hourly").contains("Removed the resource hourly"))
    #expect(try pond.ok("run").contains("Inbox tables: unchanged"))
    let missing = try pond.run("resources", "rm", "hourly")
    #expect(missing.status == 1 && missing.stderr.contains("hourly: no such resource"))
    // A read-only replica does not run resources.
    let bucket = pond.directory.appendingPathComponent("bucket")
    try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
    try pond.ok("remote", "add", "b", bucket.absoluteString)
    try pond.ok("push")
    let replica = pond.directory.appendingPathComponent("replica").path
    #expect(try pond.run("restore", "--pond", replica, bucket.absoluteString).status == 0)
    let onReplica = try pond.run("run", "--pond", replica)
    #expect(onReplica.status == 1)
    #expect(onReplica.stderr.contains("is a read-only replica of"), "\(onReplica.stderr)")
    let bad = pond.hostFile(
      "bad.yaml", Array("kind: Inbox\nname: x\nspec:\n  password: hunter2\n".utf8))
    let refused = try pond.run("apply", "-f", bad)
    #expect(refused.status == 1)
    #expect(
      refused.stderr.contains("line 4: 'password' holds a literal secret"), "\(refused.stderr)")
  }
}
