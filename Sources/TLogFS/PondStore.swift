public import DeltaLog
import FoundationEssentials
import PondCrypto
import PondFiles
import PondTime
public import TinyFS

/// An open pond: `$POND/data` (the Delta table) and `$POND/local` (lock and index), with the operations the
/// `pond` commands need. Every changing operation is one transaction: all of it commits, or nothing.
///
/// Not `Sendable`: it owns a `FileSystem`, which is confined to one task.
public final class PondStore {
  /// How a pond is opened.
  public enum Mode: Sendable, Equatable {
    /// Reading only: no lock; sees the latest complete version at open.
    case read
    /// Changing: takes the writer lock (failing at once when held, or waiting when `wait`).
    case write(wait: Bool)
  }

  /// The pond directory.
  public let root: String
  public let persistence: OplogPersistence
  private let lock: PondLock?
  private var liveFileSystem: FileSystem?

  /// The format version written into `metaData.configuration["pond.formatVersion"]`.
  public static let formatVersion = "1"

  /// Opens the pond at `root`.
  public init(root: String, mode: Mode) throws {
    self.root = Self.normalized(root)
    guard let status = try HostIO.status(self.root), status.isDirectory else {
      throw PondError(
        .notAPond, path: self.root, "no pond here (the directory does not exist)",
        hint: "create one with 'pond init', or pass the right --pond / POND")
    }
    // A pond has a log directory; checked before `local/` is created, so that a mistyped --pond is not
    // littered with a lock file.
    guard try HostIO.status(self.root + "/data/_delta_log")?.isDirectory == true else {
      throw PondError(
        .notAPond, path: self.root, "no pond here (no data/_delta_log)",
        hint: "create one with 'pond init', or pass the right --pond / POND")
    }
    if case .write(let wait) = mode {
      if let origin = try Self.origin(ofPond: self.root) {
        throw PondError(
          .readOnlyReplica, path: self.root, "the pond is a read-only replica of \(origin)",
          hint: "'pond pull' brings it up to date; 'pond promote' makes it writable")
      }
      try HostIO.makeDirectory(self.root + "/" + PondLayout.localDirectory)
      lock = try PondLock(pondRoot: self.root, wait: wait)
    } else {
      lock = nil
    }
    persistence = try OplogPersistence(pondRoot: self.root, writable: lock != nil)
  }

  /// Creates a pond at `root` (a new or empty directory): version 0 holds the empty root directory.
  ///
  /// `withTables` false makes a pond as releases before tables did (for the tests of schema evolution).
  @discardableResult
  public static func create(
    root: String, birthplace: String?, commandLine: String, withTables: Bool = true
  ) throws -> PondStore {
    let root = normalized(root)
    if let status = try HostIO.status(root) {
      guard status.isDirectory else {
        throw PondError(.alreadyExists, path: root, "a file is in the way")
      }
      if try HostIO.status(root + "/data/" + DeltaTable.commitKey(version: 0)) != nil {
        throw PondError(
          .alreadyExists, path: root, "a pond already exists here",
          hint: "use it, or choose another directory")
      }
      // Only an empty directory, or what an interrupted 'pond init' left (data/ and local/ without a
      // version 0), becomes a pond: never a directory that holds other things.
      let entries = try HostIO.converting { try LocalFiles.names(inDirectory: root) } ?? []
      let others = entries.filter { $0 != "data" && $0 != "local" }.sorted()
      guard others.isEmpty else {
        throw PondError(
          .alreadyExists, path: root,
          "the directory is not empty (it holds \(others.prefix(3).joined(separator: ", "))"
            + (others.count > 3 ? ", ..." : "") + ")",
          hint: "create the pond in a new or empty directory")
      }
    } else {
      do {
        try LocalFiles.makeDirectories(root)
      } catch {
        throw PondError(
          .io, path: root, "cannot create the directory: \(error)",
          hint: "check the path and the permissions of its parent")
      }
    }
    try HostIO.makeDirectory(root + "/" + PondLayout.dataDirectory)
    try HostIO.makeDirectory(root + "/" + PondLayout.localDirectory)
    let lock = try PondLock(pondRoot: root, wait: false)
    let now = UTCMicroseconds.now()
    let rootRow = OplogRow(
      partID: .root, nodeID: .root, version: 1, transaction: 0, timestamp: now.rawValue,
      entryType: .directory, content: DirectoryListing.encode([]), size: 0,
      sha256: Hex.encode(SHA256.hash(DirectoryListing.encode([]))), blob: nil)
    let writer = OplogWriter(dataRoot: root + "/" + PondLayout.dataDirectory)
    let add = try writer.writeDataFile([rootRow], version: 0, withTables: withTables)
    let configuration = [
      "pond.formatVersion": formatVersion,
      "pond.birthplace": birthplace ?? ProcessInfo.processInfo.hostName,
    ]
    let result: CommitResult
    do {
      let versionZero = try CommitFile.first(
        schema: Oplog.deltaSchema(withTables: withTables), configuration: configuration,
        id: UUID().uuidString.lowercased(),
        adds: [add], operationParameters: ["command": commandLine],
        timestamp: UTCMilliseconds(now).rawValue)
      result = try PondLog(dataRoot: root + "/" + PondLayout.dataDirectory).table.write(versionZero)
    } catch {
      throw PondError(
        .io, path: root + "/" + PondLayout.dataDirectory, "cannot write version 0: \(error)")
    }
    guard case .committed = result else {
      throw PondError(.alreadyExists, path: root, "a pond already exists here")
    }
    // The new directories' entries, down from the pond's parent, must survive a power cut too.
    try HostIO.syncDirectory(root + "/" + PondLayout.localDirectory)
    try HostIO.syncDirectory(root + "/" + PondLayout.dataDirectory)
    try HostIO.syncDirectory(root)
    try HostIO.syncDirectory(LocalFiles.parentDirectory(of: root))
    withExtendedLifetime(lock) {}  // held until version 0 and its directories are durable
    return try PondStore(root: root, mode: .read)
  }

