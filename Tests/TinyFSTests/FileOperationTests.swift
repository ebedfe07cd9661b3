import Testing
import TinyFS

@Suite("Files and directories")
struct FileOperationTests {
  @Test func writeReadReplaceAppend() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: "hello".bytes)
    #expect(try fs.readFile("/f") == "hello".bytes)
    try fs.writeFile("/f", contents: "bye".bytes)
    #expect(try fs.readFile("/f") == "bye".bytes)
    try fs.appendFile("/f", contents: "!!".bytes)
    #expect(try fs.readFile("/f") == "bye!!".bytes)
    try fs.appendFile("/new", contents: "n".bytes)
    #expect(try fs.readFile("/new") == "n".bytes)
    #expect(try fs.stat("/f").size == 5)
    #expect(try fs.stat("/f").entryType == .file)
  }

  @Test func readErrors() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    expectError(.notFound) { try fs.readFile("/missing") }
    let error = expectError(.isADirectory) { try fs.readFile("/d") }
    #expect(error?.description == "read /d: is a directory")
    expectError(.isADirectory) { try fs.readFile("/") }
  }

  @Test func writeAndAppendToDirectoryFail() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    expectError(.isADirectory) { try fs.writeFile("/d", contents: []) }
    expectError(.isADirectory) { try fs.appendFile("/d", contents: []) }
    expectError(.notFound) { try fs.writeFile("/nodir/f", contents: []) }
    expectError(.notFound) { try fs.appendFile("/nodir/f", contents: []) }
  }

  @Test func mkdirWithoutParents() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a")
    #expect(try fs.stat("/a").entryType == .directory)
    let exists = expectError(.exists) { try fs.createDirectory("/a") }
    #expect(exists?.description == "mkdir /a: file exists")
    try fs.writeFile("/f", contents: [])
    expectError(.exists) { try fs.createDirectory("/f") }
    expectError(.notFound) { try fs.createDirectory("/x/y") }
    expectError(.notADirectory) { try fs.createDirectory("/f/y") }
  }

  @Test func mkdirWithParents() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a/b/c", withParents: true)
    #expect(try fs.stat("/a/b/c").entryType == .directory)
    try fs.createDirectory("/a/b/c", withParents: true)  // existing is fine, like mkdir -p
    try fs.createDirectory("/a/./b/../b/d/", withParents: true)
    #expect(try fs.list("/a/b").map(\.name) == ["c", "d"])
    try fs.createDirectory("a/x/y", withParents: true)
    #expect(try fs.stat("/a/x/y").entryType == .directory)
    try fs.writeFile("/a/file", contents: [])
    let error = expectError(.notADirectory) {
      try fs.createDirectory("/a/file/z", withParents: true)
    }
    #expect(error?.failingPath == "/a/file")
    expectError(.invalidName) {
      try fs.createDirectory("/a/\(String(repeating: "x", count: 300))/q", withParents: true)
    }
  }

  @Test func listIsSortedAndTyped() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    try fs.writeFile("/d/b", contents: [])
    try fs.writeFile("/d/a", contents: [])
    try fs.createDirectory("/d/C")
    try fs.createSymlink("/d/l", target: "a")
    try fs.createSeries("/d/s")
    let listing = try fs.list("/d")
    #expect(listing.map(\.name) == ["C", "a", "b", "l", "s"])
    #expect(listing.map(\.entryType) == [.directory, .file, .file, .symlink, .series])
    #expect(listing.allSatisfy { $0.id != nil })
    expectError(.notADirectory) { try fs.list("/d/a") }
    expectError(.notFound) { try fs.list("/nope") }
  }

  @Test func removeFilesLinksAndEmptyDirectories() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/d")
    try fs.writeFile("/d/f", contents: [])
    try fs.createSymlink("/link", target: "/d")
    try fs.remove("/link")  // removes the link, not its target
    #expect(try !fs.exists("/link"))
    #expect(try fs.exists("/d/f"))
    let notEmpty = expectError(.directoryNotEmpty) { try fs.remove("/d") }
    #expect(notEmpty?.description.contains("remove recursively") == true)
    try fs.remove("/d/f")
    try fs.remove("/d")
    #expect(try fs.list("/").isEmpty)
    expectError(.notFound) { try fs.remove("/d") }
    expectError(.notFound) { try fs.remove("/x/y") }
    let root = expectError(.notPermitted) { try fs.remove("/") }
    #expect(root?.hint?.contains("root") == true)
  }

  @Test func recursiveRemove() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/t/a/b", withParents: true)
    try fs.writeFile("/t/a/b/f", contents: [1])
    try fs.writeFile("/t/g", contents: [2])
    try fs.remove("/t", recursive: true)
    #expect(try !fs.exists("/t"))
    #expect(try !fs.exists("/t/a/b/f"))
    try fs.writeFile("/file", contents: [])
    try fs.remove("/file", recursive: true)
    #expect(try fs.list("/").isEmpty)
  }

  @Test func renameWithinAndAcrossDirectories() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a")
    try fs.createDirectory("/b")
    try fs.writeFile("/a/f", contents: "1".bytes)
    let id = try fs.stat("/a/f").id
    try fs.rename("/a/f", to: "/a/g")
    #expect(try fs.list("/a").map(\.name) == ["g"])
    try fs.rename("/a/g", to: "/b/h")
    #expect(try fs.list("/a").isEmpty)
    #expect(try fs.readFile("/b/h") == "1".bytes)
    #expect(try fs.stat("/b/h").id == id)
    try fs.rename("/b", to: "/a/b2")  // a directory with its content
    #expect(try fs.readFile("/a/b2/h") == "1".bytes)
    try fs.rename("/a/b2/h", to: "/a/b2/h")  // same entry: nothing happens
    #expect(try fs.readFile("/a/b2/h") == "1".bytes)
  }

  @Test func renameOverExistingFollowsPosixRules() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f1", contents: "1".bytes)
    try fs.writeFile("/f2", contents: "2".bytes)
    try fs.createDirectory("/empty")
    try fs.createDirectory("/full")
    try fs.writeFile("/full/x", contents: [])
    try fs.createDirectory("/d")

    try fs.rename("/f1", to: "/f2")  // a file replaces a file
    #expect(try fs.readFile("/f2") == "1".bytes)
    #expect(try !fs.exists("/f1"))

    expectError(.isADirectory) { try fs.rename("/f2", to: "/empty") }
    expectError(.notADirectory) { try fs.rename("/d", to: "/f2") }
    let notEmpty = expectError(.directoryNotEmpty) { try fs.rename("/d", to: "/full") }
    #expect(notEmpty?.description == "rename /d -> /full: directory not empty (/full)")
    try fs.rename("/d", to: "/empty")  // a directory replaces an empty directory
    #expect(try !fs.exists("/d"))
    #expect(try fs.stat("/empty").entryType == .directory)
  }

  @Test func renameErrors() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/a/b", withParents: true)
    let intoItself = expectError(.invalidArgument) { try fs.rename("/a", to: "/a/b/c") }
    #expect(intoItself?.hint == "a directory cannot be moved into itself")
    expectError(.invalidArgument) { try fs.rename("/a", to: "/a/c") }
    let missing = expectError(.notFound) { try fs.rename("/nope", to: "/x") }
    #expect(missing?.description == "rename /nope -> /x: no such file or directory (/nope)")
    expectError(.notFound) { try fs.rename("/a", to: "/x/y") }
    expectError(.notPermitted) { try fs.rename("/", to: "/x") }
    expectError(.notPermitted) { try fs.rename("/a", to: "/") }
    #expect(try fs.stat("/a/b").entryType == .directory)
    #expect(try fs.list("/").map(\.name) == ["a"])
  }

  @Test func failedOperationInsideTransactionLeavesNothing() throws {
    let (fs, persistence) = try makeFileSystem()
    let head = persistence.head
    #expect(throws: FileSystemError.self) {
      try fs.transaction {
        try fs.writeFile("/kept-only-on-success", contents: [1])
        _ = try fs.readFile("/missing")
      }
    }
    #expect(try !fs.exists("/kept-only-on-success"))
    #expect(persistence.head == head)
  }

  @Test func errorDescriptionsSayWhatAndWhere() {
    let error = FileSystemError(
      .notFound, operation: "mkdir", path: "/a/b", failingPath: "/a", hint: "create /a first")
    #expect(error.description == "mkdir /a/b: no such file or directory (/a); create /a first")
    let same = FileSystemError(.exists, operation: "mkdir", path: "/a", failingPath: "/a")
    #expect(same.failingPath == nil)
    #expect(same.description == "mkdir /a: file exists")
    #expect(FileSystemError.Code.symlinkLoop.description == "too many levels of symbolic links")
    #expect(FileSystemError.Code.readOnly.description == "read-only file system")
  }
}
