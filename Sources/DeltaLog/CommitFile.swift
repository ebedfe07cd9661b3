public import PondCrypto

/// What the next commit needs to know of the log's head: its version, its commit file's hash (the chain link)
/// and its time.
public struct CommitHead: Sendable, Hashable {
  public var version: Int64
  /// SHA-256 of the commit file's bytes.
  public var sha256: SHA256Digest
  /// `commitInfo.timestamp` (ms since the epoch), when the commit has one (pond always writes one).
  public var timestamp: Int64?

  public init(version: Int64, sha256: SHA256Digest, timestamp: Int64?) {
    self.version = version
    self.sha256 = sha256
    self.timestamp = timestamp
  }
}

/// One commit file of a Delta log, as a value: its bytes (hashed once) and the actions they hold.
///
/// This is the one place that knows what a valid commit is: how one is parsed and encoded, the hash-chain
/// rule (every commit after version 0 names the SHA-256 of the previous commit file's bytes in
/// `commitInfo."pond.prevCommitSha256"`), the commit-time rule (times strictly grow with the version), and how
/// the first and the next commit of a table are built. It does no I/O: `DeltaTable` drives it over a
/// `Storage`, and replication over an object store.
public struct CommitFile: Sendable, Equatable {
  public let version: Int64
  /// The commit file's bytes, exactly as stored.
  public let bytes: [UInt8]
  /// SHA-256 of `bytes`: the next commit's chain link.
  public let sha256: SHA256Digest
  /// The actions, in file order.
  public let actions: [DeltaAction]

  /// Parses the bytes of commit file `version`: decodes every action (see `DeltaAction.decodeCommit`), refuses a
  /// protocol this reader does not support, and a version 0 without `protocol` and `metaData`.
  public init(parsing bytes: [UInt8], version: Int64) throws(DeltaLogError) {
    let key = DeltaTable.commitKey(version: version)
    let actions = try DeltaAction.decodeCommit(bytes, version: version, path: key)
    for case .protocol(let value) in actions {
      if let problem = value.readProblem {
        throw DeltaLogError(
          .unsupportedProtocol, version: version, path: key, problem,
          hint: "this table needs a newer Delta reader than pond")
      }
    }
    self.init(version: version, bytes: bytes, actions: actions)
    if version == 0, tableProtocol == nil || metadata == nil {
      throw DeltaLogError(
        .invalidAction, version: 0, path: key, "version 0 lacks the protocol or metaData action",
        hint: "this is not the start of a Delta table")
    }
  }

  /// Encodes `actions` as commit file `version`.
  public init(version: Int64, actions: [DeltaAction]) {
    self.init(version: version, bytes: DeltaAction.encodeCommit(actions), actions: actions)
  }

  private init(version: Int64, bytes: [UInt8], actions: [DeltaAction]) {
    precondition(version >= 0, "negative Delta version \(version)")
    self.version = version
    self.bytes = bytes
    self.sha256 = SHA256Digest(hashing: bytes)
    self.actions = actions
  }

  /// The commit file's key in the table: `_delta_log/<version, 20 digits>.json`.
  public var key: String { DeltaTable.commitKey(version: version) }

  /// The first `commitInfo`, when there is one.
  public var info: CommitInfo? {
    for case .commitInfo(let value) in actions { return value }
    return nil
  }

  /// The `protocol` action, when there is one (always in version 0).
  public var tableProtocol: DeltaProtocol? {
    for case .protocol(let value) in actions { return value }
    return nil
  }

  /// The `metaData` action, when there is one (always in version 0).
  public var metadata: TableMetadata? {
    for case .metaData(let value) in actions { return value }
    return nil
  }

  /// The data files this commit adds, in file order.
  public var adds: [AddFile] {
    actions.compactMap { if case .add(let value) = $0 { value } else { nil } }
  }

  /// This commit as the head the next one chains onto.
  public var head: CommitHead {
    CommitHead(version: version, sha256: sha256, timestamp: info?.timestamp)
  }

  // MARK: - The hash chain

