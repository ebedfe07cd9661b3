import Foundation
import PondTestSupport
import Testing

@testable import PondFiles

@Suite("DirectoryStore")
struct DirectoryStoreTests {
  let scratch: ScratchDirectory
  let dir: URL
  let store: DirectoryStore

  init() throws {
    scratch = try ScratchDirectory("pond-directory-store")
    dir = scratch.url
    store = DirectoryStore(root: dir.path + "/")
  }

  func keysInOrder(_ keys: [String]) -> [String] {
    keys.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
  }

  @Test func pagesWalkDirectoriesInKeyOrder() throws {
    // "a-x" sorts before "a/…" ('-' < '/') and "a0" after it: a directory sorts as its name and '/'.
    let keys = ["a/1", "a/2/z", "a-x", "a0", "b", "a/10", "c/d/e/f", "é"]
    for key in keys { try store.put(key, bytes: Array(key.utf8)) }
    _ = try LocalFiles.putIfAbsent([1], at: dir.path + "/a/" + TemporaryName.prefix + "1")
    var listed: [String] = []
    var after: String?
    var pages = 0
    repeat {
      let page = try store.list(prefix: "", startAfter: after, limit: 3)
      #expect(page.entries.count <= 3)
      listed += page.entries.map(\.key)
      after = page.isTruncated ? page.entries.last?.key : nil
      pages += 1
    } while after != nil
    #expect(listed == keysInOrder(keys))
    #expect(pages == 3)
    #expect(try store.list(prefix: "a/").entries.map(\.key) == ["a/1", "a/10", "a/2/z"])
    #expect(try store.list(prefix: "a", startAfter: "a/10").entries.map(\.key) == ["a/2/z", "a0"])
    #expect(
      try store.list(prefix: "", recursive: false).entries.map(\.key) == ["a-x", "a0", "b", "é"])
    #expect(try store.list(prefix: "nothing/here").entries.isEmpty)
  }

  @Test func putIfAbsentStampsTheTimeAndNeverReplaces() throws {
    let time: Int64 = 1_700_000_000_123
    #expect(
      try store.putIfAbsent("_delta_log/1.json", bytes: [1], modificationTime: time) == .created)
    #expect(try store.putIfAbsent("_delta_log/1.json", bytes: [2]) == .alreadyExists)
    #expect(try store.read("_delta_log/1.json") == [1])
    #expect(try store.status("_delta_log/1.json")?.modificationTime == time)
    #expect(try LocalFiles.names(inDirectory: dir.path + "/_delta_log") == ["1.json"])
  }

  @Test func putsReadsAndDeletes() throws {
    let source = dir.path + "/source"
    _ = try LocalFiles.putIfAbsent(Array(0..<200), at: source)
    var observed = 0
    #expect(try store.put("x/y", contentsOf: source) { observed += $0.count } == 200)
    #expect(observed == 200)
    #expect(try store.read("x/y") == Array(0..<200))
    try store.put("x/y", bytes: [7])
    #expect(try store.read("x/y") == [7])
    try store.delete("x/y")
    #expect(try store.status("x/y") == nil)
    #expect(try LocalFiles.status(dir.path + "/x") == nil)
    let missing = #expect(throws: FileIOError.self) { try store.read("x/y") }
    #expect(missing?.errno == .noSuchFileOrDirectory)
  }

  @Test(arguments: ["", "/a", "a//b", "a/./b", "..", "a/.pond-tmp-1"])
  func invalidKeysAreRefused(key: String) {
    #expect(!DirectoryStore.isValidKey(key))
    let error = #expect(throws: FileIOError.self) { try store.put(key, bytes: [1]) }
    #expect(error?.errno == .invalidArgument)
  }

  @Test func aPublishSyncsTheDirectory() throws {
    try LocalFiles.makeDirectories(dir.path + "/synced")
    DirectorySyncLog.watch(dir.path + "/synced")
    #expect(try store.putIfAbsent("synced/a", bytes: [1]) == .created)
    #expect(DirectorySyncLog.count(dir.path + "/synced") == 1)
  }
}

@Suite("TemporaryName and FileLock")
struct TemporaryNameAndLockTests {
  @Test func temporaryNamesAreFreshAndRecognised() {
    let one = TemporaryName.make(in: "/d")
    #expect(one.hasPrefix("/d/" + TemporaryName.prefix))
    #expect(one != TemporaryName.make(in: "/d"))
    #expect(TemporaryName.isTemporary(one))
    #expect(!TemporaryName.isTemporary("/d/.pond-tmp/x"))
  }

  @Test func exclusiveExcludesAndSharedUpgradesWithoutWaiting() throws {
    let dir = try ScratchDirectory("pond-lock")
    let path = dir.path("lock")
    // flock belongs to the open file: two FileLocks conflict even in one process.
    let writer = try FileLock(at: path)
    let other = try FileLock(at: path)
    #expect(try writer.tryLock(.exclusive))
    #expect(try !other.tryLock(.exclusive))
    #expect(try !other.tryLock(.shared))
    // The index's use: shared while open, exclusive only when no one else uses it.
    try writer.lock(.shared)
    try other.lock(.shared)
    #expect(try !writer.tryLock(.exclusive))
    try writer.lock(.shared)
    try other.file.close()  // closing the lock file releases its lock
    #expect(try writer.tryLock(.exclusive))
    try writer.lock(.shared)
    #expect(try FileLock(at: path).tryLock(.shared))
  }

  @Test func aLockFileKeepsANote() throws {
    let dir = try ScratchDirectory("pond-lock-note")
    let lock = try FileLock(at: dir.path("lock"))
    try lock.lock(.exclusive)
    try lock.file.resize(to: 0)
    try Array("4242\n".utf8).withUnsafeBytes { try lock.file.write($0, at: 0) }
    #expect(try LocalFiles.readFile(dir.path("lock")) == Array("4242\n".utf8))
  }
}
