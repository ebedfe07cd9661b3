public import DeltaLog
import ObjectStore
import PondFiles
import Synchronization
import TLogFS

/// What installing remote versions did.
struct Installed: Sendable {
  /// The last version installed (or the starting head when none was).
  var head: CommitHead?
  var versions: Int64 = 0
  var objects: Int = 0
  var bytes: Int64 = 0
}

extension Replicator {
  /// Installs the remote's versions after `previous` (nil: from version 0) into the table at `dataRoot`, in
  /// order: each commit is checked onto its predecessor, then its data file and the large files its rows name
  /// are fetched under temporary names, checked and published, and only then is its commit file written (by
  /// `link()`), so a reader never sees a partial version.
  ///
  /// - Parameters:
  ///   - last: the last version to install; nil: up to the remote's head, found by asking for the next commit
  ///     file by name (one request when nothing is new).
  ///   - until: stop before the first commit whose time is later (ms).
  /// - Throws: `.diverged` when a commit does not chain onto the version before it (another history),
  ///   `.damaged` naming the key of a missing or damaged object; nothing of that version is installed.
  func install(
    after previous: CommitHead?, through last: Int64?, until: Int64? = nil, into dataRoot: String
  ) async throws -> Installed {
    var installed = Installed(head: previous)
    var window: Int64 = 1  // grows while versions keep coming, so an idle poll is one request
    while true {
      let first = (installed.head?.version ?? -1) + 1
      let end = last.map { min($0, first + window - 1) } ?? first + window - 1
      guard first <= end else { break }
      let commits = try await fetchCommits(first...end)
      var batch: [CommitFile] = []
      var head = installed.head
      for commit in commits {
        if let until, let time = commit.info?.timestamp, time > until, commit.version > 0 { break }
        do {
          try commit.checkChain(onto: head)
        } catch {
          // Another history when the remote's next commit names another predecessor than this pond's head;
          // damage when a commit of the remote does not follow the remote's own previous one.
          if let previous, head == previous, commit.info?.previousCommitSHA256 != nil {
            throw ReplicationError(
              .diverged,
              "\(store.url): \(commit.key) does not follow this pond's version \(previous.version): the "
                + "remote holds another history (\(RemoteLog.describe(commit)))",
              hint: "nothing was installed; restore anew from the remote to follow its history",
              version: commit.version)
          }
          throw ReplicationError(
            .damaged,
            "\(store.url): \(commit.key) does not follow \(PondLayout.commitKey(version: commit.version - 1)): "
              + "\(error)",
            hint:
              "the remote's log is damaged; run 'pond verify --deep' from the writer, which can push it again",
            version: commit.version)
        }
        do {
          try PondStore.checkShape(of: commit)
        } catch {
          throw ReplicationError(
            .damaged, "\(store.url): \(commit.key) is not a pond commit: \(error)",
            hint: "check the URL: it must be a remote of a pond", version: commit.version)
        }
        batch.append(commit)
        head = commit.head
      }
      if batch.isEmpty { break }
      try await installObjects(of: batch, into: dataRoot, counting: &installed)
      let url = store.url
      let linked = batch
      try await BlockingPool.shared.run { try Self.link(linked, into: dataRoot, from: url) }
      installed.head = batch.last?.head
      installed.versions += Int64(batch.count)
      installed.bytes += batch.reduce(0) { $0 + Int64($1.bytes.count) }
      progress("installed version \(installed.head?.version ?? -1)")
      if batch.count < commits.count || commits.count < end - first + 1 { break }
      window = min(window * 2, Self.batchSize)
    }
    return installed
  }

  /// Writes the commit files of `commits`, in order, into the table at `dataRoot` (durably, by put-if-absent):
  /// the step that makes each version visible. Blocking.
  private static func link(_ commits: [CommitFile], into dataRoot: String, from url: String) throws
  {
    for commit in commits {
      let path = dataRoot + "/" + commit.key
      let result: PutIfAbsentResult
      do {
        result = try LocalFiles.putIfAbsent(
          commit.bytes, at: path, modificationTime: commit.info?.timestamp)
      } catch {
        throw ReplicationError(
          .localIO, "cannot install \(commit.key) into \(dataRoot): \(error)",
          hint:
            "the versions before it are installed; fix the cause (free space?) and run the command again",
          underlying: error)
      }
      if result == .alreadyExists, (try? LocalFiles.readFile(path)) != commit.bytes {
        throw ReplicationError(
          .diverged, "\(path) already holds another commit than \(url)'s",
          hint: "something else wrote to this replica; run 'pond fsck'", version: commit.version)
      }
    }
  }