  /// `path` without trailing slashes (`/` stays `/`): how a pond's root is named everywhere.
  public static func normalized(_ path: String) -> String {
    var path = path
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    return path
  }

  // MARK: Versions

  /// The latest version.
  public var head: Int64 { persistence.index.head }

  /// The pond id (the Delta table id) and configuration, from version 0.
  public func metadata() throws -> TableMetadata {
    guard let metadata = try persistence.log.commit(0).metadata else {
      throw PondError(
        .corrupt, path: root + "/" + PondLayout.dataDirectory, "version 0 has no metaData")
    }
    return metadata
  }

  /// Resolves `--at`: a version number, or an ISO 8601 time (the latest version committed at or before it).
  public func version(at specification: String) throws -> Int64 {
    if let version = Int64(specification) {
      guard version >= 0, version <= head else {
        throw PondError(
          .noSuchVersion, path: root, "version \(version) does not exist",
          hint: "the pond's versions are 0...\(head)")
      }
      return version
    }
    guard let milliseconds = UTCMilliseconds(iso8601: specification)?.rawValue else {
      throw PondError(
        .invalidArgument, path: root,
        "'\(specification)' is neither a version number nor an ISO 8601 time",
        hint: "write e.g. --at 12 or --at 2026-11-24T20:15:00Z")
    }
    guard let found = try persistence.index.version(committedAtOrBefore: milliseconds) else {
      throw PondError(
        .noSuchVersion, path: root, "the pond did not exist yet at \(specification)",
        hint:
          "version 0 was committed at \(Self.formatTime(try persistence.index.commit(0).timestamp))"
      )
    }
    return found
  }

  /// ISO 8601 UTC with milliseconds.
  public static func formatTime(_ milliseconds: Int64) -> String {
    UTCMilliseconds(rawValue: milliseconds).description
  }

  /// The file system at `version` (read-only), or the live one (writable when opened for writing).
  public func fileSystem(at version: Int64? = nil) throws -> FileSystem {
    if let version {
      return try FileSystem(persistence: persistence, at: TransactionID(rawValue: version))
    }
    if let liveFileSystem { return liveFileSystem }
    let fileSystem = try FileSystem(persistence: persistence)
    liveFileSystem = fileSystem
    return fileSystem
  }

  /// Runs `body` as one transaction recorded with `commandLine`; nothing is written when it throws.
  public func change<Result>(commandLine: String, _ body: (FileSystem) throws -> Result) throws
    -> Result
  {
    persistence.commandLine = commandLine
    let fileSystem = try fileSystem()
    return try fileSystem.transaction { try body(fileSystem) }
  }

  // MARK: Paths of nodes

  /// The path of node `id` at `version`, or nil when it is not reachable from the root then.
  public func path(of id: NodeID, at version: Int64) -> String? {
    let transaction = TransactionID(rawValue: version)
    var names: [String] = []
    var current = id
    var hops = 0
    while current != .root {
      hops += 1
      guard hops < 10_000, let record = try? persistence.node(current, at: transaction),
        let entries = try? persistence.directoryEntries(record.parentID, at: transaction),
        let entry = entries.first(where: { $0.id == current })
      else { return nil }
      names.append(entry.name)
      current = record.parentID
    }
    return "/" + names.reversed().joined(separator: "/")
  }
}
