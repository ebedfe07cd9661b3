import Testing
import TinyFS

/// `rename` with a trailing `/` on either path, as in Linux `rename(2)`: the slash says "a directory".
@Suite("Rename and trailing slashes")
struct RenameTests {
  /// /f (file), /s (series), /d (directory with /d/x), /empty, /full (with /full/y), /dlink -> /d, /flink -> /f
  func sample() throws -> FileSystem {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: "f".bytes)
    try fs.createSeries("/s")
    try fs.createDirectory("/d")
    try fs.writeFile("/d/x", contents: "x".bytes)
    try fs.createDirectory("/empty")
    try fs.createDirectory("/full")
    try fs.writeFile("/full/y", contents: [])
    try fs.createSymlink("/dlink", target: "/d")
    try fs.createSymlink("/flink", target: "/f")
    return fs
  }

  func names(_ fs: FileSystem, _ path: String = "/") throws -> [String] {
    try fs.list(path).map(\.name)
  }

  let everything = ["d", "dlink", "empty", "f", "flink", "full", "s"]

  @Test func aFileToAMissingNameWithSlashIsNotADirectory() throws {
    let fs = try sample()
    let error = expectError(.notADirectory) { try fs.rename("/f", to: "/missing/") }
    #expect(
      error?.description
        == "rename /f -> /missing/: not a directory (/missing); '/missing/' ends in '/', so it names "
        + "a directory, but '/f' is a file; drop the '/' to rename it to '/missing', or create that "
        + "directory first")
    #expect(try names(fs) == everything)  // nothing moved
    #expect(try fs.readFile("/f") == "f".bytes)
  }

  @Test func aFileToAnExistingDirectoryWithSlashIsNotADirectory() throws {
    let fs = try sample()
    let error = expectError(.notADirectory) { try fs.rename("/f", to: "/empty/") }
    #expect(
      error?.hint?.hasSuffix("name a path inside it, such as '/empty/f', to move it there") == true)
    #expect(try fs.list("/empty").isEmpty)
    try fs.rename("/f", to: "/empty/f")  // what the hint says works
    #expect(try fs.readFile("/empty/f") == "f".bytes)
  }

  @Test(arguments: ["/f", "/s", "/flink", "/dlink"])
  func aNonDirectoryWithSlashOnEitherSideIsNotADirectory(_ source: String) throws {
    let fs = try sample()
    for destination in ["/new/", "/empty/", "/f/", "/dlink/", "/new//"]
    where destination != source + "/" {
      expectError(.notADirectory) { try fs.rename(source, to: destination) }
    }
    // A trailing slash on the source asks for a directory too; a link to one is still a link (not followed).
    let error = expectError(.notADirectory) { try fs.rename(source + "/", to: "/new") }
    #expect(error?.hint?.contains("ends in '/' but is a") == true)
    #expect(try names(fs) == everything)
    #expect(try fs.readFile("/d/x") == "x".bytes)
  }

  @Test func aDirectoryMayMoveToAMissingNameWithSlash() throws {
    let fs = try sample()
    let id = try fs.stat("/d").id
    try fs.rename("/d", to: "/moved/")
    #expect(try fs.stat("/moved").id == id)
    #expect(try fs.readFile("/moved/x") == "x".bytes)
    #expect(try !fs.exists("/d"))
    try fs.rename("/moved//", to: "/empty/sub//")  // slashes on both sides, repeated
    #expect(try fs.readFile("/empty/sub/x") == "x".bytes)
    try fs.rename("empty/sub/", to: "empty/../back/")  // relative paths
    #expect(try fs.readFile("/back/x") == "x".bytes)
  }

  @Test func aDirectoryWithSlashReplacesAnEmptyDirectoryAsWithout() throws {
    let fs = try sample()
    let id = try fs.stat("/d").id
    try fs.rename("/d/", to: "/empty/")
    #expect(try fs.stat("/empty").id == id)
    #expect(try fs.readFile("/empty/x") == "x".bytes)
    expectError(.directoryNotEmpty) { try fs.rename("/empty/", to: "/full/") }
    #expect(try fs.list("/full").map(\.name) == ["y"])
  }

  @Test func aDirectoryOntoANonDirectoryWithSlashIsNotADirectory() throws {
    let fs = try sample()
    let onFile = expectError(.notADirectory) { try fs.rename("/d", to: "/f/") }
    #expect(onFile?.hint == "'/f/' ends in '/' but is a file, not a directory")
    // The link is not followed: it is a link, not the directory it points to.
    let onLink = expectError(.notADirectory) { try fs.rename("/empty", to: "/dlink/") }
    #expect(onLink?.hint == "'/dlink/' ends in '/' but is a symlink, not a directory")
    #expect(try names(fs) == everything)
    #expect(try fs.readFile("/d/x") == "x".bytes)
  }

  @Test func aMissingSourceWithSlashIsNotFound() throws {
    let fs = try sample()
    expectError(.notFound) { try fs.rename("/missing/", to: "/x") }
    expectError(.notFound) { try fs.rename("/d", to: "/missing/deeper/") }
    #expect(try names(fs) == everything)
  }
}
