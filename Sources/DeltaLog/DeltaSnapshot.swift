/// The state of a Delta table at one version: its head commit, protocol, metadata and live data files.
///
/// It holds no history: memory grows with the number of live data files, not with the number of versions.
/// Read a past commit with `DeltaTable.commit(_:)`.
public struct DeltaSnapshot: Sendable {
  /// The head commit: version, hash (the next commit's chain link) and time.
  public var head: CommitHead
  public var `protocol`: DeltaProtocol
  public var metadata: TableMetadata
  /// The data files live at `version`, by path.
  public var liveFiles: [String: AddFile]

  /// The version this snapshot is at.
  public var version: Int64 { head.version }
}
