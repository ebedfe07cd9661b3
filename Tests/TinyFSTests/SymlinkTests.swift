import Testing
import TinyFS

@Suite("Symbolic links")
struct SymlinkTests {
  @Test func relativeAndAbsoluteTargets() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/data/raw", withParents: true)
    try fs.writeFile("/data/raw/t.csv", contents: "1,2".bytes)
    try fs.createSymlink("/data/rel", target: "raw/t.csv")
    try fs.createSymlink("/abs", target: "/data/raw/t.csv")
    try fs.createSymlink("/data/raw/up", target: "../rel")
    #expect(try fs.readFile("/data/rel") == "1,2".bytes)
    #expect(try fs.readFile("/abs") == "1,2".bytes)
    #expect(try fs.readFile("/data/raw/up") == "1,2".bytes)  // a link to a link
    #expect(try fs.readSymlink("/data/rel") == "raw/t.csv")
    #expect(try fs.stat("/data/raw/up").path == "/data/raw/t.csv")
  }

  @Test func statFollowsLstatDoesNot() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: "abc".bytes)
    try fs.createSymlink("/l", target: "f")
    let followed = try fs.stat("/l")
    let link = try fs.lstat("/l")
    #expect(followed.entryType == .file)
    #expect(followed.size == 3)
    #expect(link.entryType == .symlink)
    #expect(link.symlinkTarget == "f")
    #expect(link.size == 1)
    #expect(link.id != followed.id)
  }

  @Test func intermediateLinksAreFollowed() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/real/sub", withParents: true)
    try fs.writeFile("/real/sub/x", contents: [7])
    try fs.createSymlink("/alias", target: "real")
    try fs.createSymlink("/real/sublink", target: "/real/sub")
    #expect(try fs.readFile("/alias/sub/x") == [7])
    #expect(try fs.readFile("/alias/sublink/x") == [7])
    // `..` after a link goes to the target's parent, as in POSIX.
    #expect(try fs.stat("/alias/sublink/..").path == "/real")
    try fs.writeFile("/alias/sub/y", contents: [8])
    #expect(try fs.readFile("/real/sub/y") == [8])
    #expect(try fs.list("/alias").map(\.name) == ["sub", "sublink"])
  }

  @Test func danglingLinks() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createSymlink("/dangling", target: "/nowhere")
    #expect(try fs.exists("/dangling"))
    #expect(try fs.lstat("/dangling").entryType == .symlink)
    let error = expectError(.notFound) { try fs.stat("/dangling") }
    #expect(error?.failingPath == "/nowhere")
    expectError(.notFound) { try fs.readFile("/dangling") }
    try fs.writeFile("/dangling", contents: [1])  // writing through a dangling link creates its target
    #expect(try fs.readFile("/nowhere") == [1])
    try fs.createSymlink("/deep", target: "/no/such/dir")
    expectError(.notFound) { try fs.writeFile("/deep", contents: []) }
  }

  @Test func loopsAreDetectedNotFollowedForever() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createSymlink("/a", target: "b")
    try fs.createSymlink("/b", target: "a")
    try fs.createSymlink("/self", target: "/self/x")
    let error = expectError(.symlinkLoop) { try fs.readFile("/a") }
    #expect(error?.description.contains("too many levels of symbolic links") == true)
    expectError(.symlinkLoop) { try fs.stat("/b/x") }
    expectError(.symlinkLoop) { try fs.writeFile("/a", contents: []) }
    expectError(.symlinkLoop) { try fs.stat("/self") }
    #expect(try fs.lstat("/a").entryType == .symlink)
    try fs.remove("/a")  // the link itself can still be removed
    #expect(try !fs.exists("/a"))
  }

  @Test func longChainWithinTheLimitResolves() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/end", contents: [1])
    try fs.createSymlink("/l0", target: "end")
    for index in 1..<FileSystem.maximumSymlinkHops {
      try fs.createSymlink("/l\(index)", target: "l\(index - 1)")
    }
    #expect(try fs.readFile("/l\(FileSystem.maximumSymlinkHops - 1)") == [1])
    try fs.createSymlink("/over", target: "l\(FileSystem.maximumSymlinkHops - 1)")
    expectError(.symlinkLoop) { try fs.readFile("/over") }
  }

  @Test func symlinkErrors() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: [])
    expectError(.exists) { try fs.createSymlink("/f", target: "x") }
    expectError(.invalidName) { try fs.createSymlink("/l", target: "") }
    expectError(.invalidName) { try fs.createSymlink("/l", target: "a\u{0}") }
    expectError(.notFound) { try fs.createSymlink("/no/l", target: "x") }
    let notLink = expectError(.invalidArgument) { try fs.readSymlink("/f") }
    #expect(notLink?.hint == "not a symbolic link")
    expectError(.notFound) { try fs.readSymlink("/missing") }
  }

  @Test func renameMovesTheLinkNotItsTarget() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    try fs.createSymlink("/l", target: "/d")
    try fs.rename("/l", to: "/m")
    #expect(try fs.lstat("/m").entryType == .symlink)
    #expect(try fs.stat("/d").entryType == .directory)
  }
}
