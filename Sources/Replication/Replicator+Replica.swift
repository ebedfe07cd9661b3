public import ObjectStore
import PondFiles
import TLogFS

/// What a restore made.
public struct RestoreReport: Sendable, Codable, Equatable {
  public var remote: String
  public var pond: String
  /// The version the pond was restored at.
  public var version: Int64
  public var objectsFetched: Int
  public var bytesFetched: Int64
}

/// What a pull did.
public struct PullReport: Sendable, Codable, Equatable {
  public var remote: String
  public var headBefore: Int64
  public var head: Int64
  public var versionsInstalled: Int64
  public var objectsFetched: Int
  public var bytesFetched: Int64
}

extension Replicator {
  /// Creates the pond at `pondRoot` from the remote, at its head, at `version`, or at the last version
  /// committed at or before `until` (ms): fetches commits 0...N, checks the hash chain, fetches and checks every
  /// object they reference, writes it all into a temporary directory beside `pondRoot`, and moves that into
  /// place only once complete and durable. Never over an existing pond or a non-empty directory.
  ///
  /// The new pond is a read-only replica whose origin is the remote (recorded as the remote `origin`, with
  /// `settings`' S3 options, so `pond pull` needs no arguments).
  public func restore(settings: RemoteSettings, version: Int64? = nil, until: Int64? = nil)
    async throws -> RestoreReport
  {
    let destination = PondStore.normalized(pondRoot)
    let parent = LocalFiles.parentDirectory(of: destination)
    try checkRestoreDestination(destination, parent: parent)
    let temporary = TemporaryName.make(in: parent)
    do {
      let report = try await restore(
        into: temporary, settings: settings, version: version, until: until)
      try await BlockingPool.shared.run {
        try LocalFiles.publishReplacing(temporary, as: destination)
      }
      return RestoreReport(
        remote: report.remote, pond: destination, version: report.version,
        objectsFetched: report.objectsFetched, bytesFetched: report.bytesFetched)
    } catch {
      do {
        // Not cancellable: an unfinished restore is removed even when the task was cancelled.
        try await Task {
          try await BlockingPool.shared.run { try LocalFiles.removeTree(temporary) }
        }
        .value
      } catch let removal {
        throw ReplicationError(
          .localIO,
          "\(error); and the unfinished restore in \(temporary) could not be removed: \(removal)",
          hint: "remove it by hand", underlying: error)
      }
      // Whatever the cancelled work threw (an aborted transfer...), it was an interruption.
      if Task.isCancelled { throw CancellationError() }
      if let error = error as? FileIOError,
        error.errno == .directoryNotEmpty || error.errno == .fileExists
      {
        throw ReplicationError(
          .invalidArgument, "\(destination) appeared while restoring; nothing was changed there",
          hint: "restore into a new directory")
      }
      throw error
    }
  }

  private func checkRestoreDestination(_ destination: String, parent: String) throws {
    do {
      guard try LocalFiles.status(parent)?.isDirectory == true else {
        throw ReplicationError(
          .invalidArgument, "the directory \(parent) does not exist",
          hint: "create it first; restore makes only the pond's own directory")
      }
      if let status = try LocalFiles.status(destination) {
        let names =
          status.isDirectory ? try LocalFiles.names(inDirectory: destination) ?? [] : ["?"]
        guard names.isEmpty else {
          throw ReplicationError(
            .invalidArgument,
            names.contains("data") || names.contains("local")
              ? "a pond already exists at \(destination); restore never writes over one"
              : "\(destination) exists and is not an empty directory",
            hint: "restore into a new directory (pull updates an existing replica)")
        }
      }
    } catch let error as FileIOError {
      throw ReplicationError(.localIO, "cannot check \(destination): \(error)", underlying: error)
    }
  }

