import Testing
import TinyFS

/// "café" precomposed (NFC): 63 61 66 C3 A9.
let nfc = "caf\u{E9}"
/// "café" decomposed (NFD): 63 61 66 65 CC 81; Swift's `==` calls it equal to `nfc`, a POSIX directory does not.
let nfd = "cafe\u{301}"

/// The names' bytes, for comparisons that `String.==` (canonical equivalence) would blur.
func byteNames(_ names: some Sequence<String>) -> [[UInt8]] { names.map { Array($0.utf8) } }

@Suite("Names compare by their bytes")
struct UnicodeNameTests {
  @Test func theTwoFormsAreCanonicallyEqualButDifferentBytes() {
    // The premise of this suite: if this changes, the tests below prove less.
    #expect(nfc == nfd)
    #expect(Array(nfc.utf8) != Array(nfd.utf8))
  }

  /// Both forms written in one transaction (the pending listing) or in two (the cached, committed listing).
  @Test(arguments: [true, false])
  func bothFormsAreSeparateFiles(inOneTransaction: Bool) throws {
    let (fs, persistence) = try makeFileSystem()
    let writeBoth = {
      try fs.writeFile("/" + nfc, contents: "nfc".bytes)
      try fs.writeFile("/" + nfd, contents: "nfd".bytes)
    }
    if inOneTransaction { try fs.transaction(writeBoth) } else { try writeBoth() }
    #expect(try fs.readFile("/" + nfc) == "nfc".bytes)
    #expect(try fs.readFile("/" + nfd) == "nfd".bytes)
    let listing = try fs.list("/")
    // Sorted by bytes: NFD's 'e' (65) precedes NFC's C3.
    #expect(byteNames(listing.map(\.name)) == byteNames([nfd, nfc]))
    #expect(Set(listing).count == 2)
    let nfcInfo = try fs.stat("/" + nfc)
    let nfdInfo = try fs.stat("/" + nfd)
    #expect(nfcInfo.id != nfdInfo.id)
    #expect(Array(nfcInfo.name.utf8) == Array(nfc.utf8))
    #expect(Array(nfdInfo.path.utf8) == Array(("/" + nfd).utf8))
    #expect(nfcInfo != nfdInfo)
    #expect(try fs.stat("/").size == 2)
    // The persistence holds the same two entries, and a fresh file system over it reads both back.
    let stored = try persistence.directoryEntries(.root, at: nil)
    #expect(byteNames(stored.map(\.name)) == byteNames(listing.map(\.name)))
    #expect(stored.map(\.id) == listing.map(\.id))
    let reopened = try FileSystem(persistence: persistence)
    #expect(try reopened.list("/") == listing)
    #expect(try reopened.readFile("/" + nfc) == "nfc".bytes)
    #expect(try reopened.readFile("/" + nfd) == "nfd".bytes)
  }

