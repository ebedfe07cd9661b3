import Foundation
import PondTestSupport
import SystemPackage
import Testing

@testable import PondFiles

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A temporary directory removed when the test ends.
typealias Scratch = ScratchDirectory

/// Bytes that differ at every offset, so a read at the wrong place shows.
func pattern(_ count: Int) -> [UInt8] {
  (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
}

@Suite("OpenFile")
struct OpenFileTests {
  @Test func writtenBytesReadBackWhole() throws {
    let scratch = try Scratch("pond-files")
    let path = scratch.path("round-trip")
    let data = pattern(200_000)
    let file = try OpenFile(creatingAt: path)
    try file.write(Array(data[..<1000]))
    try data[1000...].withUnsafeBytes { try file.write($0) }
    try file.sync()
    try file.close()
    #expect(try scratch.read(path) == data)
    #expect(try OpenFile(readingAt: path).readToEnd() == data)
    #expect(try LocalFiles.readFile(path) == data)
    #expect(try OpenFile(readingAt: path).status().size == Int64(data.count))
  }

  @Test func writeAllWritesBuffersLargerThanOneSystemWrite() throws {
    let scratch = try Scratch("pond-files")
    let path = scratch.path("large")
    let data = pattern(3 << 20 + 17)
    let file = try OpenFile(creatingAt: path)
    try file.write(data)
    try file.close()
    #expect(try LocalFiles.status(path)?.size == Int64(data.count))
    #expect(try scratch.read(path) == data)
  }

  @Test func readFillsTheBufferAndIsShortOnlyAtTheEnd() throws {
    let scratch = try Scratch("pond-files")
    let data = pattern(10)
    let file = try OpenFile(readingAt: try scratch.write(data, to: "ten"))
    var buffer = [UInt8](repeating: 0, count: 4)
    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0) } == 4)
    #expect(buffer == Array(data[0..<4]))
    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0) } == 4)
    #expect(buffer == Array(data[4..<8]))
    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0) } == 2, "short at EOF")
    #expect(Array(buffer[0..<2]) == Array(data[8..<10]))
    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0) } == 0, "nothing after EOF")
  }

  @Test(arguments: [(0, 4, 4), (3, 4, 4), (7, 4, 3), (10, 4, 0), (25, 4, 0), (0, 10, 10)])
  func preadReadsAtTheOffset(offset: Int, count: Int, expected: Int) throws {
    let scratch = try Scratch("pond-files")
    let data = pattern(10)
    let file = try OpenFile(readingAt: try scratch.write(data, to: "ten"))
    var buffer = [UInt8](repeating: 0, count: count)
    let got = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: Int64(offset)) }
    #expect(got == expected)
    #expect(Array(buffer[0..<got]) == Array(data[min(offset, 10)..<min(offset, 10) + got]))
    // pread leaves the sequential offset alone.
    var first = [UInt8](repeating: 0, count: 1)
    #expect(try first.withUnsafeMutableBytes { try file.read(into: $0) } == 1)
    #expect(first == [data[0]])
  }

  @Test func readWriteCreationReadsBackWhatItWrote() throws {
    let scratch = try Scratch("pond-files")
    let file = try OpenFile(creatingAt: scratch.path("spool"), mode: .readWrite)
    try file.write(pattern(100))
    var buffer = [UInt8](repeating: 0, count: 10)
    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 50) } == 10)
    #expect(buffer == Array(pattern(100)[50..<60]))
  }

  @Test func anExplicitlyClosedFileIsNotClosedAgainByDeinit() throws {
    let scratch = try Scratch("pond-files")
    let first = try scratch.write([1], to: "first")
    let second = try scratch.write([2, 3], to: "second")
    var closed: OpenFile? = try OpenFile(readingAt: first)
    try closed?.close()
    // The lowest free descriptor number is reused: a second close of the first file would close this one.
    let reopened = try OpenFile(readingAt: second)
    closed = nil
    #expect(closed == nil)
    #expect(try reopened.readToEnd() == [2, 3])
  }

  @Test func modificationTimeIsSetToTheMillisecond() throws {
    let scratch = try Scratch("pond-files")
    let path = scratch.path("stamped")
    #expect(
      try LocalFiles.putIfAbsent([1, 2, 3], at: path, modificationTime: 1_700_000_000_123)
        == .created)
    let status = try #require(try LocalFiles.status(path))
    #expect(status.modificationTime == 1_700_000_000_123)
    #expect(status.isRegularFile && !status.isDirectory)
  }

  @Test func creatingAnExistingFileFailsAndLeavesItAlone() throws {
    let scratch = try Scratch("pond-files")
    let existing = try scratch.write([9, 9], to: "existing")
    let error = #expect(throws: FileIOError.self) { try OpenFile(creatingAt: existing) }
    #expect(error?.operation == .create)
    #expect(error?.path == existing)
    #expect(error?.errno == .fileExists)
    #expect(error?.errorNumber == EEXIST)
    #expect(error?.hint == "\(existing) already exists: remove it or choose another name")
    #expect(try scratch.read(existing) == [9, 9])
    #expect(try LocalFiles.putIfAbsent([1], at: existing) == .alreadyExists)
    #expect(try scratch.read(existing) == [9, 9], "putIfAbsent never replaces")
  }

  @Test func missingFileNamesPathErrnoAndHint() throws {
    let scratch = try Scratch("pond-files")
    let missing = scratch.path("missing")
    let error = #expect(throws: FileIOError.self) { try OpenFile(readingAt: missing) }
    #expect(error?.operation == .openForReading)
    #expect(error?.path == missing)
    #expect(error?.errno == .noSuchFileOrDirectory)
    #expect(
      error?.description
        == "cannot open for reading \(missing): No such file or directory (errno \(ENOENT)); "
        + "check that \(missing) and its directories exist")
    #expect(throws: FileIOError.self) { try LocalFiles.readFile(missing) }
  }

  @Test func aDirectoryWhereAFileIsExpectedFailsOnRead() throws {
    let scratch = try Scratch("pond-files")
    let file = try OpenFile(readingAt: scratch.root)
    var buffer = [UInt8](repeating: 0, count: 8)
    let error = #expect(throws: FileIOError.self) {
      try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
    }
    #expect(error?.operation == .read)
    #expect(error?.path == scratch.root)
    #expect(error?.errno == .isDirectory)
    #expect(error?.description.contains("Is a directory (errno \(EISDIR))") == true)
    #expect(error?.hint == "\(scratch.root) is a directory: give the path of a file")
    let create = #expect(throws: FileIOError.self) { try OpenFile(creatingAt: scratch.root) }
    #expect(create?.errno == .fileExists)
  }

  @Test(.enabled(if: getuid() != 0, "root opens any file: chmod 000 cannot deny it access"))
  func unreadableFileNamesPermissions() throws {
    let scratch = try Scratch("pond-files")
    let locked = try scratch.write([1], to: "locked")
    #expect(chmod(locked, 0) == 0)
    let error = #expect(throws: FileIOError.self) { try OpenFile(readingAt: locked) }
    #expect(error?.errno == .permissionDenied)
    #expect(error?.path == locked)
    #expect(error?.description.contains("Permission denied (errno \(EACCES))") == true)
    #expect(error?.hint == "check the permissions of \(locked) and its directories")
  }

  @Test func aFileInAMissingDirectoryCannotBeCreated() throws {
    let scratch = try Scratch("pond-files")
    let path = scratch.path("no/such/dir/file")
    let error = #expect(throws: FileIOError.self) { try OpenFile(creatingAt: path) }
    #expect(error?.operation == .create)
    #expect(error?.errno == .noSuchFileOrDirectory)
    #expect(!scratch.exists(path))
  }
}