  /// The remote's commits in `versions`, in order, fetched concurrently and parsed; stops at the first the
  /// remote does not have.
  private func fetchCommits(_ versions: ClosedRange<Int64>) async throws -> [CommitFile] {
    let found = Mutex([Int64: CommitFile]())
    let log = self.log
    try await transfers.forEach(versions) { version in
      if let commit = try await log.commit(version) { found.withLock { $0[version] = commit } }
    }
    let byVersion = found.withLock { $0 }
    return versions.prefix { byVersion[$0] != nil }.map { byVersion[$0]! }
  }

  /// Fetches, checks and publishes the data files of `commits` and the large files their rows name (those not
  /// already in the table), concurrently.
  private func installObjects(
    of commits: [CommitFile], into dataRoot: String, counting installed: inout Installed
  ) async throws {
    let transfers = self.transfers
    let largeFiles = Mutex([String: VersionObjects.LargeFile]())
    let dataFiles = try commits.compactMap { commit -> ExpectedObject? in
      try VersionObjects(commit: commit, rows: []).dataFile.map {
        .dataFile($0, version: commit.version)
      }
    }
    let counters = Mutex((objects: 0, bytes: Int64(0)))
    let staged = Mutex([(staging: String, final: String, isLargeFile: Bool)]())
    defer {
      for file in staged.withLock({ $0 }) { try? LocalFiles.remove(file.staging) }
    }
    @Sendable func fetch(_ object: ExpectedObject) async throws -> [OplogRow] {
      let final = dataRoot + "/" + object.key
      let staging = TemporaryName.make(in: LocalFiles.parentDirectory(of: final))
      let isLargeFile: Bool
      if case .largeFile = object { isLargeFile = true } else { isLargeFile = false }
      staged.withLock { $0.append((staging, final, isLargeFile)) }
      let rows = try await transfers.fetch(object, to: staging)
      let size = (try? LocalFiles.existingStatus(staging).size) ?? 0
      counters.withLock {
        $0.objects += 1
        $0.bytes += size
      }
      return rows
    }
    try await transfers.forEach(dataFiles) { object in
      guard case .dataFile(let file, let version) = object else { return }
      let rows = try await fetch(object)
      let commit = commits.first { $0.version == version }!
      let objects = try VersionObjects(commit: commit, rows: rows)
      precondition(objects.dataFile == file)
      largeFiles.withLock { for large in objects.largeFiles { $0[large.key] = large } }
    }
    let wanted = largeFiles.withLock { $0 }.values
    let missing = try await BlockingPool.shared.run {
      let missing = try wanted.filter { try LocalFiles.status(dataRoot + "/" + $0.key) == nil }
      if !missing.isEmpty {
        do {
          try LocalFiles.makeDirectory(dataRoot + "/" + PondLayout.largeFilesDirectory)
        } catch {
          throw ReplicationError(
            .localIO, "cannot create the large-file directory: \(error)", underlying: error)
        }
      }
      return missing
    }
    try await transfers.forEach(missing) { file in _ = try await fetch(.largeFile(file)) }
    // Every object of the batch is here and checked: publish them (large files first, data files last).
    let url = store.url
    let published = staged.withLock { $0 }.sorted { $0.isLargeFile && !$1.isLargeFile }
    try await BlockingPool.shared.run {
      do {
        for file in published {
          if file.isLargeFile {
            try LocalFiles.publishIfAbsent(file.staging, as: file.final)
          } else {
            try LocalFiles.publishReplacing(file.staging, as: file.final)
          }
        }
      } catch {
        throw ReplicationError(
          .localIO, "cannot install the objects fetched from \(url): \(error)", underlying: error)
      }
    }
    let counted = counters.withLock { $0 }
    installed.objects += counted.objects
    installed.bytes += counted.bytes
  }
}
