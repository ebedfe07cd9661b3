import Testing
import TinyFS

@Suite("Paths")
struct PathTests {
  @Test func absoluteAndRelativePathsReachTheSameNode() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a/b", withParents: true)
    try fs.writeFile("/a/b/f", contents: "x".bytes)
    #expect(fs.workingDirectory == "/")
    try fs.changeDirectory("/a")
    #expect(fs.workingDirectory == "/a")
    #expect(try fs.readFile("b/f") == "x".bytes)
    #expect(try fs.readFile("./b/./f") == "x".bytes)
    #expect(try fs.stat("b/f").id == fs.stat("/a/b/f").id)
    try fs.changeDirectory("b")
    #expect(fs.workingDirectory == "/a/b")
    #expect(try fs.readFile("../b/f") == "x".bytes)
    try fs.writeFile("g", contents: "y".bytes)
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
    try fs.changeDirectory("../..")
    #expect(fs.workingDirectory == "/")
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

  @Test func changeDirectoryErrors() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: [])
    expectError(.notFound) { try fs.changeDirectory("/missing") }
    expectError(.notADirectory) { try fs.changeDirectory("/f") }
    #expect(fs.workingDirectory == "/")
  }

  @Test func removedWorkingDirectorySaysSo() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/w")
    try fs.changeDirectory("/w")
    try fs.remove("/w")
    let error = expectError(.notFound) { try fs.list(".") }
    #expect(error?.hint?.contains("working directory") == true)
    #expect(try fs.list("/").isEmpty)
  }

  @Test func workingDirectoryThroughSymlinkIsPhysical() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/real/sub", withParents: true)
    try fs.createSymlink("/link", target: "/real/sub")
    try fs.changeDirectory("/link")
    #expect(fs.workingDirectory == "/real/sub")
    try fs.changeDirectory("..")
    #expect(fs.workingDirectory == "/real")
  }
}
