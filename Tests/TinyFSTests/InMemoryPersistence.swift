import TinyFS

/// `Persistence` in memory, the tests' stand-in for the pond's oplog: every version of every node.
///
/// Not `Sendable` (mutable, unsynchronized): confine it to the task that owns its `FileSystem`.
final class InMemoryPersistence: Persistence {
  private struct Version {
    var record: NodeRecord
    var payload: NodeWrite.Payload
  }

  private var versions: [NodeID: [Version]] = [:]
  private var committed: Int64 = -1
  /// The open transaction's id and timestamp; its writes are kept apart so they are mutated in place.
  private var open: (id: TransactionID, timestamp: Int64)?
  private var openWrites: [NodeID: NodeWrite] = [:]

  public init() {}

  public var head: TransactionID? { committed < 0 ? nil : TransactionID(rawValue: committed) }

  public func node(_ id: NodeID, at transaction: TransactionID?) throws -> NodeRecord? {
    guard let history = versions[id], let index = latestIndex(in: history, at: transaction) else {
      return nil
    }
    return history[index].record
  }

  public func directoryEntries(_ id: NodeID, at transaction: TransactionID?) throws
    -> [DirectoryEntry]
  {
    guard let history = versions[id], let index = latestIndex(in: history, at: transaction) else {
      throw PersistenceError(
        "directory \(id) does not exist at transaction \(describe(transaction))")
    }
    guard case .directory(let entries) = history[index].payload else {
      throw PersistenceError(
        "node \(id) is a \(history[index].record.entryType), not a directory, at transaction "
          + describe(transaction))
    }
    return entries
  }

  public func content(_ id: NodeID, at transaction: TransactionID?) throws -> [UInt8] {
    guard let history = versions[id], let last = latestIndex(in: history, at: transaction) else {
      throw PersistenceError("node \(id) does not exist at transaction \(describe(transaction))")
    }
    // A series is the concatenation of its appends since the last full content.
    var first = last
    while first > 0, case .append = history[first].payload { first -= 1 }
    var result: [UInt8] = []
    for index in first...last {
      switch history[index].payload {
      case .content(let bytes), .append(let bytes): result += bytes
      case .symlink(let target): result += Array(target.utf8)
      case .directory:
        throw PersistenceError("node \(id) is a directory; it has a listing, not content")
      }
    }
    return result
  }

  public func beginTransaction(timestamp: Int64) throws -> TransactionID {
    precondition(open == nil, "beginTransaction while transaction \(open!.id) is open")
    let id = TransactionID(rawValue: committed + 1)
    open = (id, timestamp)
    openWrites = [:]
    return id
  }

  public func store(_ write: NodeWrite) throws {
    precondition(open != nil, "store(\(write.id)) outside a transaction")
    precondition(openWrites[write.id] == nil, "node \(write.id) stored twice in one transaction")
    let previous = versions[write.id]?.last?.record
    precondition(
      write.version == (previous?.version ?? 0) + 1,
      "node \(write.id) version \(write.version) does not follow \(previous?.version ?? 0)")
    if case .append = write.payload {
      precondition(previous?.entryType == .series, "append to \(write.id), which is not a series")
    }
    openWrites[write.id] = write
  }

  public func commit() throws -> TransactionID {
    guard let transaction = open else { preconditionFailure("commit without a transaction") }
    for write in openWrites.values {
      let previousSize = versions[write.id]?.last?.record.size ?? 0
      let size: UInt64
      switch write.payload {
      case .directory(let entries): size = UInt64(entries.count)
      case .content(let bytes): size = UInt64(bytes.count)
      case .append(let bytes): size = previousSize + UInt64(bytes.count)
      case .symlink(let target): size = UInt64(target.utf8.count)
      }
      let record = NodeRecord(
        id: write.id, parentID: write.parentID, version: write.version, entryType: write.entryType,
        transaction: transaction.id, timestamp: transaction.timestamp, size: size)
      versions[write.id, default: []].append(Version(record: record, payload: write.payload))
    }
    committed = transaction.id.rawValue
    open = nil
    openWrites = [:]
    return transaction.id
  }

  public func rollback() {
    open = nil
    openWrites = [:]
  }

  /// The index of the latest version committed at or before `transaction` (versions are in commit order).
  private func latestIndex(in history: [Version], at transaction: TransactionID?) -> Int? {
    guard let transaction else { return history.isEmpty ? nil : history.count - 1 }
    var low = 0
    var high = history.count
    while low < high {
      let middle = (low + high) / 2
      if history[middle].record.transaction <= transaction {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low == 0 ? nil : low - 1
  }

  private func describe(_ transaction: TransactionID?) -> String {
    transaction.map(String.init(describing:)) ?? "head"
  }
}
