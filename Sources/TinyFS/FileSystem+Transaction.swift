import PondTime

// The open transaction: how changes wait in `pending`, how reads see them, and how they commit.

extension FileSystem {
  /// Runs `body` as one transaction: all its changes commit together, or none when it throws.
  ///
  /// Nested calls join the outermost transaction.
  @discardableResult
  public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
    if pending != nil { return try body() }
    if let snapshotTransaction {
      throw FileSystemError(
        .readOnly, operation: "transaction", path: "/",
        hint: "this file system is a snapshot at transaction \(snapshotTransaction)")
    }
    pending = Pending()
    let result: Result
    do {
      result = try body()
      try commitPending()
    } catch {
      pending = nil  // dirty listings were taken out of the cache, so nothing stale remains
      // What the body staged with the persistence (large bodies, table descriptions) goes too, so that it
      // cannot attach to a later transaction of this process.
      persistence.rollback()
      throw error
    }
    return result
  }

  enum PendingPayload {
    case content([UInt8])
    case append([UInt8])
    case symlink(String)
    /// Only the parent changed: the content is copied from the latest version at commit.
    case unchanged
  }

  struct PendingWrite {
    var entryType: EntryType
    var payload: PendingPayload
  }

  /// The changes of the open transaction, written to persistence at commit.
  struct Pending {
    /// Changed listings of directories (taken out of `listingCache` while dirty).
    var listings: [NodeID: [NameKey: DirectoryEntry]] = [:]
    /// New content of non-directory nodes.
    var writes: [NodeID: PendingWrite] = [:]
    /// The parent of each node created or moved in this transaction.
    var parents: [NodeID: NodeID] = [:]
  }

  func changing(_ op: Operation, _ body: () throws -> Void) throws {
    if let snapshotTransaction {
      throw op.fail(
        .readOnly, hint: "this file system is a snapshot at transaction \(snapshotTransaction)")
    }
    try transaction(body)
  }

  private func commitPending() throws {
    guard let changes = pending, !changes.listings.isEmpty || !changes.writes.isEmpty else {
      pending = nil
      return
    }
    _ = try persistence.beginTransaction(timestamp: UTCMicroseconds.now().rawValue)
    do {
      let ids = Set(changes.listings.keys).union(changes.writes.keys).sorted()
      for id in ids {
        let previous = try persistence.node(id, at: nil)
        let parent = changes.parents[id] ?? previous?.parentID
        guard let parent else {
          preconditionFailure("node \(id) has neither a record nor a parent")
        }
        let version = (previous?.version ?? 0) + 1
        let write: NodeWrite
        if let listing = changes.listings[id] {
          let sorted = listing.values.sorted { $0.name.precedesByBytes($1.name) }
          write = NodeWrite(
            id: id, parentID: parent, version: version, entryType: .directory,
            payload: .directory(sorted))
        } else {
          let change = changes.writes[id]!
          let payload: NodeWrite.Payload =
            switch change.payload {
            case .content(let bytes): .content(bytes)
            case .append(let bytes): .append(bytes)
            case .symlink(let target): .symlink(target)
            case .unchanged:
              switch change.entryType {
              case .series, .tableSeries: .append([])
              case .symlink:
                .symlink(String(decoding: try persistence.content(id, at: nil), as: UTF8.self))
              case .file, .table, .dynamic, .directory:
                .content(try persistence.content(id, at: nil))
              }
            }
          write = NodeWrite(
            id: id, parentID: parent, version: version, entryType: change.entryType,
            payload: payload)
        }
        try persistence.store(write)
      }
      _ = try persistence.commit()
    } catch {
      persistence.rollback()
      throw error
    }
    for (id, listing) in changes.listings { listingCache[id] = listing }
    pending = nil
  }

  /// The listing of a stored directory, from the open transaction, the cache, or persistence.
  func entries(of id: NodeID) throws -> [NameKey: DirectoryEntry] {
    if let listing = pending?.listings[id] { return listing }
    if let listing = listingCache[id] { return listing }
    let loaded = try persistence.directoryEntries(id, at: snapshotTransaction)
    var listing = [NameKey: DirectoryEntry](minimumCapacity: loaded.count)
    for entry in loaded {
      guard listing.updateValue(entry, forKey: NameKey(entry.name)) == nil else {
        throw PersistenceError(
          "directory \(id) lists the name '\(entry.name)' twice at transaction "
            + (snapshotTransaction.map { "\($0)" } ?? "head")
            + "; the stored listing is corrupt ('pond fsck' checks a pond)")
      }
    }
    listingCache[id] = listing
    return listing
  }

  /// Changes a directory's listing in the open transaction, in place.
  func modifyEntries(
    of id: NodeID, _ change: (inout [NameKey: DirectoryEntry]) throws -> Void
  ) throws {
    precondition(pending != nil, "modifyEntries outside a transaction")
    if pending!.listings[id] == nil {
      try moveToPending(id)
    }
    try change(&pending!.listings[id]!)
  }

  /// Moves a committed listing into the open transaction, leaving it uniquely referenced so that changes to
  /// it are in place (O(1) per entry, not a copy of the listing per change).
  private func moveToPending(_ id: NodeID) throws {
    let listing = try entries(of: id)
    listingCache[id] = nil
    pending!.listings[id] = listing
  }

  /// The content of a stored non-directory node, including the open transaction's changes.
  func storedContent(_ id: NodeID) throws -> [UInt8] {
    switch pending?.writes[id]?.payload {
    case .content(let bytes): return bytes
    case .append(let bytes): return try persistence.content(id, at: snapshotTransaction) + bytes
    case .symlink(let target): return Array(target.utf8)
    case .unchanged, nil: return try persistence.content(id, at: snapshotTransaction)
    }
  }
}
