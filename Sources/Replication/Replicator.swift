import FoundationEssentials
public import ObjectStore
import PondFiles
import Synchronization
import TLogFS

/// Replication between the pond at `pondRoot` and one remote: push, pull and verify (restore makes a pond,
/// see `Replicator.restore`). The remote holds a byte-identical copy of the pond's `data/`; DeltaLog's rules
/// decide what a valid commit is; every fetched object is checked before it is installed.
public struct Replicator: Sendable {
  public let pondRoot: String
  public let store: any ObjectStore
  /// How many objects move at once.
  public var concurrency: Int
  /// Called with a line of progress (the CLI shows it on a terminal).
  public var progress: @Sendable (String) -> Void

  public static let defaultConcurrency = 8
  /// Versions whose objects move together before their commits are written in order.
  static let batchSize: Int64 = 64

  public init(
    pondRoot: String, store: any ObjectStore, concurrency: Int = Replicator.defaultConcurrency,
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.pondRoot = pondRoot
    self.store = store
    self.concurrency = max(1, concurrency)
    self.progress = progress
  }

  var log: RemoteLog { RemoteLog(store: store) }
  var transfers: Transfers { Transfers(store: store, concurrency: concurrency) }
  var dataRoot: String { pondRoot + "/" + PondLayout.dataDirectory }
}

/// What a push did.
public struct PushReport: Sendable, Codable, Equatable {
  public var remote: String
  /// The remote's head before and after (-1: no commit).
  public var remoteHeadBefore: Int64
  public var remoteHead: Int64
  public var localHead: Int64
  public var versionsPushed: Int64
  public var objectsUploaded: Int
  /// Objects already on the remote with the right size (from an interrupted push), not sent again.
  public var objectsPresent: Int
  public var bytesUploaded: Int64
}

extension Replicator {
  /// Ships every local version after the remote's head, in order: for each, the large files its rows name and
  /// its data file (concurrently, skipped when present with the right size), then its commit file with
  /// put-if-absent, only once all objects of its version are stored.
  ///
  /// The remote's head is found from the head this pond last saw there (one GET to confirm it holds our bytes,
  /// one HEAD for the next version), or by listing on a cold start.
  ///
  /// - Throws: `ReplicationError` `.diverged` when the remote holds other bytes at a version (nothing more is
  ///   written), `.invalidArgument` from a read-only replica.
  public func push() async throws -> PushReport {
    try await LocalPond.with(pondRoot) { origin, _ in
      if let origin {
        throw ReplicationError(
          .invalidArgument, "the pond is a read-only replica of \(origin); a replica does not push",
          hint: "'pond promote' makes it writable, and its pushes then continue its history")
      }
    } _: { pond in
      try await push(from: pond)
    }
  }

