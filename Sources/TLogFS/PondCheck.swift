import DeltaLog
import FoundationEssentials
import PondCrypto
import PondFiles
import PondSQLite
import PondTime
import TinyFS

/// What `pond fsck` found.
public struct CheckReport: Sendable, Codable, Equatable {
  /// Versions replayed.
  public var versions: Int64 = 0
  public var dataFiles = 0
  public var rows = 0
  public var largeFiles = 0
  /// Each problem, naming the file (relative to the pond) and what is wrong.
  public var problems: [String] = []
  /// Harmless findings: orphan files left by interrupted commands.
  public var notes: [String] = []
  /// Orphan files removed (with `clean`), relative to the pond.
  public var removed: [String] = []

  public var isClean: Bool { problems.isEmpty }
}

extension PondStore {
  /// Checks the pond without trusting the index: replays the log and its hash chain, re-hashes every commit's
  /// data file against its `add`, re-hashes inline content against each row's `sha256`, decompresses and
  /// re-hashes every large file a row refers to, checks that directory listings and parents agree, and that
  /// the local index (when present) says what the log says.
  /// A gap in the log is a problem like any other.
  ///
  /// Without `clean` it opens nothing for writing and takes no lock. With `clean`, it takes the writer lock and,
  /// only when no problem was found, removes the orphan files interrupted commands left (data files no commit
  /// added, large files no row refers to, temporary files). Memory grows with the number of nodes (a few
  /// dozen bytes each) and with the number of versions only by the name of each one's data file. Throws only
  /// when `root` is not a pond at all (no commit), or the lock cannot be taken.
  public static func check(root: String, clean: Bool = false) throws -> CheckReport {
    let dataRoot = root + "/" + PondLayout.dataDirectory
    let lock = clean ? try PondLock(pondRoot: root, wait: false) : nil
    return try withExtendedLifetime(lock) {
      try check(root: root, dataRoot: dataRoot, clean: clean)
    }
  }

