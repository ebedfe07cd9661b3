import PondTime

/// A POSIX-like tree of directories, files, series, symbolic links and dynamic directories over a `Persistence`.
///
/// Paths are absolute (`/a/b`) or relative to the root (there is no working directory); `//` and a trailing
/// `/` collapse, `.` is the current directory and `..` the parent of the directory reached so far (after
/// following symbolic links, as in POSIX), with `..` at the root staying at the root. Symbolic links are
/// followed in intermediate components and, for `stat`-like operations, in the final one; more than
/// `maximumSymlinkHops` links in one resolution is a `symlinkLoop` error.
///
/// Every mutating call is one transaction unless it runs inside `transaction(_:)`, which groups calls into one.
/// Within a transaction each changed node gets exactly one new version, and directory listings are written
/// once, at commit, as full snapshots; so a node's version counts the transactions that changed it.
///
/// Not `Sendable`: it caches listings and holds the open transaction; confine it to one task (the CLI is a
/// short-lived single-threaded process).
public final class FileSystem {
  /// The most symbolic links followed while resolving one path.
  public static let maximumSymlinkHops = 40

  /// Where the nodes live.
  public let persistence: any Persistence
  /// The transaction this file system reads at; nil for the live, writable state.
  public let snapshotTransaction: TransactionID?
  /// True for a snapshot: every change fails with `readOnly`.
  public var isReadOnly: Bool { snapshotTransaction != nil }

  let idGenerator: UUIDv7Generator
  let factories: [String: any DynamicDirectoryFactory]
  /// Committed listings, keyed by directory; a listing moves to `pending` while a transaction changes it.
  /// Names are keyed by their bytes: two names that differ only in Unicode normalization are two entries.
  var listingCache: [NodeID: [NameKey: DirectoryEntry]] = [:]
  var pending: Pending?

  /// Opens the tree in `persistence`, creating the root directory (transaction 0) when it is empty.
  ///
  /// - Parameters:
  ///   - transaction: read the tree as it was right after this transaction, read-only; nil for the latest.
  ///   - dynamicFactories: the factories `.dynamic` nodes name, by name.
  ///   - idGenerator: makes node ids; share one between file systems of one process to keep ids monotonic.
  public init(
    persistence: any Persistence, at transaction: TransactionID? = nil,
    dynamicFactories: [String: any DynamicDirectoryFactory] = [:],
    idGenerator: UUIDv7Generator = UUIDv7Generator()
  ) throws {
    self.persistence = persistence
    self.snapshotTransaction = transaction
    self.factories = dynamicFactories
    self.idGenerator = idGenerator
    if let transaction {
      guard let head = persistence.head, transaction <= head,
        try persistence.node(.root, at: transaction) != nil
      else {
        throw PersistenceError(
          "transaction \(transaction) does not exist (head is \(persistence.head.map { "\($0)" } ?? "none"))"
        )
      }
    } else if try persistence.node(.root, at: nil) == nil {
      guard persistence.head == nil else {
        throw PersistenceError(
          "the persistence has transactions up to \(persistence.head!) but no root directory \(NodeID.root)"
        )
      }
      _ = try persistence.beginTransaction(timestamp: UTCMicroseconds.now().rawValue)
      do {
        try persistence.store(
          NodeWrite(
            id: .root, parentID: .root, version: 1, entryType: .directory, payload: .directory([])))
        _ = try persistence.commit()
      } catch {
        persistence.rollback()
        throw error
      }
    }
  }
}
