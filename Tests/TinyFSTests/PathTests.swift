import Testing
import TinyFS

@Suite("Paths")
struct PathTests {
  @Test func absoluteAndRelativePathsReachTheSameNode() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a/b", withParents: true)
    try fs.writeFile("/a/b/f", contents: "x".bytes)
    // There is no working directory: a relative path starts at the root.
    #expect(try fs.readFile("a/b/f") == "x".bytes)
    #expect(try fs.readFile("./a/./b/./f") == "x".bytes)
    #expect(try fs.stat("a/b/f").id == fs.stat("/a/b/f").id)
    #expect(try fs.stat("a/b/f").path == "/a/b/f")
    #expect(try fs.readFile("a/b/../b/f") == "x".bytes)
    try fs.writeFile("a/b/g", contents: "y".bytes)
    #expect(try fs.readFile("/a/b/g") == "y".bytes)
  }

  @Test(arguments: [
    "/a//b///f", "/a/b/f", "//a/b/f", "/a/./b/f", "/a/b/../b/f", "/../../a/b/f", "/a/../../a/b/f",
  ])
  func normalization(_ path: String) throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a/b", withParents: true)
    try fs.writeFile("/a/b/f", contents: "x".bytes)
    #expect(try fs.readFile(path) == "x".bytes)
    #expect(try fs.stat(path).path == "/a/b/f")
  }

  @Test func dotDotAboveRootStaysAtRoot() throws {
    let (fs, _) = try makeFileSystem()
    #expect(try fs.stat("/..").id == NodeID.root)
    #expect(try fs.stat("/../../..").path == "/")
    #expect(try fs.stat("../..").path == "/")
  }

  @Test func trailingSlashNamesADirectory() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d/")
    #expect(try fs.stat("/d/").entryType == .directory)
    #expect(try fs.stat("/d//").path == "/d")
    try fs.writeFile("/f", contents: [])
    expectError(.notADirectory) { try fs.stat("/f/") }
    expectError(.notADirectory) { try fs.writeFile("/new/", contents: []) }
  }

  @Test func emptyPathIsInvalid() throws {
    let (fs, _) = try makeFileSystem()
    let error = expectError(.invalidName) { try fs.stat("") }
    #expect(error?.description == "stat : invalid name; the path is empty")
  }

  @Test func nulInPathIsInvalid() throws {
    let (fs, _) = try makeFileSystem()
    expectError(.invalidName) { try fs.writeFile("/a\u{0}b", contents: []) }
    expectError(.invalidName) { try fs.readFile("/a\u{0}b") }
    #expect(try fs.list("/").isEmpty)
  }

  @Test(arguments: ["/.", "/..", "/d/.", "/d/.."])
  func dotNamesCannotBeCreated(_ path: String) throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    let error = expectError(.invalidName) { try fs.createDirectory(path) }
    #expect(error?.hint?.contains("cannot name an entry") == true)
    expectError(.invalidName) { try fs.writeFile(path, contents: []) }
    expectError(.invalidName) { try fs.appendFile(path, contents: []) }
    expectError(.invalidName) { try fs.createSeries(path) }
    expectError(.invalidName) { try fs.createSymlink(path, target: "x") }
    expectError(.exists) { try fs.createDirectory("/") }
  }

  @Test(arguments: ["/.", "/..", "/d/.", "/d/.."])
  func dotNamesCannotBeRemovedOrRenamed(_ path: String) throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    expectError(.invalidName) { try fs.remove(path) }
    expectError(.invalidName) { try fs.rename(path, to: "/e") }
    expectError(.invalidName) { try fs.rename("/d", to: path) }
    #expect(try fs.exists("/d"))
  }

  @Test func overlongNameIsInvalid() throws {
    let (fs, _) = try makeFileSystem()
    let long = String(repeating: "n", count: 256)
    let error = expectError(.invalidName) { try fs.writeFile("/" + long, contents: []) }
    #expect(error?.hint?.contains("255") == true)
    try fs.writeFile("/" + String(repeating: "n", count: 255), contents: [])
  }

  @Test func missingIntermediateComponentNamesIt() throws {
    let (fs, _) = try makeFileSystem()
    let error = expectError(.notFound) { try fs.createDirectory("/a/b") }
    #expect(error?.failingPath == "/a")
    #expect(error?.description == "mkdir /a/b: no such file or directory (/a)")
  }

  @Test func fileAsIntermediateComponentIsNotADirectory() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: [])
    let error = expectError(.notADirectory) { try fs.readFile("/f/x") }
    #expect(error?.description == "read /f/x: not a directory (/f)")
    expectError(.notADirectory) { try fs.stat("/f/..") }
  }

  @Test func dotDotAfterASymlinkIsPhysical() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/real/sub", withParents: true)
    try fs.createSymlink("/link", target: "/real/sub")
    #expect(try fs.stat("/link/.").path == "/real/sub")
    #expect(try fs.stat("/link/..").path == "/real")
  }
}