@Suite("FileIOError")
struct FileIOErrorTests {
  @Test(arguments: [
    (ENOSPC, "the disk is full: free space and retry"),
    (EDQUOT, "the disk is full: free space and retry"),
    (EACCES, "check the permissions of /p/f and its directories"),
    (EPERM, "check the permissions of /p/f and its directories"),
    (EROFS, "the file system is read-only: remount it read-write or use another directory"),
    (ENOENT, "check that /p/f and its directories exist"),
    (EEXIST, "/p/f already exists: remove it or choose another name"),
    (EISDIR, "/p/f is a directory: give the path of a file"),
    (ENOTDIR, "a directory in /p/f is a file: check the path"),
    (EMFILE, "too many open files: raise the limit (ulimit -n)"),
    (EFBIG, "the file exceeds the size limit: check ulimit -f and the file system"),
    (EIO, "the device reported an I/O error: check the disk"),
  ])
  func hintSaysWhatToDo(code: Int32, hint: String) {
    let error = FileIOError(.write, path: "/p/f", errno: Errno(rawValue: code))
    #expect(error.hint == hint)
    #expect(error.description.hasPrefix("cannot write /p/f: "))
    #expect(error.description.contains("(errno \(code)); \(hint)"))
    #expect(error.description.contains(String(cString: strerror(code))))
  }

