import PondCrypto
import PondFiles
public import PondTime

/// What `verifyDataFiles` checked.
public struct DataFileVerification: Sendable, Equatable {
  public var filesChecked: Int
  public var bytesChecked: Int64
}

/// Everything `checkDataFiles` found: what verified, and every problem.
public struct DataFileReport: Sendable, Equatable {
  /// The files whose size and hash matched their add.
  public var verified: DataFileVerification
  /// One error per bad file (missing, wrong size, wrong hash, no hash, unreadable), in path order; each
  /// names the version that added the file and its path.
  public var problems: [DeltaLogError]
}

/// Data files: storing them (with their `add`) and checking them against their adds.
extension DeltaTable {
  /// Stores a data file durably under `path` and returns its `add`: exact size, `tags.sha256`, and stats
  /// from `statistics`. Write data files before the commit that references them. A data file is never
  /// replaced (time travel reads every file ever added): a path that exists is refused.
  ///
  /// Hashes `bytes` on the calling thread; call it off Swift's cooperative pool for large files.
  public func putDataFile(
    _ path: String, _ bytes: [UInt8], statistics: FileStatistics?,
    modificationTime: Int64 = UTCMilliseconds.now().rawValue
  ) throws(DeltaLogError) -> AddFile {
    try Self.checkDataPath(path)
    let result = try wrap(nil, path, hint: Self.putFailureHint) { () throws(FileIOError) in
      try storage.putIfAbsent(path, bytes: bytes, modificationTime: nil)
    }
    guard result == .created else { throw Self.dataFileExists(path) }
    return AddFile(
      path: path, size: Int64(bytes.count), modificationTime: modificationTime,
      stats: statistics?.jsonString, sha256: Hex.encode(SHA256.hash(bytes)))
  }

  /// Checks that `path` is a data file path pond writes: relative, `/`-separated names of `[A-Za-z0-9._-]`,
  /// none starting with `_` or `.` (those are the log's and temporary files').
  static func checkDataPath(_ path: String) throws(DeltaLogError) {
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    let valid = components.allSatisfy { component in
      guard let first = component.utf8.first, first != UInt8(ascii: "_"), first != UInt8(ascii: ".")
      else { return false }
      return component.utf8.allSatisfy {
        ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
          || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
      }
    }
    guard valid else {
      throw DeltaLogError(
        .invalidArgument, path: path,
        "data file paths are relative, '/'-separated names of [A-Za-z0-9._-], not starting with '_' or '.'"
      )
    }
  }

  /// Stores the local file `localFile` durably as data file `path` and returns its `add`, like
  /// `putDataFile(_:_:statistics:modificationTime:)` but copying and hashing in one pass over bounded
  /// chunks, so memory does not grow with the file's size.
  ///
  /// Blocks on file I/O and hashing; call it off Swift's cooperative pool.
  public func putDataFile(
    _ path: String, contentsOf localFile: String, statistics: FileStatistics?,
    modificationTime: Int64 = UTCMilliseconds.now().rawValue
  ) throws(DeltaLogError) -> AddFile {
    try Self.checkDataPath(path)
    // Checked first, then stored: two writers racing for one name is a caller's bug (names are unique).
    if try wrap(nil, path, { () throws(FileIOError) in try storage.status(path) }) != nil {
      throw Self.dataFileExists(path)
    }
    let hasher = SHA256Hasher()
    var sourceFailure: FileIOError?
    let size = try wrap(nil, path, hint: Self.putFailureHint) { () throws(FileIOError) in
      do throws(FileIOError) {
        return try storage.put(path, contentsOf: localFile) { hasher.update($0) }
      } catch {
        guard error.path == localFile else { throw error }
        sourceFailure = error
        return 0
      }
    }
    if let sourceFailure {
      // Say which side failed: the source file, not the table.
      var failure = DeltaLogError(
        .storageFailure, path: path, "source file: \(sourceFailure)", hint: Self.putFailureHint)
      failure.errno = sourceFailure.errno
      throw failure
    }
    return AddFile(
      path: path, size: size, modificationTime: modificationTime,
      stats: statistics?.jsonString, sha256: Hex.encode(hasher.finalize()))
  }

  // MARK: - Verification

  /// Reads every data file added in versions 0...`version` (removed ones too, since time travel needs
  /// them; only the live ones when `liveOnly`) and checks its size and `tags.sha256`.
  ///
  /// Throws the first problem `checkDataFiles` finds: `.dataFileMissing`, `.dataFileSizeMismatch`,
  /// `.dataFileHashMismatch`, `.dataFileUnverifiable` or `.storageFailure`, naming the file and the
  /// version that added it. Use `checkDataFiles` to get every problem.
  public func verifyDataFiles(at version: Int64? = nil, liveOnly: Bool = false)
    throws(DeltaLogError) -> DataFileVerification
  {
    let report = try checkDataFiles(at: version, liveOnly: liveOnly)
    if let first = report.problems.first { throw first }
    return report.verified
  }