  private static func check(root: String, dataRoot: String, clean: Bool) throws -> CheckReport {
    let log = PondLog(dataRoot: dataRoot)
    var report = CheckReport()
    // A log with a gap or without version 0 is a problem to report, not a reason not to check the rest.
    var latest: Int64
    do {
      latest = try log.latestVersion()
    } catch let error as PondError where error.code == .corrupt {
      report.problems.append("\(error)")
      latest = log.highestListedVersion()
      guard latest >= 0 else { return report }
    }
    var previous: CommitHead?
    var referencedFiles = Set<String>()
    var blobs: [String: Int64] = [:]  // sha -> expected size
    var latestRow: [NodeID: (version: Int64, entryType: EntryType, size: Int64)] = [:]
    let largeFiles = LargeFiles(dataRoot: dataRoot)
    let (index, indexNote) = IndexCheck.open(pondRoot: root)
    if let indexNote { report.notes.append(indexNote) }
    let indexProblem = { (what: String) in
      report.problems.append(
        "local/\(PondIndex.fileName): \(what); delete it and it is rebuilt from the log")
    }

    versions: for version in 0...latest {
      let key = DeltaTable.commitKey(version: version)
      let bytes: [UInt8]
      do {
        bytes = try log.table.commitBytes(version)
      } catch {
        report.problems.append("data/\(key): cannot be read: \(error)")
        break versions
      }
      report.versions = version + 1
      let commit: CommitFile
      do {
        commit = try CommitFile(parsing: bytes, version: version)
      } catch {
        // The next version's link is checked against these bytes all the same.
        previous = CommitHead(
          version: version, sha256: SHA256Digest(hashing: bytes), timestamp: nil)
        report.problems.append("data/\(key): the commit is not valid: \(error.message)")
        continue
      }
      defer { previous = commit.head }
      if let disagreement = index?.disagreement(version: version, commit: IndexedCommit(commit)) {
        indexProblem("\(disagreement) for version \(version)")
      }
      do {
        try commit.checkChain(onto: previous)
      } catch {
        report.problems.append("data/\(key): the hash chain is broken: \(error.message)")
      }
      for add in commit.adds {
        referencedFiles.insert(add.path)
        report.dataFiles += 1
        let size = try? LocalFiles.status(dataRoot + "/" + add.path)?.size
        if let size, size != add.size {
          report.problems.append(
            "data/\(add.path): holds \(size) bytes, its add (version \(version)) says \(add.size)")
        }
        let rows: [OplogRow]
        do {
          guard add.sha256 != nil else {
            throw PondError(.corrupt, path: "data/" + add.path, "its add has no sha256 to check")
          }
          rows = try log.rows(of: add, version: version)
        } catch {
          report.problems.append("\(error)")
          continue
        }
        // Listings are checked once the version's rows are all known, then dropped.
        var listings: [(directory: NodeID, entries: [DirectoryEntry])] = []
        for (position, row) in rows.enumerated() {
          report.rows += 1
          let location =
            "data/\(add.path) row \(position) (node \(row.nodeID) version \(row.version))"
          if row.transaction != version {
            report.problems.append("\(location): txn is \(row.transaction), expected \(version)")
          }
          let previous = latestRow[row.nodeID]
          if row.version != (previous?.version ?? 0) + 1 {
            report.problems.append(
              "\(location): version does not follow \(previous?.version ?? 0)")
          }
          if let content = row.content {
            if let blob = row.blob {
              // Readers take the blob; the inline bytes would hide a missing body from this check.
              report.problems.append("\(location): has both inline content and a blob (\(blob))")
            }
            if Hex.encode(SHA256.hash(content)) != row.sha256 {
              report.problems.append("\(location): the inline content does not match its sha256")
            }
            if row.entryType == .directory {
              do {
                let entries = try DirectoryListing.decode(content, node: location)
                listings.append((row.nodeID, entries))
              } catch {
                report.problems.append("\(error)")
              }
            }
          } else if let blob = row.blob {
            guard PondLayout.sha256(ofLargeFileKey: blob) == row.sha256 else {
              report.problems.append("\(location): blob \(blob) is not named by the row's sha256")
              continue
            }
            let base: Int64 =
              row.entryType.isAppendOnly && previous?.entryType == row.entryType
              ? previous!.size : 0
            blobs[row.sha256] = row.size - base
          } else {
            report.problems.append("\(location): has neither inline content nor a blob")
          }
          latestRow[row.nodeID] = (row.version, row.entryType, row.size)
          if let disagreement = index?.disagreement(with: row, position: position) {
            indexProblem("\(disagreement) for \(location)")
          }
        }
        // Every listing entry must exist, with the type the listing says, when the listing was written.
        for listing in listings {
          for entry in listing.entries {
            guard let row = latestRow[entry.id] else {
              report.problems.append(
                "directory \(listing.directory) at version \(version): entry '\(entry.name)' names "
                  + "node \(entry.id), which no row defines")
              continue
            }
            if row.entryType != entry.entryType {
              report.problems.append(
                "directory \(listing.directory): entry '\(entry.name)' says \(entry.entryType) but node "
                  + "\(entry.id) is a \(row.entryType)")
            }
          }
        }
      }
    }
    for (sha, size) in blobs.sorted(by: { $0.key < $1.key }) {
      report.largeFiles += 1
      do {
        try largeFiles.stream(sha256: sha, expectedSize: size) { _ in }
      } catch {
        report.problems.append("\(error)")
      }
    }
    // Orphans: files no commit refers to, left by interrupted commands. Only named when the log was read
    // whole (versions missing from the replay would make referenced files look orphaned).
    let complete = report.versions == latest + 1
    var orphans: [(key: String, why: String)] = []
    func names(_ directory: String) -> [String] {
      // A directory that is missing or cannot be read holds no orphans to name.
      let found = try? LocalFiles.names(inDirectory: dataRoot + directory)
      return (found.flatMap { $0 } ?? []).sorted()
    }
    // Unfinished files are PondFiles' temporaries, or the names earlier releases gave them
    // (`part-*.tmp-*`, `_large_files/.tmp-*`, `_delta_log/*.tmp`).
    for name in names("") {
      if TemporaryName.isTemporary(name) || (name.hasPrefix("part-") && name.contains(".tmp-")) {
        orphans.append(("data/\(name)", "unfinished data file"))
      } else if name.hasPrefix("part-") && !referencedFiles.contains(name) {
        orphans.append(("data/\(name)", "orphan data file"))
      }
    }
    for name in names("/" + PondLayout.largeFilesDirectory) {
      let key = PondLayout.largeFilesDirectory + "/" + name
      if TemporaryName.isTemporary(name) || name.hasPrefix(".tmp-") {
        orphans.append(("data/\(key)", "unfinished large file"))
      } else if let sha = PondLayout.sha256(ofLargeFileKey: key), blobs[sha] == nil {
        orphans.append(("data/\(key)", "orphan large file (no row refers to it)"))
      }
    }
    for name in names("/" + DeltaTable.logPrefix.dropLast())
    where TemporaryName.isTemporary(name) || name.hasSuffix(".tmp") {
      orphans.append(("data/\(DeltaTable.logPrefix)\(name)", "unfinished commit file"))
    }
    // Temporaries in local/ (a table being converted, a collection being staged) of commands killed before
    // they could remove them. Conversions run without the writer lock, so a recent one may be in use: only
    // those untouched for a day are named.
    let localDirectory = root + "/" + PondLayout.localDirectory
    let dayAgo = UTCMilliseconds.now().rawValue - 86_400_000
    for name in ((try? LocalFiles.names(inDirectory: localDirectory)).flatMap { $0 } ?? []).sorted()
    where TemporaryName.isTemporary(name) {
      guard let status = (try? LocalFiles.status(localDirectory + "/" + name)).flatMap({ $0 }),
        status.isRegularFile, status.modificationTime < dayAgo
      else { continue }
      orphans.append(("\(PondLayout.localDirectory)/\(name)", "unfinished local file (a day old)"))
    }
    guard complete else { return report }
    for disagreement in index?.finalDisagreements(logHead: latest) ?? [] {
      indexProblem(disagreement)
    }
    for orphan in orphans {
      report.notes.append("\(orphan.key): \(orphan.why), left by an interrupted command; harmless")
    }
    if clean {
      guard report.isClean else {
        report.notes.append("nothing was removed: the pond has problems; fix them first")
        return report
      }
      for orphan in orphans {
        do {
          try LocalFiles.remove(root + "/" + orphan.key)
          report.removed.append(orphan.key)
        } catch {
          report.problems.append("\(orphan.key): cannot be removed: \(error)")
        }
      }
    }
    return report
  }
}