  @Test func anErrnoWithoutAdviceHasNoHint() {
    let error = FileIOError(.sync, path: "/p/f", errno: .badFileDescriptor)
    #expect(error.hint == nil)
    #expect(error.description == "cannot fsync /p/f: Bad file descriptor (errno \(EBADF))")
  }
}

@Suite("LocalFiles publishing")
struct PublishTests {
  @Test func publishIfAbsentGivesTheFinalName() throws {
    let scratch = try Scratch("pond-files")
    let final = scratch.path("final")
    let temporary = try scratch.write([1, 2, 3], to: "t.tmp")
    #expect(try LocalFiles.publishIfAbsent(temporary, as: final) == .created)
    #expect(try scratch.read(final) == [1, 2, 3])
    #expect(!scratch.exists(temporary), "the temporary name is removed")
  }

  @Test func publishIfAbsentRefusesAnExistingTarget() throws {
    let scratch = try Scratch("pond-files")
    let final = try scratch.write([7], to: "final")
    let temporary = try scratch.write([1, 2, 3], to: "t.tmp")
    #expect(try LocalFiles.publishIfAbsent(temporary, as: final) == .alreadyExists)
    #expect(try scratch.read(final) == [7], "the existing file is untouched")
    #expect(!scratch.exists(temporary), "the loser's temporary file is removed")
  }

  @Test func publishIfAbsentIntoAMissingDirectoryFailsAndCleansUp() throws {
    let scratch = try Scratch("pond-files")
    let temporary = try scratch.write([1], to: "t.tmp")
    let final = scratch.path("missing/final")
    let error = #expect(throws: FileIOError.self) {
      try LocalFiles.publishIfAbsent(temporary, as: final)
    }
    #expect(error?.operation == .link)
    #expect(error?.path == final)
    #expect(error?.errno == .noSuchFileOrDirectory)
    #expect(!scratch.exists(temporary))
  }

  @Test func publishReplacingReplacesTheTarget() throws {
    let scratch = try Scratch("pond-files")
    let final = try scratch.write([7], to: "final")
    let temporary = try scratch.write([1, 2, 3], to: "t.tmp")
    try LocalFiles.publishReplacing(temporary, as: final)
    #expect(try scratch.read(final) == [1, 2, 3])
    #expect(!scratch.exists(temporary))
  }

  @Test func publishReplacingOntoADirectoryFailsAndCleansUp() throws {
    let scratch = try Scratch("pond-files")
    let directory = scratch.path("dir")
    #expect(try LocalFiles.makeDirectory(directory))
    _ = try scratch.write([1], to: "dir/inside")
    let temporary = try scratch.write([1], to: "t.tmp")
    let error = #expect(throws: FileIOError.self) {
      try LocalFiles.publishReplacing(temporary, as: directory)
    }
    #expect(error?.operation == .rename)
    #expect(error?.errno == .isDirectory)
    #expect(error?.description.contains(directory) == true)
    #expect(!scratch.exists(temporary))
  }

  @Test func directoriesAreSyncedAndErrorsNameThem() throws {
    let scratch = try Scratch("pond-files")
    try LocalFiles.syncDirectory(scratch.root)
    let missing = scratch.path("missing")
    let error = #expect(throws: FileIOError.self) { try LocalFiles.syncDirectory(missing) }
    #expect(error?.operation == .syncDirectory)
    #expect(error?.path == missing)
    #expect(error?.errno == .noSuchFileOrDirectory)
    let file = try scratch.write([1], to: "file")
    let notDirectory = #expect(throws: FileIOError.self) { try LocalFiles.syncDirectory(file) }
    #expect(notDirectory?.errno == .notDirectory)
  }
}

