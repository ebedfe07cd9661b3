import Testing
import TinyFS

@Suite("Versions, transactions and persistence")
struct VersionTests {
  @Test func freshPersistenceGetsARootInTransactionZero() throws {
    let (fs, persistence) = try makeFileSystem()
    #expect(persistence.head == TransactionID(rawValue: 0))
    let root = try fs.stat("/")
    #expect(root.id == NodeID.root)
    #expect(root.version == 1)
    #expect(root.entryType == .directory)
    #expect(root.name == "")
    let again = try FileSystem(persistence: persistence)  // opening again writes nothing
    #expect(try again.list("/").isEmpty)
    #expect(persistence.head == TransactionID(rawValue: 0))
  }

  @Test func versionsIncreaseByOnePerChange() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/f", contents: [1])
    #expect(try fs.stat("/f").version == 1)
    #expect(try fs.stat("/").version == 2)
    try fs.writeFile("/f", contents: [2])
    try fs.appendFile("/f", contents: [3])
    #expect(try fs.stat("/f").version == 3)
    #expect(try fs.stat("/").version == 2)  // the listing did not change
    try fs.createDirectory("/d")
    try fs.rename("/f", to: "/d/f")  // a move is a new version of the node (its parent changed)
    #expect(try fs.stat("/d/f").version == 4)
    #expect(try fs.stat("/d").version == 2)
    #expect(try fs.stat("/").version == 4)
  }

  @Test func oneTransactionIsOneVersionPerNode() throws {
    let (fs, persistence) = try makeFileSystem()
    let before = persistence.head!
    try fs.transaction {
      try fs.writeFile("/f", contents: [1])
      try fs.appendFile("/f", contents: [2])
      try fs.createDirectory("/d")
      try fs.writeFile("/d/g", contents: [3])
      #expect(try fs.readFile("/f") == [1, 2])  // the open transaction's changes are visible
      #expect(try fs.stat("/f").transaction == nil)
    }
    #expect(persistence.head!.rawValue == before.rawValue + 1)
    #expect(try fs.stat("/f").version == 1)
    #expect(try fs.stat("/").version == 2)
    #expect(try fs.stat("/f").transaction == persistence.head)
  }

  @Test func idsAreVersion7UniqueAndSortedByCreation() throws {
    let (fs, _) = try makeFileSystem()
    var ids: [NodeID] = []
    for index in 0..<200 {
      try fs.writeFile("/f\(index)", contents: [])
      ids.append(try fs.stat("/f\(index)").id!)
    }
    #expect(ids.allSatisfy { $0.version == 7 && $0.variant == 0b10 })
    #expect(Set(ids).count == ids.count)
    #expect(ids == ids.sorted())
  }

  @Test func rollbackDiscardsEverything() throws {
    let (fs, persistence) = try makeFileSystem()
    try fs.writeFile("/keep", contents: [1])
    let head = persistence.head
    struct Abort: Error {}
    #expect(throws: Abort.self) {
      try fs.transaction {
        try fs.writeFile("/keep", contents: [9])
        try fs.createDirectory("/gone")
        throw Abort()
      }
    }
    #expect(persistence.head == head)
    #expect(try fs.readFile("/keep") == [1])
    #expect(try !fs.exists("/gone"))
    #expect(try fs.stat("/").version == 2)
  }

  @Test func snapshotsReadOldTransactionsAndRefuseWrites() throws {
    let (fs, persistence) = try makeFileSystem()
    try fs.writeFile("/f", contents: "one".bytes)
    let first = persistence.head!
    try fs.writeFile("/f", contents: "two".bytes)
    try fs.writeFile("/g", contents: [])
    let old = try FileSystem(persistence: persistence, at: first)
    #expect(old.isReadOnly)
    #expect(try old.readFile("/f") == "one".bytes)
    #expect(try !old.exists("/g"))
    #expect(try old.stat("/f").version == 1)
    let error = expectError(.readOnly) { try old.writeFile("/f", contents: []) }
    #expect(error?.hint?.contains("snapshot at transaction \(first)") == true)
    expectError(.readOnly) { try old.remove("/f") }
    #expect(try fs.readFile("/f") == "two".bytes)
    #expect(throws: PersistenceError.self) {
      try FileSystem(persistence: persistence, at: TransactionID(rawValue: 99))
    }
  }

  @Test func seriesAppendsStoreOnlyTheNewBytes() throws {
    let (fs, persistence) = try makeFileSystem()
    try fs.createSeries("/s")
    try fs.appendFile("/s", contents: "a,1\n".bytes)
    try fs.appendFile("/s", contents: "b,2\n".bytes)
    #expect(try fs.readFile("/s") == "a,1\nb,2\n".bytes)
    let info = try fs.stat("/s")
    #expect(info.entryType == .series)
    #expect(info.version == 3)
    #expect(info.size == 8)
    let afterFirst = TransactionID(rawValue: persistence.head!.rawValue - 1)
    #expect(try persistence.content(info.id!, at: afterFirst) == "a,1\n".bytes)
    let replace = expectError(.notPermitted) { try fs.writeFile("/s", contents: []) }
    #expect(replace?.hint == "a series is append-only; append with 'pond copy --series'")
    expectError(.exists) { try fs.createSeries("/s") }
    // Inside one transaction, appends to an existing series merge into one `.append` version.
    let recorder = RecordingPersistence()
    let recorded = try FileSystem(persistence: recorder)
    try recorded.createSeries("/s")
    try recorded.transaction {
      try recorded.appendFile("/s", contents: [1])
      try recorded.appendFile("/s", contents: [2])
    }
    #expect(recorder.writes.last?.payload == .append([1, 2]))
    #expect(try recorded.readFile("/s") == [1, 2])
  }

  @Test func persistedShapes() throws {
    let recorder = RecordingPersistence()
    let fs = try FileSystem(persistence: recorder)
    try fs.createDirectory("/d")
    let created = recorder.writes.suffix(2)
    #expect(created.map(\.entryType) == [.directory, .directory])
    let d = try fs.stat("/d").id!
    let root = created.first { $0.id == NodeID.root }
    #expect(root?.payload == .directory([DirectoryEntry(name: "d", id: d, entryType: .directory)]))
    #expect(created.first { $0.id == d }?.parentID == NodeID.root)
    try fs.createSymlink("/d/l", target: "../x")
    #expect(recorder.writes.last { $0.entryType == .symlink }?.payload == .symlink("../x"))
    try fs.writeFile("/b", contents: [])
    try fs.writeFile("/a", contents: [])
    guard
      case .directory(let entries) = recorder.writes.last(where: { $0.id == NodeID.root })?.payload
    else {
      Issue.record("no root listing written")
      return
    }
    #expect(entries.map(\.name) == ["a", "b", "d"])  // snapshots are sorted by name
    let before = recorder.writes.count
    try fs.transaction {
      try fs.writeFile("/d/tmp", contents: [1])
      try fs.remove("/d/tmp")
    }
    #expect(recorder.writes.count == before + 1)  // only /d's listing: the file never existed
    #expect(recorder.writes.last?.id == d)
  }

  @Test func largeDirectoriesStayFast() throws {
    let (fs, _) = try makeFileSystem()
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
      try fs.transaction {
        try fs.createDirectory("/big")
        for index in 0..<100_000 {
          try fs.writeFile("/big/f\(index)", contents: [])
        }
      }
      for index in stride(from: 0, to: 100_000, by: 97) {
        _ = try fs.stat("/big/f\(index)")
      }
      try fs.writeFile("/big/one-more", contents: [1])
    }
    #expect(try fs.list("/big").count == 100_001)
    #expect(try fs.glob("/big/f9999?").count == 10)
    #expect(elapsed < .seconds(60), "100k files in one directory took \(elapsed)")
  }
}

/// An in-memory persistence that also records every write it was given.
final class RecordingPersistence: Persistence {
  private let inner = InMemoryPersistence()
  private(set) var writes: [NodeWrite] = []

  var head: TransactionID? { inner.head }
  func node(_ id: NodeID, at transaction: TransactionID?) throws -> NodeRecord? {
    try inner.node(id, at: transaction)
  }
  func directoryEntries(_ id: NodeID, at transaction: TransactionID?) throws -> [DirectoryEntry] {
    try inner.directoryEntries(id, at: transaction)
  }
  func content(_ id: NodeID, at transaction: TransactionID?) throws -> [UInt8] {
    try inner.content(id, at: transaction)
  }
  func beginTransaction(timestamp: Int64) throws -> TransactionID {
    try inner.beginTransaction(timestamp: timestamp)
  }
  func store(_ write: NodeWrite) throws {
    writes.append(write)
    try inner.store(write)
  }
  func commit() throws -> TransactionID { try inner.commit() }
  func rollback() { inner.rollback() }
}