  /// Checks every data file like `verifyDataFiles`, but goes on past a bad file and returns all
  /// problems (each a `DeltaLogError` with its kind, the version that added the file, and its path), in
  /// path order. Throws only when the log itself cannot be replayed.
  public func checkDataFiles(at version: Int64? = nil, liveOnly: Bool = false)
    throws(DeltaLogError) -> DataFileReport
  {
    var report = DataFileReport(
      verified: DataFileVerification(filesChecked: 0, bytesChecked: 0), problems: [])
    func check(_ add: AddFile, addedIn: Int64) {
      do {
        report.verified.bytesChecked += try self.check(add, addedIn: addedIn)
        report.verified.filesChecked += 1
      } catch {
        report.problems.append(error)
      }
    }
    // One commit at a time: every added file is checked as its commit is read, or (live only) the live
    // files with the version that added them are kept until the end.
    var live: [String: (add: AddFile, version: Int64)] = [:]
    try forEachCommit(from: 0, through: try resolve(version), onto: nil) { commit in
      for remove in commit.removes { live[remove.path] = nil }
      for add in commit.adds {
        if liveOnly {
          live[add.path] = (add, commit.version)
        } else {
          check(add, addedIn: commit.version)
        }
      }
    }
    for (add, addedIn) in live.values { check(add, addedIn: addedIn) }
    report.problems.sort { ($0.path ?? "") < ($1.path ?? "") }
    return report
  }

  /// Checks one data file's size and hash; returns the bytes read.
  private func check(_ add: AddFile, addedIn: Int64?) throws(DeltaLogError) -> Int64 {
    let key = try Self.storageKey(forDataPath: add.path, version: addedIn)
    guard let entry = try wrap(addedIn, key, { () throws(FileIOError) in try storage.status(key) })
    else {
      throw DeltaLogError(
        .dataFileMissing, version: addedIn, path: add.path, "the data file does not exist",
        hint: "restore it from a replica")
    }
    guard entry.size == add.size else {
      throw DeltaLogError(
        .dataFileSizeMismatch, version: addedIn, path: add.path,
        "the file holds \(entry.size) bytes but its add says \(add.size)",
        hint: "the file was truncated or replaced; restore it from a replica")
    }
    guard let expected = add.sha256 else {
      throw DeltaLogError(
        .dataFileUnverifiable, version: addedIn, path: add.path, "the add has no tags.sha256")
    }
    // Hash in bounded chunks: memory does not grow with the file's size.
    let hasher = SHA256Hasher()
    var offset: Int64 = 0
    while true {
      let chunk = try wrap(addedIn, key, missing: .dataFileMissing) { () throws(FileIOError) in
        try storage.read(key, offset: offset, length: Self.verifyChunkSize)
      }
      hasher.update(chunk)
      offset += Int64(chunk.count)
      if chunk.count < Self.verifyChunkSize { break }
    }
    guard offset == add.size else {
      throw DeltaLogError(
        .dataFileSizeMismatch, version: addedIn, path: add.path,
        "the file changed size while being read (\(offset) bytes, its add says \(add.size))",
        hint: "another process is writing it; retry, then restore it from a replica")
    }
    let actual = Hex.encode(hasher.finalize())
    guard actual == expected else {
      throw DeltaLogError(
        .dataFileHashMismatch, version: addedIn, path: add.path,
        "the file's sha256 is \(actual) but its add says \(expected)",
        hint: "the file is corrupt or was replaced; restore it from a replica")
    }
    return offset
  }

  private static func dataFileExists(_ path: String) -> DeltaLogError {
    DeltaLogError(
      .invalidArgument, path: path,
      "a data file of that name exists; data files are never overwritten",
      hint: "give every data file a new unique name")
  }

  /// The hint of a failed data file put.
  static let putFailureHint =
    "no partial file is left under the data file's name; free space or fix the table directory's "
    + "permissions, then store it again"

  /// How much of a data file `verifyDataFiles` reads at a time.
  static let verifyChunkSize = 4 << 20

  /// The storage key of an `add.path`: a relative URI, so `%XX` escapes are decoded.
  static func storageKey(forDataPath path: String, version: Int64?) throws(DeltaLogError) -> String
  {
    guard !path.hasPrefix("/"), !path.contains("://") else {
      throw DeltaLogError(
        .unsupportedFeature, version: version, path: path,
        "absolute data file paths are not supported")
    }
    guard path.contains("%") else { return path }
    var bytes: [UInt8] = []
    var utf8 = Array(path.utf8)[...]
    while let byte = utf8.popFirst() {
      if byte == UInt8(ascii: "%"), utf8.count >= 2,
        let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(value)
        utf8 = utf8.dropFirst(2)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