@Suite("LocalFiles paths")
struct PathTests {
  @Test func makeDirectoriesCreatesTheMissingAncestors() throws {
    let scratch = try Scratch("pond-files")
    let deep = scratch.path("a/b/c")
    try LocalFiles.makeDirectories(deep)
    #expect(try LocalFiles.status(deep)?.isDirectory == true)
    try LocalFiles.makeDirectories(deep)  // already there: nothing to do
    #expect(try LocalFiles.makeDirectory(deep) == false)
    #expect(try LocalFiles.makeDirectory(scratch.path("a/d")) == true)
    #expect(try LocalFiles.names(inDirectory: scratch.path("a"))?.sorted() == ["b", "d"])
    let file = try scratch.write([1], to: "file")
    let error = #expect(throws: FileIOError.self) { try LocalFiles.makeDirectories(file + "/x") }
    #expect(error?.operation == .makeDirectory)
    #expect(error?.errno == .notDirectory)
    // A file where the directory should be is not "already there".
    let single = #expect(throws: FileIOError.self) { try LocalFiles.makeDirectory(file) }
    #expect(single?.errno == .notDirectory && single?.path == file)
    let nested = #expect(throws: FileIOError.self) { try LocalFiles.makeDirectories(file) }
    #expect(nested?.errno == .notDirectory && nested?.path == file)
  }

  @Test func statusOfMissingPathsIsNilAndExistingStatusThrows() throws {
    let scratch = try Scratch("pond-files")
    #expect(try LocalFiles.status(scratch.path("missing")) == nil)
    let file = try scratch.write([1, 2], to: "file")
    #expect(try LocalFiles.status(file + "/below") == nil, "ENOTDIR: nothing there")
    let error = #expect(throws: FileIOError.self) {
      try LocalFiles.existingStatus(file + "/below")
    }
    #expect(error?.operation == .status)
    #expect(error?.errno == .notDirectory)
    #expect(try LocalFiles.existingStatus(file).size == 2)
    let link = scratch.path("dangling")
    #expect(symlink(scratch.path("nowhere"), link) == 0)
    #expect(try LocalFiles.status(link) == nil)
    #expect(try LocalFiles.status(link, followsLinks: false)?.type == .symbolicLink)
  }

  @Test func namesOfAMissingDirectoryAreNil() throws {
    let scratch = try Scratch("pond-files")
    #expect(try LocalFiles.names(inDirectory: scratch.path("missing")) == nil)
    #expect(try LocalFiles.names(inDirectory: scratch.root) == [])
    let loop = scratch.path("loop")
    #expect(symlink(loop, loop) == 0)
    let error = #expect(throws: FileIOError.self) { try LocalFiles.names(inDirectory: loop) }
    #expect(error?.operation == .readDirectory)
    #expect(error?.errno == .tooManySymbolicLinkLevels)
    #expect(error?.description.hasPrefix("cannot read directory \(loop): ") == true)
  }

  @Test func removeIgnoresWhatIsGoneButNotAFullDirectory() throws {
    let scratch = try Scratch("pond-files")
    let file = try scratch.write([1], to: "file")
    try LocalFiles.remove(file)
    #expect(!scratch.exists(file))
    try LocalFiles.remove(file)
    try LocalFiles.remove(file + "/below")
    let directory = scratch.path("dir")
    try LocalFiles.makeDirectory(directory)
    _ = try scratch.write([1], to: "dir/inside")
    let error = #expect(throws: FileIOError.self) { try LocalFiles.removeDirectory(directory) }
    #expect(error?.operation == .removeDirectory)
    #expect(error?.errno == .directoryNotEmpty)
    try LocalFiles.remove(directory + "/inside")
    try LocalFiles.removeDirectory(directory)
    #expect(!scratch.exists(directory))
  }

  @Test(arguments: [("a/b/c", "a/b"), ("/c", "/"), ("c", "."), ("/a/b", "/a")])
  func parentDirectory(path: String, parent: String) {
    #expect(LocalFiles.parentDirectory(of: path) == parent)
  }
}

