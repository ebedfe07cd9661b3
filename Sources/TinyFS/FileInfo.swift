/// One entry of a directory listing.
///
/// Equal when the names are the same bytes (not merely canonically equivalent).
public struct ListedEntry: Hashable, Sendable {
  public var name: String
  public var entryType: EntryType
  /// The node id; nil for a computed child of a dynamic directory.
  public var id: NodeID?

  // The synthesized `hash(into:)` stays consistent: equal bytes are equal Strings, which hash alike.
  public static func == (lhs: ListedEntry, rhs: ListedEntry) -> Bool {
    lhs.name.hasSameBytes(as: rhs.name) && lhs.entryType == rhs.entryType && lhs.id == rhs.id
  }
}

/// What `stat` and `lstat` report; equal when the strings in it are the same bytes.
public struct FileInfo: Hashable, Sendable {
  /// The resolved path, with symbolic links in it replaced by their targets.
  public var path: String
  /// The final name (empty for the root).
  public var name: String
  public var entryType: EntryType
  /// The node id; nil for a computed child of a dynamic directory.
  public var id: NodeID?
  /// The node's version: how many transactions changed it (an uncommitted change counts); 0 when computed.
  public var version: UInt64
  /// Content bytes for files, series and links; number of entries for directories.
  public var size: UInt64
  public var symlinkTarget: String?
  /// The transaction that wrote the current version; nil when computed or changed in the open transaction.
  public var transaction: TransactionID?
  /// True for a child of a dynamic directory: read-only and without history.
  public var isComputed: Bool

  // The synthesized `hash(into:)` stays consistent: equal bytes are equal Strings, which hash alike.
  public static func == (lhs: FileInfo, rhs: FileInfo) -> Bool {
    lhs.path.hasSameBytes(as: rhs.path) && lhs.name.hasSameBytes(as: rhs.name)
      && lhs.entryType == rhs.entryType && lhs.id == rhs.id && lhs.version == rhs.version
      && lhs.size == rhs.size && sameBytes(lhs.symlinkTarget, rhs.symlinkTarget)
      && lhs.transaction == rhs.transaction && lhs.isComputed == rhs.isComputed
  }
}
