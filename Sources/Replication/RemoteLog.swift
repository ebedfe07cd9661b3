public import DeltaLog
public import ObjectStore
import PondFiles
import PondTime
import TLogFS

/// The Delta log of a remote, read through its object store with DeltaLog's rules (`CommitFile`,
/// `LogListing`): the commit files by name, the head by listing, and the first version at which it and a
/// local pond differ.
struct RemoteLog {
  let store: any ObjectStore

  /// The bytes of commit `version`, or nil when the remote has none.
  func commitBytes(_ version: Int64) async throws -> [UInt8]? {
    do {
      return try await store.get(PondLayout.commitKey(version: version))
    } catch let error as ObjectStoreError where error.kind == .notFound {
      return nil
    }
  }

  /// Commit `version`, parsed, or nil when the remote has none.
  func commit(_ version: Int64) async throws -> CommitFile? {
    guard let bytes = try await commitBytes(version) else { return nil }
    do {
      return try CommitFile(parsing: bytes, version: version)
    } catch {
      throw ReplicationError(
        .damaged,
        "\(store.url): \(PondLayout.commitKey(version: version)) is not a valid commit: \(error)",
        hint: "run 'pond verify --deep' against it", version: version)
    }
  }

  /// The remote's head by listing its log (a cold start): -1 when the remote holds no commit.
  ///
  /// - Throws: `.damaged` when the log does not start at version 0 or has a gap.
  func listedHead() async throws -> Int64 {
    var versions: [Int64] = []
    for try await object in store.objects(prefix: DeltaTable.logPrefix) {
      if let version = LogListing.version(ofKey: object.key) { versions.append(version) }
    }
    if versions.isEmpty { return -1 }
    do {
      return try LogListing.head(of: versions.lazy.map { PondLayout.commitKey(version: $0) })
    } catch {
      throw ReplicationError(
        .damaged, "\(store.url): the log is damaged: \(error)",
        hint: "run 'pond verify --deep' against it; push from the writer to fill the gap",
        version: error.version)
    }
  }

  /// Walks forward by name from `head` (a version the remote holds) while the next commit exists: one
  /// request when nothing is new.
  func head(after head: Int64) async throws -> Int64 {
    var head = head
    while try await store.head(PondLayout.commitKey(version: head + 1)) != nil { head += 1 }
    return head
  }

  /// The first version at or below `through` at which the remote's commit differs from `local`'s, or nil
  /// when they agree up to `through`. One request when they agree; a binary search otherwise (each commit
  /// names its predecessor's hash, so agreeing at a version means agreeing at every version before it).
  func firstDifference(from local: LocalPond, through: Int64) async throws -> Int64? {
    guard through >= 0 else { return nil }
    func differs(_ version: Int64) async throws -> Bool {
      try await commitBytes(version) != (try await local.commit(version).bytes)
    }
    guard try await differs(through) else { return nil }
    var low: Int64 = 0  // the first difference is in low...high
    var high = through
    while low < high {
      let middle = low + (high - low) / 2
      if try await differs(middle) { high = middle } else { low = middle + 1 }
    }
    return low
  }

  /// The error for histories that differ at `version`, naming both sides' commit.
  func divergence(at version: Int64, local: LocalPond, action: String) async throws
    -> ReplicationError
  {
    let localCommit = try await local.commit(version)
    let remoteSide = try await commit(version).map(Self.describe) ?? "nothing"
    if version == 0 {
      return ReplicationError(
        .diverged,
        "\(store.url) holds another pond (its version 0 is \(remoteSide); this pond's is "
          + "\(Self.describe(localCommit)))",
        hint: "\(action) to a remote of this pond, or to a new, empty prefix", version: 0)
    }
    return ReplicationError(
      .diverged,
      "the histories diverged at version \(version): \(store.url) has \(remoteSide); this pond has "
        + Self.describe(localCommit),
      hint:
        "nothing more was changed; decide which history to keep (another writer pushed to the remote)",
      version: version)
  }

  /// "version 4 of 2026-12-06T14:00:00.000Z by `pond copy a /a`".
  static func describe(_ commit: CommitFile) -> String {
    let time =
      commit.info.map { UTCMilliseconds(rawValue: $0.timestamp).description } ?? "an unknown time"
    let command = commit.info?.operationParameters["command"] ?? commit.info?.operation ?? "?"
    return "version \(commit.version) of \(time) by `\(command)`"
  }
}
