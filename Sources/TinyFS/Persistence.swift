/// A transaction number: the Delta table version that wrote a change (from 0, increasing by one).
public struct TransactionID: RawRepresentable, Hashable, Comparable, Sendable,
  CustomStringConvertible
{
  public let rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static func < (lhs: TransactionID, rhs: TransactionID) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
  public var description: String { String(rawValue) }
}

/// What a node is; the raw value is the oplog's `entry_type` column.
public enum EntryType: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// A stored directory: its content is a full listing snapshot.
  case directory
  /// A regular file: each version holds its whole content.
  case file
  /// A symbolic link: its content is the UTF-8 target.
  case symlink
  /// An append-only file: each version holds only the bytes appended; the content is their concatenation.
  case series
  /// A directory whose children are computed; its content names a factory and its configuration.
  case dynamic
  /// A table: each version holds a whole Parquet file (like a file), described by the row (docs/tables.md).
  case table
  /// A series of tables: each version holds one more Parquet file, whose rows join the series; stored like
  /// a series (the content is the concatenation of its versions' bytes).
  case tableSeries = "table-series"

  /// True for entries that can be listed and descended into.
  public var isDirectory: Bool { self == .directory || self == .dynamic }

  /// True for the entries whose versions hold Parquet tables.
  public var isTable: Bool { self == .table || self == .tableSeries }

  /// True for the append-only entries: each version holds only the bytes it appended.
  public var isAppendOnly: Bool { self == .series || self == .tableSeries }

  public var description: String { rawValue }
}

/// One name in a directory listing snapshot: name -> node id and entry type.
///
/// Equal when the names are the same bytes: names that differ only in Unicode normalization are different
/// entries, as in a POSIX directory.
public struct DirectoryEntry: Hashable, Sendable {
  public var name: String
  public var id: NodeID
  public var entryType: EntryType

  public init(name: String, id: NodeID, entryType: EntryType) {
    self.name = name
    self.id = id
    self.entryType = entryType
  }

  // The synthesized `hash(into:)` stays consistent: equal bytes are equal Strings, which hash alike.
  public static func == (lhs: DirectoryEntry, rhs: DirectoryEntry) -> Bool {
    lhs.name.hasSameBytes(as: rhs.name) && lhs.id == rhs.id && lhs.entryType == rhs.entryType
  }
}

/// The metadata of one version of one node, as persistence returns it (one oplog row without its content).
public struct NodeRecord: Hashable, Sendable {
  public var id: NodeID
  /// The directory that held the node when this version was written (the oplog's `part_id`; the root's is
  /// itself). A move to another directory writes a new version with unchanged content and the new parent.
  public var parentID: NodeID
  /// Per-node version, from 1, incremented by every transaction that changes the node.
  public var version: UInt64
  public var entryType: EntryType
  /// The transaction that wrote this version.
  public var transaction: TransactionID
  /// When that transaction began, microseconds since the Unix epoch (UTC).
  public var timestamp: Int64
  /// Logical size: content bytes for files, series and symlinks (the whole series, not just this version's
  /// bytes); the number of entries for directories.
  public var size: UInt64

  public init(
    id: NodeID, parentID: NodeID, version: UInt64, entryType: EntryType, transaction: TransactionID,
    timestamp: Int64, size: UInt64
  ) {
    self.id = id
    self.parentID = parentID
    self.version = version
    self.entryType = entryType
    self.transaction = transaction
    self.timestamp = timestamp
    self.size = size
  }
}

/// A new version of one node, handed to persistence inside a transaction.
public struct NodeWrite: Sendable {
  /// What the version holds.
  public enum Payload: Sendable, Equatable {
    /// A full directory listing snapshot, sorted by the names' UTF-8 bytes.
    case directory([DirectoryEntry])
    /// The whole content of a file, or the configuration of a dynamic directory.
    case content([UInt8])
    /// Bytes appended to a series: the new content is the previous version's content followed by these.
    case append([UInt8])
    /// A symbolic link's target.
    case symlink(String)

    /// Equal when the listings' names and link targets are the same bytes.
    public static func == (lhs: Payload, rhs: Payload) -> Bool {
      switch (lhs, rhs) {
      case (.directory(let lhs), .directory(let rhs)): lhs == rhs
      case (.content(let lhs), .content(let rhs)), (.append(let lhs), .append(let rhs)): lhs == rhs
      case (.symlink(let lhs), .symlink(let rhs)): lhs.hasSameBytes(as: rhs)
      default: false
      }
    }
  }

  public var id: NodeID
  public var parentID: NodeID
  /// The new version: 1 for a new node, otherwise one more than the latest committed version.
  public var version: UInt64
  public var entryType: EntryType
  public var payload: Payload

  public init(id: NodeID, parentID: NodeID, version: UInt64, entryType: EntryType, payload: Payload)
  {
    self.id = id
    self.parentID = parentID
    self.version = version
    self.entryType = entryType
    self.payload = payload
  }
}

/// Where a `FileSystem` keeps its nodes: an append-only history of node versions grouped in transactions.
///
/// Shaped for the Delta-backed oplog (one transaction = one Delta version, one `NodeWrite` = one row); the
/// tests implement it in memory (`InMemoryPersistence`). `FileSystem` stores each changed node at most once per
/// transaction, and always stores a directory with its full listing, so an implementation never merges writes.
/// Reads take `at:`: nil reads the latest committed state, a transaction reads the state right after it was
/// committed (the latest version of the node whose transaction is at most that one). Reads never see the
/// uncommitted writes of an open transaction.
///
/// Not `Sendable`: a persistence belongs to one `FileSystem`, which is confined to one task.
public protocol Persistence: AnyObject {
  /// The latest committed transaction, or nil when nothing was ever committed.
  var head: TransactionID? { get }

  /// The metadata of a node's latest version at `transaction`; nil when the node did not exist then.
  func node(_ id: NodeID, at transaction: TransactionID?) throws -> NodeRecord?

  /// The listing snapshot of a directory at `transaction`, sorted by UTF-8 name; throws when `id` is not a
  /// directory then.
  func directoryEntries(_ id: NodeID, at transaction: TransactionID?) throws -> [DirectoryEntry]

  /// The content of a file, series, symlink or dynamic directory at `transaction`.
  func content(_ id: NodeID, at transaction: TransactionID?) throws -> [UInt8]

  /// Opens a transaction and returns the id it will commit as; `timestamp` is microseconds since the epoch.
  /// Precondition: no transaction is open.
  func beginTransaction(timestamp: Int64) throws -> TransactionID

  /// Adds a node version to the open transaction.
  /// Preconditions: a transaction is open, the node is not yet written in it, and `write.version` follows the
  /// latest committed version (1 for a new node); an `.append` targets an existing series.
  func store(_ write: NodeWrite) throws

  /// Makes the open transaction's writes durable and visible, atomically; returns its id.
  func commit() throws -> TransactionID

  /// Discards the open transaction's writes; does nothing when none is open.
  func rollback()
}

/// A persistence failure that is not a file-system condition: a missing node or corrupt state underneath.
public struct PersistenceError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