  /// Checks the hash-chain rule: version 0 stands alone; every later commit names `previous`'s hash.
  ///
  /// - Parameter previous: the head of version `version - 1` (nil for version 0).
  /// - Throws: `.brokenHashChain` when the link is missing or names other bytes.
  public func checkChain(onto previous: CommitHead?) throws(DeltaLogError) {
    guard version > 0 else { return }
    guard let previous else {
      preconditionFailure("version \(version) checked without its predecessor")
    }
    precondition(
      previous.version == version - 1, "version \(version) checked onto \(previous.version)")
    guard let link = info?.previousCommitSHA256 else {
      throw DeltaLogError(
        .brokenHashChain, version: version, path: key,
        "the commit has no commitInfo.\(CommitInfo.previousCommitKey)",
        hint: "another Delta writer committed it; pond reads only the logs it wrote")
    }
    guard SHA256Digest(hex: link) == previous.sha256 else {
      throw DeltaLogError(
        .brokenHashChain, version: version, path: key,
        "the commit names previous commit sha256 \(link), but version \(version - 1) hashes to "
          + previous.sha256.hex,
        hint: "the log was altered or diverged; compare with a replica")
    }
  }

  // MARK: - The commit-time rule

  /// The time of a commit proposed at `proposed` (ms) after `previous`: at least 1 ms after it, so that commit
  /// times strictly grow with the version and "as of" resolution is well defined, even when the clock steps
  /// back or two commits fall in one millisecond.
  public static func time(_ proposed: Int64, after previous: CommitHead?) throws(DeltaLogError)
    -> Int64
  {
    guard let previous, let last = previous.timestamp else { return proposed }
    let (next, overflow) = last.addingReportingOverflow(1)
    guard !overflow else {
      throw DeltaLogError(
        .invalidAction, version: previous.version,
        path: DeltaTable.commitKey(version: previous.version),
        "the commit's timestamp is the largest possible; no later commit can follow it")
    }
    return max(proposed, next)
  }

  // MARK: - Building commits

  /// Version 0 of a new table: `commitInfo`, `protocol` (1, 2), `metaData` and `adds`.
  ///
  /// - Parameters:
  ///   - configuration: `pond.*` settings, added to the history-preserving `delta.*` configuration.
  ///   - timestamp: the commit's time, also the table's `createdTime` (ms).
  public static func first(
    schema: DeltaSchema, configuration: [String: String], id: String, adds: [AddFile],
    operationParameters: [String: String] = [:], timestamp: Int64
  ) throws(DeltaLogError) -> CommitFile {
    var fullConfiguration = TableMetadata.historyPreservingConfiguration
    for (key, value) in configuration {
      guard key.hasPrefix("pond.") else {
        throw DeltaLogError(
          .invalidArgument, "configuration key '\(key)' is not a pond.* setting",
          hint: "the delta.* settings are fixed by pond")
      }
      fullConfiguration[key] = value
    }
    try validate(adds)
    let metadata = TableMetadata(
      id: id, schema: schema, configuration: fullConfiguration, createdTime: timestamp)
    let info = CommitInfo(
      timestamp: timestamp, operation: "CREATE TABLE", operationParameters: operationParameters,
      engineInfo: DeltaTable.engineInfo)
    return CommitFile(
      version: 0,
      actions: [.commitInfo(info), .protocol(.pond), .metaData(metadata)] + adds.map { .add($0) })
  }

  /// A blind append after `head`: a `commitInfo` chaining onto it (at `time(timestamp, after: head)`), then
  /// `metadata` when the table's metadata changes (a schema gaining nullable columns), then `adds`. It needs
  /// no table state: the pond's commits are of this kind.
  public static func next(
    after head: CommitHead, adds: [AddFile], metadata: TableMetadata? = nil,
    operation: String = "WRITE", operationParameters: [String: String] = [:], timestamp: Int64
  ) throws(DeltaLogError) -> CommitFile {
    try validate(adds)
    let time = try Self.time(timestamp, after: head)
    let info = CommitInfo(
      timestamp: time, operation: operation, operationParameters: operationParameters,
      engineInfo: DeltaTable.engineInfo, readVersion: head.version,
      previousCommitSHA256: head.sha256.hex)
    return CommitFile(
      version: head.version + 1,
      actions: [.commitInfo(info)] + (metadata.map { [.metaData($0)] } ?? [])
        + adds.map { .add($0) })
  }