  private func push(from pond: LocalPond) async throws -> PushReport {
    let localHead = pond.head
    var agreed: Int64 = -1
    let remoteHead: Int64
    if let known = pond.lastSeenHeads[store.url], known >= 0, known <= localHead,
      let bytes = try await log.commitBytes(known), bytes == (try await pond.commit(known).bytes)
    {
      agreed = known
      remoteHead = try await log.head(after: known)
    } else {
      progress("listing \(store.url)")
      do {
        remoteHead = try await log.listedHead()
      } catch let error as ReplicationError where error.code == .damaged && error.version ?? 0 > 0 {
        // A gap at version g: filled with this pond's commit g only when the remote's g + 1 chains onto it
        // (the commits after the gap are this pond's history); otherwise nothing is written.
        let gap = error.version!
        guard gap <= localHead else { throw error }
        if let next = try await log.commit(gap + 1) {
          do {
            try next.checkChain(onto: try await pond.commit(gap).head)
          } catch {
            throw try await log.divergence(at: gap + 1, local: pond, action: "push")
          }
        }
        progress("filling the gap at version \(gap) of \(store.url)")
        remoteHead = gap - 1
      }
    }
    let overlap = min(remoteHead, localHead)
    if overlap > agreed, let version = try await log.firstDifference(from: pond, through: overlap) {
      throw try await log.divergence(at: version, local: pond, action: "push")
    }
    await pond.recordHead(overlap, of: store.url)
    let counters = Mutex((uploaded: 0, present: 0, bytes: Int64(0)))
    var report: PushReport {
      let counted = counters.withLock { $0 }
      return PushReport(
        remote: store.url, remoteHeadBefore: remoteHead, remoteHead: max(remoteHead, overlap),
        localHead: localHead, versionsPushed: 0, objectsUploaded: counted.uploaded,
        objectsPresent: counted.present, bytesUploaded: counted.bytes)
    }
    var pushed = remoteHead
    var written: Int64 = 0  // commits this push created (a resumed push finds some of its own)
    var next = remoteHead + 1
    while next <= localHead {
      let batch = next...min(localHead, next + Self.batchSize - 1)
      let dataRoot = self.dataRoot
      let uploads = try await pond.run { local in
        var uploads: [String: (ExpectedObject, path: String, size: Int64)] = [:]
        for version in batch {
          let objects = try local.pond.objects(ofVersion: version)
          for file in objects.largeFiles {
            let path = dataRoot + "/" + file.key
            let size = try LocalFiles.existingStatus(path).size
            uploads[file.key] = (.largeFile(file), path, size)
          }
          if let file = objects.dataFile {
            uploads[file.key] = (
              .dataFile(file, version: version), dataRoot + "/" + file.key, file.size
            )
          }
        }
        return uploads
      }
      progress(
        "pushing versions \(batch.lowerBound)...\(batch.upperBound) of \(localHead): \(uploads.count) objects"
      )
      try await transfers.forEach(uploads.values) { object, path, size in
        let sent = try await upload(object, from: path, size: size)
        counters.withLock {
          if sent {
            $0.uploaded += 1
            $0.bytes += size
          } else {
            $0.present += 1
          }
        }
      }
      for version in batch {
        let commit = try await pond.commit(version)
        let result = try await store.putIfAbsent(
          commit.key, bytes: commit.bytes, modificationTime: commit.info?.timestamp)
        if result == .alreadyExists, try await log.commitBytes(version) != commit.bytes {
          await pond.recordHead(pushed, of: store.url)
          throw try await log.divergence(at: version, local: pond, action: "push")
        }
        if result == .created {
          written += 1
          counters.withLock { $0.bytes += Int64(commit.bytes.count) }
        }
        pushed = version
        await pond.recordHead(version, of: store.url)
      }
      next = batch.upperBound + 1
    }
    var final = report
    final.remoteHead = max(pushed, remoteHead)
    final.versionsPushed = written
    return final
  }

  /// Stores `object` (the local file at `path`, `size` bytes) on the remote unless it is there with the right
  /// size; a data file found there is also fetched and checked against its SHA-256, and replaced when it does
  /// not match (no commit names it yet). Returns true when it was sent.
  ///
  /// Every object is checked against its commit before it leaves (a data file when `objects(ofVersion:)` read
  /// it, a large file here). A large file found on the remote with the right size is not fetched: its name
  /// is the SHA-256 of its content, objects are stored whole, and `pond verify --deep` re-hashes every one.
  private func upload(_ object: ExpectedObject, from path: String, size: Int64) async throws -> Bool
  {
    if let info = try await store.head(object.key), info.size == size {
      guard case .dataFile = object else { return false }
      let staging = TemporaryName.make(in: pondRoot + "/" + PondLayout.localDirectory)
      defer { try? LocalFiles.remove(staging) }
      do {
        _ = try await transfers.fetch(object, to: staging)
        return false
      } catch let error as ReplicationError where error.code == .damaged {
        progress("replacing \(object.key): \(error.message)")
      }
    }
    // Only what matches its commit leaves: a damaged local object would make the remote's version
    // unreadable. A data file was read hash-checked by `objects(ofVersion:)` already; a large file is checked
    // here, once, and only when it is sent.
    if case .largeFile = object {
      do {
        _ = try await object.check(fileAt: path)
      } catch let error as PondError where error.code == .corrupt {
        throw ReplicationError(
          .localIO, "this pond's \(object.key) does not match its commit: \(error.message)",
          hint: "nothing of its version was pushed; run 'pond fsck'")
      }
    }
    try await store.put(object.key, contentsOf: URL(fileURLWithPath: path))
    return true
  }
}