  private func restore(
    into temporary: String, settings: RemoteSettings, version: Int64?, until: Int64?
  ) async throws -> RestoreReport {
    let dataRoot = temporary + "/" + PondLayout.dataDirectory
    do {
      try LocalFiles.makeDirectories(dataRoot + "/_delta_log", durable: false)
      try LocalFiles.makeDirectory(temporary + "/" + PondLayout.localDirectory)
    } catch {
      throw ReplicationError(.localIO, "cannot create \(temporary): \(error)", underlying: error)
    }
    progress("listing \(store.url)")
    let remoteHead = try await log.listedHead()
    guard remoteHead >= 0 else {
      throw ReplicationError(
        .invalidArgument, "\(store.url) holds no pond (no commit under _delta_log/)",
        hint: "check the URL; 'pond push' fills a remote")
    }
    if let version, version > remoteHead || version < 0 {
      throw ReplicationError(
        .invalidArgument, "\(store.url) has no version \(version); its head is \(remoteHead)")
    }
    let installed = try await install(
      after: nil, through: version ?? remoteHead, until: until, into: dataRoot)
    guard let head = installed.head else {
      throw ReplicationError(
        .invalidArgument, "the remote's version 0 is later than the time asked for",
        hint: "give a later --at, or none")
    }
    let url = store.url
    try await BlockingPool.shared.run {
      do {
        for directory in [dataRoot + "/_delta_log", dataRoot, temporary] {
          try LocalFiles.syncDirectory(directory)
        }
      } catch {
        throw ReplicationError(
          .localIO, "cannot make \(temporary) durable: \(error)", underlying: error)
      }
      try PondStore.setOrigin(settings.url, ofPond: temporary)
      var registry = try RemoteRegistry(pondRoot: temporary)
      var origin = settings
      origin.name = "origin"
      try registry.add(origin)
      registry.recordHead(head.version, of: url)
      _ = try PondStore.adopt(root: temporary)
    }
    return RestoreReport(
      remote: store.url, pond: temporary, version: head.version,
      objectsFetched: installed.objects, bytesFetched: installed.bytes)
  }

  /// On a read-only replica, installs the remote's versions after the replica's head, in order, under the
  /// writer lock; each version is checked before it is installed. One request when nothing is new.
  public func pull() async throws -> PullReport {
    let pondRoot = self.pondRoot
    // The origin is checked again under the writer lock: a promote meanwhile makes this a writable pond.
    return try await LocalPond.with(pondRoot, locked: true) { origin, locked in
      guard origin != nil else {
        if locked {
          throw ReplicationError(
            .invalidArgument, "the pond at \(pondRoot) was promoted; it is not a replica any more")
        }
        throw ReplicationError(
          .invalidArgument, "the pond at \(pondRoot) is not a replica; pull updates a replica",
          hint: "make one with 'pond restore URL'; a writable pond pushes instead")
      }
    } _: { pond in
      try await pull(into: pond)
    }
  }

  /// `pull()` with the replica open and locked.
  private func pull(into pond: LocalPond) async throws -> PullReport {
    let pondRoot = self.pondRoot
    let headBefore = pond.head
    let installed = try await install(
      after: try await pond.commit(headBefore).head, through: nil, into: dataRoot)
    let head = installed.head?.version ?? headBefore
    if installed.versions > 0 {
      // Brings the index up to the new head.
      try await BlockingPool.shared.run { _ = try PondStore(root: pondRoot, mode: .read) }
    }
    await pond.recordHead(head, of: store.url)
    return PullReport(
      remote: store.url, headBefore: headBefore, head: head, versionsInstalled: installed.versions,
      objectsFetched: installed.objects, bytesFetched: installed.bytes)
  }

  /// Makes the read-only replica at `pondRoot` writable; returns the URL it was a replica of. Its history
  /// continues; a later push to its origin is refused (diverged) if another writer pushed there meanwhile.
  public static func promote(pondRoot: String) throws -> String {
    guard let origin = try PondStore.origin(ofPond: pondRoot) else {
      throw ReplicationError(
        .invalidArgument, "the pond at \(pondRoot) is not a replica; it is writable already")
    }
    let lock = try PondLock(pondRoot: pondRoot, wait: false)  // not while a pull installs versions
    try PondStore.setOrigin(nil, ofPond: pondRoot)
    withExtendedLifetime(lock) {}
    return origin
  }
}