  @Test func lookingUpOneFormNeverFindsTheOther() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/" + nfc, contents: "nfc".bytes)
    #expect(try !fs.exists("/" + nfd))
    expectError(.notFound) { try fs.stat("/" + nfd) }
    expectError(.notFound) { try fs.lstat("/" + nfd) }
    expectError(.notFound) { try fs.readFile("/" + nfd) }
    expectError(.notFound) { try fs.list("/" + nfd) }
    expectError(.notFound) { try fs.remove("/" + nfd) }
    expectError(.notFound) { try fs.rename("/" + nfd, to: "/x") }
    expectError(.notFound) { try fs.createDirectory("/\(nfd)/sub") }
    // Creating the other form is not `exists`: it is a new name.
    try fs.createSeries("/" + nfd)
    try fs.appendFile("/" + nfd, contents: "1".bytes)
    #expect(try fs.readFile("/" + nfc) == "nfc".bytes)
    #expect(try fs.stat("/" + nfd).entryType == .series)
    #expect(try fs.stat("/" + nfc).entryType == .file)
  }

  @Test func directoriesOfBothFormsHoldTheirOwnEntries() throws {
    let (fs, persistence) = try makeFileSystem()
    try fs.createDirectory("/" + nfc)
    try fs.createDirectory("/\(nfd)/sub", withParents: true)
    try fs.writeFile("/\(nfc)/f", contents: "in nfc".bytes)
    try fs.writeFile("/\(nfd)/f", contents: "in nfd".bytes)
    #expect(try fs.list("/" + nfc).map(\.name) == ["f"])
    #expect(try fs.list("/" + nfd).map(\.name) == ["f", "sub"])
    #expect(Array(try fs.stat(nfd).path.utf8) == Array(("/" + nfd).utf8))
    #expect(try fs.readFile("\(nfd)/f") == "in nfd".bytes)
    #expect(try fs.readFile("\(nfd)/../\(nfc)/f") == "in nfc".bytes)
    // A snapshot reads the same tree.
    let snapshot = try FileSystem(persistence: persistence, at: persistence.head!)
    #expect(try snapshot.readFile("/\(nfd)/f") == "in nfd".bytes)
    #expect(try snapshot.readFile("/\(nfc)/f") == "in nfc".bytes)
    // Removing one form leaves the other.
    try fs.remove("/" + nfc, recursive: true)
    #expect(try byteNames(fs.list("/").map(\.name)) == byteNames([nfd]))
    #expect(try fs.readFile("/\(nfd)/f") == "in nfd".bytes)
    expectError(.notFound) { try fs.readFile("/\(nfc)/f") }
  }

  @Test func renameTreatsTheFormsAsDifferentNames() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/" + nfc, contents: "nfc".bytes)
    try fs.writeFile("/" + nfd, contents: "nfd".bytes)
    let nfcID = try fs.stat("/" + nfc).id
    // Renaming to the other form replaces that entry (POSIX: an existing destination file is replaced).
    try fs.rename("/" + nfc, to: "/" + nfd)
    #expect(try byteNames(fs.list("/").map(\.name)) == byteNames([nfd]))
    #expect(try fs.stat("/" + nfd).id == nfcID)
    #expect(try fs.readFile("/" + nfd) == "nfc".bytes)
    // Renaming to the missing form creates it; the old form is gone.
    try fs.rename("/" + nfd, to: "/" + nfc)
    #expect(try byteNames(fs.list("/").map(\.name)) == byteNames([nfc]))
    #expect(try !fs.exists("/" + nfd))
    // Moving one form into a directory keeps the other in place.
    try fs.writeFile("/" + nfd, contents: "nfd".bytes)
    try fs.createDirectory("/d")
    try fs.rename("/" + nfd, to: "/d/" + nfd)
    #expect(try byteNames(fs.list("/").map(\.name)) == byteNames([nfc, "d"]))
    #expect(try fs.readFile("/d/" + nfd) == "nfd".bytes)
    #expect(try fs.readFile("/" + nfc) == "nfc".bytes)
  }

  @Test func globMatchesEachFormByItsOwnScalars() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/" + nfc, contents: [])
    try fs.writeFile("/" + nfd, contents: [])
    func paths(_ pattern: String) throws -> [[UInt8]] {
      byteNames(try fs.glob(pattern).map(\.path))
    }
    #expect(try paths("/caf*") == byteNames(["/" + nfd, "/" + nfc]))
    #expect(try paths("/**") == byteNames(["/", "/" + nfd, "/" + nfc]))
    #expect(try paths("/" + nfc) == byteNames(["/" + nfc]))
    #expect(try paths("/" + nfd) == byteNames(["/" + nfd]))
    // A wildcard stands for one Unicode scalar: NFD's "é" is two.
    #expect(try paths("/caf?") == byteNames(["/" + nfc]))
    #expect(try paths("/caf??") == byteNames(["/" + nfd]))
    #expect(try paths("/caf[\u{E9}]") == byteNames(["/" + nfc]))
    #expect(try paths("/caf[!\u{E9}]?") == byteNames(["/" + nfd]))
    #expect(try paths("/\(nfc)*") == byteNames(["/" + nfc]))
    let captured = try fs.glob("/cafe*")
    #expect(captured.count == 1)
    #expect(byteNames(captured.first?.captures ?? []) == byteNames(["\u{301}"]))
    let both = try fs.glob("/caf*")
    #expect(both[0] != both[1])
  }

  @Test func aSymbolicLinkTargetIsResolvedByItsBytes() throws {
    let (fs, persistence) = try makeFileSystem()
    try fs.writeFile("/" + nfc, contents: "nfc".bytes)
    try fs.writeFile("/" + nfd, contents: "nfd".bytes)
    try fs.createSymlink("/to-nfd", target: nfd)
    try fs.createSymlink("/to-nfc", target: "/" + nfc)
    #expect(try fs.readFile("/to-nfd") == "nfd".bytes)
    #expect(try fs.readFile("/to-nfc") == "nfc".bytes)
    #expect(try Array(fs.readSymlink("/to-nfd").utf8) == Array(nfd.utf8))
    #expect(try fs.stat("/to-nfd") != fs.stat("/" + nfc))
    let reopened = try FileSystem(persistence: persistence)
    #expect(try reopened.readFile("/to-nfd") == "nfd".bytes)
  }

  @Test func aDynamicDirectoryListsBothForms() throws {
    let (fs, _) = try makeFileSystem(factories: ["reversed": ReversedFactory()])
    try fs.createDirectory("/src")
    try fs.writeFile("/src/" + nfc, contents: "nfc".bytes)
    try fs.writeFile("/src/" + nfd, contents: "nfd".bytes)
    try fs.createDynamicDirectory("/view", factory: "reversed", configuration: "/src".bytes)
    #expect(try byteNames(fs.list("/view").map(\.name)) == byteNames([nfd, nfc]))
    #expect(try fs.readFile("/view/" + nfc) == "cfn".bytes)
    #expect(try fs.readFile("/view/" + nfd) == "dfn".bytes)
    #expect(
      try byteNames(fs.glob("/view/*").map(\.path)) == byteNames(["/view/" + nfd, "/view/" + nfc]))
  }

  /// A `/` followed by a combining mark is one Swift `Character` that is not `"/"`; paths split on bytes.
  @Test func aNameMayStartWithACombiningMark() throws {
    let (fs, _) = try makeFileSystem()
    let mark = "\u{301}x"
    try fs.createDirectory("/d")
    // Absolute, though its first Character is "/\u{301}", not "/".
    try fs.writeFile("/" + mark, contents: "root".bytes)
    try fs.writeFile("/d/" + mark, contents: "in d".bytes)
    #expect(try byteNames(fs.list("/").map(\.name)) == byteNames(["d", mark]))
    #expect(try byteNames(fs.list("/d").map(\.name)) == byteNames([mark]))
    #expect(try fs.readFile("d/" + mark) == "in d".bytes)
    #expect(try fs.readFile("/" + mark) == "root".bytes)
    try fs.createDirectory("/\(mark)dir/\(mark)sub", withParents: true)
    #expect(try fs.stat("/\(mark)dir/\(mark)sub").entryType == .directory)
    try fs.createSymlink("/link", target: "/d/" + mark)
    #expect(try fs.readFile("/link") == "in d".bytes)
  }

  @Test func entriesAreEqualOnlyWithTheSameBytes() {
    let id = NodeID.root
    let a = DirectoryEntry(name: nfc, id: id, entryType: .file)
    let b = DirectoryEntry(name: nfd, id: id, entryType: .file)
    #expect(a != b)
    #expect(Set([a, b]).count == 2)
    #expect(a == DirectoryEntry(name: "caf\u{E9}", id: id, entryType: .file))
    #expect(NodeWrite.Payload.directory([a]) != .directory([b]))
    #expect(NodeWrite.Payload.symlink(nfc) != .symlink(nfd))
    #expect(NodeWrite.Payload.symlink(nfc) == .symlink("caf\u{E9}"))
  }

  @Test func aListingWithTheSameNameTwiceIsCorrupt() throws {
    let persistence = InMemoryPersistence()
    let fileID = NodeID(high: 0x0000_0000_0001_7000, low: 0x8000_0000_0000_0001)
    _ = try persistence.beginTransaction(timestamp: 0)
    let entry = DirectoryEntry(name: "twice", id: fileID, entryType: .file)
    try persistence.store(
      NodeWrite(
        id: .root, parentID: .root, version: 1, entryType: .directory,
        payload: .directory([entry, entry])))
    try persistence.store(
      NodeWrite(id: fileID, parentID: .root, version: 1, entryType: .file, payload: .content([])))
    _ = try persistence.commit()
    let fs = try FileSystem(persistence: persistence)
    #expect {
      try fs.list("/")
    } throws: { error in
      "\(error)".contains("lists the name 'twice' twice")
    }
  }
}