/// The local index, opened read-only, to compare with what `fsck` reads from the log: every row and commit
/// up to the index's head, the latest listing of every directory, and nothing more than that.
private final class IndexCheck {
  let database: SQLiteDatabase
  /// The index's head version: it may lag behind the log (caught up at the next open), never lead it.
  let head: Int64
  /// Rows of the log up to `head`, and the last listing row (txn, sha256) of each directory up to `head`.
  var rows = 0
  var listings: [NodeID: (txn: Int64, sha256: String)] = [:]

  private init(database: SQLiteDatabase, head: Int64) {
    self.database = database
    self.head = head
  }

  /// The index to compare, or a note saying why there is none (the next command rebuilds it, or builds a
  /// temporary one when `local/` is read-only; nothing is wrong with the pond).
  static func open(pondRoot: String) -> (IndexCheck?, note: String?) {
    let path = pondRoot + "/" + PondLayout.localDirectory + "/" + PondIndex.fileName
    guard (try? LocalFiles.status(path)) ?? nil != nil else { return (nil, nil) }
    let unreadable = "local/\(PondIndex.fileName): not compared with the log"
    do {
      let database = try SQLiteDatabase(path: path, mode: .readOnly)
      let format = try PondIndex.userVersion(database)
      guard format == PondIndex.formatVersion else {
        return (nil, "\(unreadable) (index format \(format)); the next command rebuilds it")
      }
      let head = try PondIndex.headVersion(in: database) ?? -1
      return (IndexCheck(database: database, head: head), nil)
    } catch {
      return (nil, "\(unreadable): it cannot be read (\(error)); the next command rebuilds it")
    }
  }

