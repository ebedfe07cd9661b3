import Foundation
import PondTestSupport
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
