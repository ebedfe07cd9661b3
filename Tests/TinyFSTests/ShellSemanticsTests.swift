import Testing
import TinyFS

/// The decisions `pond rm`, `mv` and `list` leave to the file system: `rm`'s refusals, `mv` into a directory,
/// and what `ls` shows for a pattern, a directory or anything else.
@Suite("rm, mv and ls semantics")
struct ShellSemanticsTests {
  /// /d (with /d/x and /d/sub/y), /empty, /f, /dlink -> /d, /dangling -> /nowhere
  func sample() throws -> FileSystem {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d/sub", withParents: true)
    try fs.writeFile("/d/x", contents: "x".bytes)
    try fs.writeFile("/d/sub/y", contents: "y".bytes)
    try fs.createDirectory("/empty")
    try fs.writeFile("/f", contents: "f".bytes)
    try fs.createSymlink("/dlink", target: "/d")
    try fs.createSymlink("/dangling", target: "/nowhere")
    return fs
  }

  @Test(arguments: ["/", "//", "/d/..", "/d/sub/../..", "/dlink/.."])
  func theRootIsNeverRemovedHoweverSpelled(_ path: String) throws {
    let fs = try sample()
    for recursive in [false, true] {
      let error = try #require(
        throws: FileSystemError.self, "remove(\(path), recursive: \(recursive))"
      ) { try fs.remove(path, recursive: recursive) }
      #expect(error.code == (path.hasSuffix("..") ? .invalidName : .notPermitted))
      #expect(error.hint?.contains("the root directory can never be removed") == true, "\(error)")
    }
    #expect(try fs.list("/").map(\.name) == ["d", "dangling", "dlink", "empty", "f"])
  }

  @Test func aDotNameBelowTheRootSaysNothingAboutTheRoot() throws {
    let fs = try sample()
    let error = expectError(.invalidName) { try fs.remove("/d/sub/..", recursive: true) }
    #expect(error?.hint == "'..' cannot name an entry to create, remove or rename")
    #expect(try fs.exists("/d/sub/y"))
  }

  @Test func aNonEmptyDirectoryNeedsRecursiveRemoval() throws {
    let fs = try sample()
    let error = expectError(.directoryNotEmpty) { try fs.remove("/d") }
    #expect(
      error?.description
        == "rm /d: directory not empty; remove its entries first, or remove recursively (rm -r)")
    try fs.remove("/empty")
    try fs.remove("/d", recursive: true)
    #expect(try fs.list("/").map(\.name) == ["dangling", "dlink", "f"])
  }

  @Test(arguments: ["/empty", "/empty/"])
  func moveIntoAnExistingDirectoryKeepsTheName(_ destination: String) throws {
    let fs = try sample()
    try fs.move("/f", to: destination)
    #expect(try fs.readFile("/empty/f") == "f".bytes)
    #expect(try !fs.exists("/f"))
  }

  @Test func moveIntoADirectoryThroughASymbolicLink() throws {
    let fs = try sample()
    try fs.move("/empty", to: "/dlink")
    #expect(try fs.list("/d").map(\.name) == ["empty", "sub", "x"])
    #expect(try fs.lstat("/dlink").entryType == .symlink)
  }

  @Test func moveKeepsTheSourceNameByItsBytes() throws {
    let fs = try sample()
    let decomposed = "e\u{301}"  // canonically equal to "é" (U+00E9), but other bytes
    try fs.writeFile("/" + decomposed, contents: [1])
    try fs.move("/" + decomposed, to: "/empty")
    let moved = try #require(try fs.list("/empty").first)
    #expect(Array(moved.name.utf8) == Array(decomposed.utf8))
  }

  @Test func moveToANewNameOrOverAFileRenames() throws {
    let fs = try sample()
    try fs.move("/f", to: "/g")
    #expect(try fs.readFile("/g") == "f".bytes)
    try fs.move("/d/x", to: "/g")  // replaces the file, as rename does
    #expect(try fs.readFile("/g") == "x".bytes)
    try fs.move("/g", to: "/dangling")  // a dangling link is a name to replace, not a directory
    #expect(try fs.lstat("/dangling").entryType == .file)
  }

  @Test func moveIntoItselfOrAMissingSourceFailsAsRenameDoes() throws {
    let fs = try sample()
    let intoItself = expectError(.invalidArgument) { try fs.move("/d", to: "/d") }
    #expect(intoItself?.path == "/d -> /d/d")
    expectError(.notFound) { try fs.move("/nothing", to: "/empty") }
    #expect(try fs.list("/empty").isEmpty)
  }

  @Test func listingAPatternGivesItsMatches() throws {
    let fs = try sample()
    #expect(try fs.paths(listing: "/d/**") == ["/d", "/d/sub", "/d/sub/y", "/d/x"])
    #expect(try fs.paths(listing: "/?") == ["/d", "/f"])
  }

  @Test func aPatternThatMatchesNothingIsAnError() throws {
    let fs = try sample()
    let error = expectError(.noMatch) { try fs.paths(listing: "/**/*.nothing") }
    #expect(error?.description == "glob /**/*.nothing: no pond path matches the pattern")
    expectError(.noMatch) { try fs.paths(matching: "/d/[!xs]*") }
    #expect(try fs.paths(matching: "/d/[!s]*") == ["/d/x"])
  }

  @Test func listingADirectoryGivesItsEntriesUnderItsResolvedPath() throws {
    let fs = try sample()
    #expect(try fs.paths(listing: "/") == ["/d", "/dangling", "/dlink", "/empty", "/f"])
    #expect(try fs.paths(listing: "/dlink") == ["/d/sub", "/d/x"])
    #expect(try fs.paths(listing: "/d/sub/") == ["/d/sub/y"])
    #expect(try fs.paths(listing: "/empty").isEmpty)
    #expect(try fs.paths(listing: "d/sub") == ["/d/sub/y"])
  }

  @Test func listingAnythingElseGivesTheOperandAsWritten() throws {
    let fs = try sample()
    #expect(try fs.paths(listing: "/d/../f") == ["/d/../f"])
    #expect(try fs.paths(listing: "d/x") == ["d/x"])
    expectError(.notFound) { try fs.paths(listing: "/dangling") }
    expectError(.notFound) { try fs.paths(listing: "/missing") }
  }
}