/// Runs `body` with a fresh tmpfs of `size` mounted in `scratch` (`options` e.g. "ro"), or returns nil when
/// mounting is not allowed here.
@Suite("Full and read-only file systems", .serialized)
struct FileSystemConditionTests {
  @Test func aFullDiskNamesThePathAndSaysToFreeSpace() throws {
    let scratch = try Scratch("pond-files")
    let done = try TestSupport.withTmpfs(size: "64k", in: URL(fileURLWithPath: scratch.root)) {
      mountPoint -> Bool in
      let path = mountPoint + "/big"
      let error = #expect(throws: FileIOError.self) {
        try LocalFiles.putIfAbsent(pattern(1 << 20), at: path)
      }
      #expect(error?.operation == .write)
      #expect(error?.path.hasPrefix(mountPoint + "/" + TemporaryName.prefix) == true)
      #expect(error?.errno == .noSpace)
      #expect(error?.description.contains("No space left on device (errno \(ENOSPC))") == true)
      #expect(error?.description.contains("the disk is full: free space") == true)
      let left = try LocalFiles.names(inDirectory: mountPoint)
      #expect(left == [], "the partial file is removed")
      return true
    }
    if done == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }

  @Test func aReadOnlyFileSystemRefusesNewFilesWithAHint() throws {
    let scratch = try Scratch("pond-files")
    let done = try TestSupport.withTmpfs(size: "64k", in: URL(fileURLWithPath: scratch.root)) {
      mountPoint -> Bool in
      let existing = mountPoint + "/existing"
      #expect(try LocalFiles.putIfAbsent([1, 2], at: existing) == .created)
      let remount = try TestSupport.run(
        URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,ro", mountPoint])
      #expect(remount.status == 0, "\(remount.stderrText)")
      let path = mountPoint + "/new"
      let error = #expect(throws: FileIOError.self) { try OpenFile(creatingAt: path) }
      #expect(error?.operation == .create)
      #expect(error?.errno == .readOnlyFileSystem)
      #expect(error?.description.contains(path) == true)
      #expect(error?.hint?.contains("read-only") == true)
      #expect(try LocalFiles.readFile(existing) == [1, 2], "reading still works")
      return true
    }
    if done == nil { TestSupport.reportUnavailable(TestSupport.tmpfsUnavailable) }
  }
}

@Suite("EINTR")
struct InterruptTests {
  @Test func interruptedCallsAreRetriedUntilTheyFinish() {
    var calls = 0
    let result = SystemCall.retryingInterrupts {
      calls += 1
      if calls < 3 {
        errno = EINTR
        return -1
      }
      return 0
    }
    #expect(calls == 3)
    #expect((try? result.get()) != nil)
  }

  @Test func otherFailuresAreReturnedAtOnce() {
    var calls = 0
    let result = SystemCall.retryingInterrupts {
      calls += 1
      errno = EIO
      return -1
    }
    #expect(calls == 1)
    #expect(throws: Errno.ioError) { try result.get() }
  }
}