  /// What the index says differently about commit `version`, or nil when it agrees or is behind.
  func disagreement(version: Int64, commit: IndexedCommit) -> String? {
    guard version <= head else { return nil }
    let found: IndexedCommit?
    do {
      found = try PondIndex.commit(version, in: database)
    } catch {
      return "it cannot be read (\(error))"
    }
    guard let found else { return "the commit is missing" }
    return found == commit ? nil : "the commit differs"
  }

  /// What the index says differently about `row` (at `position` in its data file), or nil when it agrees or
  /// has not recorded the row's version yet. Records what `finalDisagreements` compares.
  func disagreement(with row: OplogRow, position: Int) -> String? {
    guard row.transaction <= head else { return nil }
    rows += 1
    if row.entryType == .directory, row.content != nil {
      listings[row.nodeID] = (row.transaction, row.sha256)
    }
    let found: (numbers: [Int64], sha256: String, parent: [UInt8], table: TableInfo?)?
    do {
      found = try database.firstRow(
        "SELECT version, type, size, is_blob, row_index, sha256, parent,"
          + " table_rows, table_schema, time_column, time_min, time_max FROM rows"
          + " WHERE node = ?1 AND txn = ?2",
        [.blob(row.nodeID.bytes), .integer(row.transaction)]
      ) { result in
        (
          (0..<5).map { result.integer(Int32($0)) }, result.text(5), result.blob(6),
          PondIndex.tableInfo(result, from: 7)
        )
      }
    } catch {
      return "it cannot be read (\(error))"
    }
    guard let found else { return "the row is missing" }
    let expected: [Int64] = [
      row.version, Int64(DirectoryListing.code(row.entryType)), max(row.size, 0),
      row.blob == nil ? 0 : 1, Int64(position),
    ]
    guard found.numbers == expected, found.sha256 == row.sha256, found.parent == row.partID.bytes,
      found.table == row.table
    else {
      return "the row differs"
    }
    return nil
  }

  /// Once the log up to `logHead` has been replayed: versions the log does not have, rows no data file
  /// holds, and latest listings that are not the last listing each directory's rows hold.
  func finalDisagreements(logHead: Int64) -> [String] {
    var problems: [String] = []
    if head > logHead {
      problems.append("it records versions up to \(head), but the log ends at \(logHead)")
    }
    do {
      let indexRows =
        try database.firstRow("SELECT count(*) FROM rows WHERE txn <= ?1", [.integer(head)]) {
          Int($0.integer(0))
        } ?? 0
      if indexRows != rows {
        problems.append("it holds \(indexRows) rows up to version \(head), the log \(rows)")
      }
      var seen = 0
      try database.query("SELECT node, txn, listing FROM listings") { row in
        seen += 1
        let node = NodeID(bytes: row.blob(0))
        let expected = node.flatMap { listings[$0] }
        if expected?.txn != row.integer(1)
          || expected?.sha256 != Hex.encode(SHA256.hash(row.blob(2)))
        {
          problems.append(
            "the latest listing of directory \(node?.description ?? "?") is not the one the log holds"
          )
        }
        return true
      }
      if seen != listings.count {
        problems.append("it holds \(seen) directory listings, the log \(listings.count)")
      }
    } catch {
      problems.append("it cannot be read (\(error))")
    }
    return problems
  }
}
