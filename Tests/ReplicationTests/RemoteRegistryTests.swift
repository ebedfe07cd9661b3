import Foundation
import PondTestSupport
import TLogFS
import Testing

@testable import Replication

@Suite("Remotes file")
struct RemoteRegistryTests {
  @Test("remotes are added, listed, resolved and removed; a second name is refused")
  func addResolveRemove() throws {
    let scratch = try ScratchDirectory()

    var registry = try RemoteRegistry(pondRoot: scratch.root)
    #expect(registry.remotes.isEmpty)
    try registry.add(RemoteSettings(name: "lab", url: "file:///tmp/lab"))
    try registry.add(
      RemoteSettings(
        name: "cloud", url: "s3://b/p", endpoint: "http://127.0.0.1:9", allowHTTP: true))
    #expect(throws: ReplicationError.self) {
      try registry.add(RemoteSettings(name: "lab", url: "x"))
    }
    let reread = try RemoteRegistry(pondRoot: scratch.root)
    #expect(reread.remotes == registry.remotes)
    #expect(try reread.resolve("cloud").endpoint == "http://127.0.0.1:9")
    #expect(throws: ReplicationError.self) { try reread.resolve(nil) }  // two remotes, none named
    #expect(try reread.resolve("file:///x").url == "file:///x")
    try registry.remove(named: "cloud")
    #expect(try RemoteRegistry(pondRoot: scratch.root).resolve(nil).name == "lab")
  }
}

@Suite("local YAML files")
struct LocalYAMLTests {
  @Test("what pond writes reads back the same, whatever the strings hold")
  func roundTrip() throws {
    let odd = [
      "plain", "with space", "colon: inside", "#hash", "quote\"s", "back\\slash", "tab\tnew\nline",
      "-dash", "true", "", "ünïcode", "s3://bucket/prefix",
    ]
    let text = LocalYAML.encode([
      ("remotes", odd.map { [("name", $0), ("url", "u-" + $0)] }, true),
      ("heads", odd.map { [($0, "7")] }, false),
      ("empty", [], true),
    ])
    let decoded = try LocalYAML.decode(text, path: "x")
    #expect(decoded["remotes"] == .list(odd.map { ["name": $0, "url": "u-" + $0] }))
    #expect(decoded["heads"] == .map(Dictionary(uniqueKeysWithValues: odd.map { ($0, "7") })))
    #expect(decoded["empty"] == .list([]))
  }

  @Test("hand edits of the same shape are read: plain and single-quoted scalars, comments")
  func handEdits() throws {
    let text = """
      # my remotes
      remotes:
        - name: lab   # the lab's bucket
          url: 's3://b/it''s'
          allowHTTP: true

        - name: "backup"
          url: file:///mnt/usb/pond
      """
    let decoded = try LocalYAML.decode(text, path: "x")
    #expect(
      decoded["remotes"]
        == .list([
          ["name": "lab", "url": "s3://b/it's", "allowHTTP": "true"],
          ["name": "backup", "url": "file:///mnt/usb/pond"],
        ]))
  }

  @Test(
    "other YAML is refused naming the line",
    arguments: [
      ("remotes:\n  - name: [a, b]\n", 2), ("remotes:\n  - name: \"open\n", 2),
      ("  - name: a\n", 1),
      ("remotes:\n  - name: a\n  url: b\n", 3), ("remotes: x\n", 1),
    ])
  func refused(text: String, line: Int) throws {
    #expect {
      try LocalYAML.decode(text, path: "remotes.yaml")
    } throws: { error in
      "\(error)".contains("remotes.yaml, line \(line):")
    }
  }
}