  /// What an `add` pond writes must hold: a valid relative path, once per commit, non-negative size and
  /// time, no partition values, `tags.sha256`, and stats with an exact `numRecords`.
  private static func validate(_ adds: [AddFile]) throws(DeltaLogError) {
    var seen = Set<String>()
    for add in adds {
      try checkDataPath(add.path)
      guard seen.insert(add.path).inserted else {
        throw DeltaLogError(
          .invalidArgument, path: add.path, "the path is added twice in one commit")
      }
      guard add.size >= 0, add.modificationTime >= 0, add.partitionValues.isEmpty else {
        throw DeltaLogError(
          .invalidArgument, path: add.path,
          "size and modificationTime must be non-negative and partitionValues empty")
      }
      guard let sha256 = add.sha256, SHA256Digest(hex: sha256) != nil else {
        throw DeltaLogError(
          .invalidArgument, path: add.path, "tags.sha256 must be 64 lower-case hex digits")
      }
      if let stats = add.stats {
        guard let value = try? JSONValue.parse(stats), value.objectMembers != nil,
          let records = value["numRecords"]?.int64Value, records >= 0
        else {
          throw DeltaLogError(
            .invalidArgument, path: add.path,
            "stats must be a JSON object with a non-negative integer numRecords: \(stats)")
        }
      }
    }
  }

  /// Checks that `path` is a data file path pond writes: relative, `/`-separated names of `[A-Za-z0-9._-]`,
  /// none starting with `_` or `.` (those are the log's and temporary files').
  private static func checkDataPath(_ path: String) throws(DeltaLogError) {
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    let valid = components.allSatisfy { component in
      guard let first = component.utf8.first, first != UInt8(ascii: "_"), first != UInt8(ascii: ".")
      else { return false }
      return component.utf8.allSatisfy {
        ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
          || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
      }
    }
    guard valid else {
      throw DeltaLogError(
        .invalidArgument, path: path,
        "data file paths are relative, '/'-separated names of [A-Za-z0-9._-], not starting with '_' or '.'"
      )
    }
  }
}

/// The commit files a listing of `_delta_log/` holds, and the head they make.
public enum LogListing {
  /// The version of a log key or name ending in `<20 digits>.json`, or nil for any other name.
  public static func version(ofKey key: some StringProtocol) -> Int64? {
    let name = key.utf8.split(separator: UInt8(ascii: "/")).last ?? key.utf8[...]
    guard name.count == 25, name.suffix(5).elementsEqual(".json".utf8),
      name.prefix(20).allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return nil }
    return Int64(String(decoding: name.prefix(20), as: UTF8.self))
  }

  /// The latest version of a log whose commit keys (or names) are `keys`, in any order, other names ignored.
  ///
  /// - Throws: `.tableNotFound` when there is no commit, `.missingVersionZero` when the log does not start at
  ///   version 0, `.versionGap` naming the first missing version.
  public static func head(of keys: some Sequence<some StringProtocol>) throws(DeltaLogError)
    -> Int64
  {
    let versions = keys.compactMap { version(ofKey: $0) }.sorted()
    guard let first = versions.first else {
      throw DeltaLogError(
        .tableNotFound, path: DeltaTable.logPrefix, "no commit files (^\\d{20}\\.json$) in the log",
        hint: "check the table path, or create the table")
    }
    guard first == 0 else {
      throw DeltaLogError(
        .missingVersionZero, version: 0, path: DeltaTable.commitKey(version: 0),
        "the log starts at version \(first); checkpoint-only logs are not supported",
        hint: "restore the log's JSON commits from a replica")
    }
    for (index, version) in versions.enumerated() where Int64(index) != version {
      throw DeltaLogError(
        .versionGap, version: Int64(index), path: DeltaTable.commitKey(version: Int64(index)),
        "version \(index) is missing but version \(version) exists",
        hint: "restore the missing commit from a replica")
    }
    return versions[versions.count - 1]
  }
}
