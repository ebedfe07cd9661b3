/// The state of a Delta table at one version, from replaying commits 0 through `version`.
public struct DeltaSnapshot: Sendable {
  /// One replayed commit file.
  public struct Commit: Sendable, Equatable {
    public var version: Int64
    /// The commit's `commitInfo`, when it has one (pond always writes one).
    public var info: CommitInfo?
    /// SHA-256 (lower-case hex) of the commit file's bytes: the next commit's chain link.
    public var sha256: String
    /// The commit file's size in bytes.
    public var size: Int64
  }

  /// The version this snapshot is at.
  public var version: Int64
  public var `protocol`: DeltaProtocol
  public var metadata: TableMetadata
  /// The data files live at `version`, by path.
  public var liveFiles: [String: AddFile]
  /// Every commit 0...version, in order (index = version).
  public var commits: [Commit]
  /// Every data file added in 0...version (live or since removed), by path: time travel needs them all.
  public var everAdded: [String: AddFile]
  /// The version whose commit added each path of `everAdded` (the latest one, if a path was re-added).
  public var addedInVersion: [String: Int64]

  /// SHA-256 of commit file `version`'s bytes.
  public var headCommitSHA256: String { commits[commits.count - 1].sha256 }

  /// `commitInfo.timestamp` of commit `version`, if it has one.
  public var headTimestamp: Int64? { commits[commits.count - 1].info?.timestamp }

  /// The live data files sorted by path.
  public var sortedLiveFiles: [AddFile] { liveFiles.values.sorted { $0.path < $1.path } }
}
