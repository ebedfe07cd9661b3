/// The `protocol` action: the reader and writer versions a table needs.
public struct DeltaProtocol: Sendable, Equatable {
  public var minReaderVersion: Int64
  public var minWriterVersion: Int64
  /// Present only at reader version 3; never written by pond.
  public var readerFeatures: [String]?
  /// Present only at writer version 7; never written by pond.
  public var writerFeatures: [String]?

  /// What pond writes: reader 1, writer 2, no feature lists (delta-parquet.md Summary 1).
  public static let pond = DeltaProtocol(minReaderVersion: 1, minWriterVersion: 2)

  public init(
    minReaderVersion: Int64, minWriterVersion: Int64, readerFeatures: [String]? = nil,
    writerFeatures: [String]? = nil
  ) {
    self.minReaderVersion = minReaderVersion
    self.minWriterVersion = minWriterVersion
    self.readerFeatures = readerFeatures
    self.writerFeatures = writerFeatures
  }

  /// Nil when pond can read a table with this protocol, else why not.
  var readProblem: String? {
    switch minReaderVersion {
    case 1: return nil
    case 3:
      let features = readerFeatures ?? []
      return features.isEmpty ? nil : "reader features \(features) are not supported"
    default:
      return
        "minReaderVersion \(minReaderVersion) is not supported (pond reads 1, or 3 without features)"
    }
  }
}

/// The `metaData` action: the table's identity, schema and configuration.
public struct TableMetadata: Sendable, Equatable {
  /// The table id (a UUID); for a pond it is the pond id.
  public var id: String
  public var schema: DeltaSchema
  /// Always empty for tables pond reads or writes.
  public var partitionColumns: [String]
  /// Table properties; values are strings only.
  public var configuration: [String: String]
  /// ms since the epoch.
  public var createdTime: Int64?

  public init(
    id: String, schema: DeltaSchema, partitionColumns: [String] = [],
    configuration: [String: String] = [:], createdTime: Int64? = nil
  ) {
    self.id = id
    self.schema = schema
    self.partitionColumns = partitionColumns
    self.configuration = configuration
    self.createdTime = createdTime
  }

  /// The history-preserving configuration of delta-parquet.md §2.3: stops other writers from cleaning up
  /// old log entries, vacuuming removed files or checkpointing on their own.
  public static let historyPreservingConfiguration: [String: String] = [
    "delta.logRetentionDuration": "interval 36500 days",
    "delta.deletedFileRetentionDuration": "interval 36500 days",
    "delta.enableExpiredLogCleanup": "false",
    "delta.checkpointInterval": "1000000",
  ]
}

/// The `add` action: a data file that becomes part of the table.
public struct AddFile: Sendable, Equatable {
  /// Relative to the table root; pond writes names of `[A-Za-z0-9._-]` components only.
  public var path: String
  /// Always empty (pond does not partition).
  public var partitionValues: [String: String]
  /// The exact size of the data file in bytes.
  public var size: Int64
  /// ms since the epoch.
  public var modificationTime: Int64
  public var dataChange: Bool
  /// The statistics JSON text, if any (stored double-encoded, as a JSON string).
  public var stats: String?
  /// Free-form tags; pond writes `sha256` (lower-case hex of the data file's SHA-256).
  public var tags: [String: String]

  public init(
    path: String, size: Int64, modificationTime: Int64, dataChange: Bool = true,
    stats: String? = nil, sha256: String, partitionValues: [String: String] = [:],
    tags: [String: String] = [:]
  ) {
    var allTags = tags
    allTags["sha256"] = sha256
    self.init(
      path: path, partitionValues: partitionValues, size: size, modificationTime: modificationTime,
      dataChange: dataChange, stats: stats, tags: allTags)
  }

  /// Same as the other initializer, with `stats` built from `statistics`.
  public init(
    path: String, size: Int64, modificationTime: Int64, dataChange: Bool = true,
    statistics: FileStatistics, sha256: String
  ) {
    self.init(
      path: path, size: size, modificationTime: modificationTime, dataChange: dataChange,
      stats: statistics.jsonString, sha256: sha256)
  }

  init(
    path: String, partitionValues: [String: String], size: Int64, modificationTime: Int64,
    dataChange: Bool, stats: String?, tags: [String: String]
  ) {
    self.path = path
    self.partitionValues = partitionValues
    self.size = size
    self.modificationTime = modificationTime
    self.dataChange = dataChange
    self.stats = stats
    self.tags = tags
  }

  /// The data file's SHA-256 (lower-case hex) from `tags.sha256`.
  public var sha256: String? { tags["sha256"] }

  /// `numRecords` from the stats, when present.
  public var numRecords: Int64? {
    guard let stats, let value = try? JSONValue.parse(stats) else { return nil }
    return value["numRecords"]?.int64Value
  }
}

/// The `remove` action: a data file that stops being part of the table (it stays for time travel).
public struct RemoveFile: Sendable, Equatable {
  public var path: String
  public var dataChange: Bool
  /// ms since the epoch; vacuum retention counts from it.
  public var deletionTimestamp: Int64?
  public var size: Int64?

  public init(path: String, dataChange: Bool = true, deletionTimestamp: Int64?, size: Int64? = nil)
  {
    self.path = path
    self.dataChange = dataChange
    self.deletionTimestamp = deletionTimestamp
    self.size = size
  }
}

/// The `commitInfo` action: when and why a version was written, and the hash-chain link.
public struct CommitInfo: Sendable, Equatable {
  /// The key holding the SHA-256 (lower-case hex) of the previous commit file's bytes.
  public static let previousCommitKey = "pond.prevCommitSha256"

  /// ms since the epoch: the commit's time for "as of" resolution.
  public var timestamp: Int64
  public var operation: String?
  public var operationParameters: [String: String]
  public var engineInfo: String?
  /// The version this commit was based on (absent in version 0).
  public var readVersion: Int64?
  /// SHA-256 hex of commit file `version - 1`; nil in version 0, which has no predecessor.
  public var previousCommitSHA256: String?

  public init(
    timestamp: Int64, operation: String? = nil, operationParameters: [String: String] = [:],
    engineInfo: String? = nil, readVersion: Int64? = nil, previousCommitSHA256: String? = nil
  ) {
    self.timestamp = timestamp
    self.operation = operation
    self.operationParameters = operationParameters
    self.engineInfo = engineInfo
    self.readVersion = readVersion
    self.previousCommitSHA256 = previousCommitSHA256
  }
}

/// One line of a commit file.
public enum DeltaAction: Sendable, Equatable {
  case commitInfo(CommitInfo)
  case `protocol`(DeltaProtocol)
  case metaData(TableMetadata)
  case remove(RemoveFile)
  case add(AddFile)
}

// MARK: - Encoding

extension DeltaAction {
  /// The action as one line of NDJSON (without the newline).
  public var jsonLine: String {
    switch self {
    case .commitInfo(let info):
      var members: [(String, JSONValue)] = [("timestamp", .int(info.timestamp))]
      if let operation = info.operation { members.append(("operation", .string(operation))) }
      members.append(("operationParameters", Self.stringMap(info.operationParameters)))
      if let readVersion = info.readVersion { members.append(("readVersion", .int(readVersion))) }
      if let engineInfo = info.engineInfo { members.append(("engineInfo", .string(engineInfo))) }
      if let previous = info.previousCommitSHA256 {
        members.append((CommitInfo.previousCommitKey, .string(previous)))
      }
      return JSONValue.object([("commitInfo", .object(members))]).serialized
    case .protocol(let p):
      var members: [(String, JSONValue)] = [
        ("minReaderVersion", .int(p.minReaderVersion)),
        ("minWriterVersion", .int(p.minWriterVersion)),
      ]
      if let features = p.readerFeatures {
        members.append(("readerFeatures", .array(features.map { .string($0) })))
      }
      if let features = p.writerFeatures {
        members.append(("writerFeatures", .array(features.map { .string($0) })))
      }
      return JSONValue.object([("protocol", .object(members))]).serialized
    case .metaData(let m):
      var members: [(String, JSONValue)] = [
        ("id", .string(m.id)),
        ("format", .object([("provider", .string("parquet")), ("options", .object([]))])),
        ("schemaString", .string(m.schema.jsonString)),
        ("partitionColumns", .array(m.partitionColumns.map { .string($0) })),
        ("configuration", Self.stringMap(m.configuration)),
      ]
      if let created = m.createdTime { members.append(("createdTime", .int(created))) }
      return JSONValue.object([("metaData", .object(members))]).serialized
    case .remove(let r):
      var members: [(String, JSONValue)] = [("path", .string(r.path))]
      if let deleted = r.deletionTimestamp { members.append(("deletionTimestamp", .int(deleted))) }
      members.append(("dataChange", .bool(r.dataChange)))
      if let size = r.size {
        members.append(("extendedFileMetadata", .bool(true)))
        members.append(("partitionValues", .object([])))
        members.append(("size", .int(size)))
      }
      return JSONValue.object([("remove", .object(members))]).serialized
    case .add(let a):
      var members: [(String, JSONValue)] = [
        ("path", .string(a.path)),
        ("partitionValues", Self.stringMap(a.partitionValues)),
        ("size", .int(a.size)),
        ("modificationTime", .int(a.modificationTime)),
        ("dataChange", .bool(a.dataChange)),
      ]
      if let stats = a.stats { members.append(("stats", .string(stats))) }
      if !a.tags.isEmpty { members.append(("tags", Self.stringMap(a.tags))) }
      return JSONValue.object([("add", .object(members))]).serialized
    }
  }

  private static func stringMap(_ map: [String: String]) -> JSONValue {
    .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
  }

  /// The bytes of a commit file: one action per line, each line ending in a newline.
  public static func encodeCommit(_ actions: [DeltaAction]) -> [UInt8] {
    var bytes: [UInt8] = []
    for action in actions {
      bytes.append(contentsOf: action.jsonLine.utf8)
      bytes.append(0x0A)
    }
    return bytes
  }
}

// MARK: - Decoding

extension DeltaAction {
  /// Decodes the actions of a commit file. Blank lines, unknown actions and unknown fields are ignored
  /// (the protocol requires it); `txn`, `cdc` and `domainMetadata` are ignored too.
  ///
  /// Throws `.emptyCommit` for zero bytes, `.unparsableCommit` for a line that is not a JSON object (a torn
  /// write), `.invalidAction` for a missing or mistyped required field, `.unsupportedFeature` for deletion
  /// vectors, partition columns and column mapping.
  public static func decodeCommit(_ bytes: [UInt8], version: Int64, path: String)
    throws(DeltaLogError)
    -> [DeltaAction]
  {
    guard !bytes.isEmpty else {
      throw DeltaLogError(
        .emptyCommit, version: version, path: path, "the commit file is empty (0 bytes)",
        hint: "a writer crashed between creating and writing it; restore the log from a replica")
    }
    var actions: [DeltaAction] = []
    var lineNumber = 0
    var start = 0
    while start < bytes.count {
      let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
      lineNumber += 1
      let line = bytes[start..<end]
      start = end + 1
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      let value: JSONValue
      do {
        value = try JSONValue.parse(line)
      } catch {
        throw DeltaLogError(
          .unparsableCommit, version: version, path: path,
          "line \(lineNumber) is not valid JSON (\(error))",
          hint: "the commit is torn or truncated; restore the log from a replica")
      }
      guard let members = value.objectMembers else {
        throw DeltaLogError(
          .unparsableCommit, version: version, path: path, "line \(lineNumber) is not a JSON object"
        )
      }
      for (name, body) in members {
        let context = Context(version: version, path: path, line: lineNumber, action: name)
        switch name {
        case "commitInfo": actions.append(.commitInfo(try context.decodeCommitInfo(body)))
        case "protocol": actions.append(.protocol(try context.decodeProtocol(body)))
        case "metaData": actions.append(.metaData(try context.decodeMetadata(body)))
        case "add": actions.append(.add(try context.decodeAdd(body)))
        case "remove": actions.append(.remove(try context.decodeRemove(body)))
        default: continue
        }
      }
    }
    return actions
  }

  private struct Context {
    var version: Int64
    var path: String
    var line: Int
    var action: String

    func invalid(_ message: String) -> DeltaLogError {
      DeltaLogError(
        .invalidAction, version: version, path: path, "line \(line): \(action): \(message)")
    }

    func unsupported(_ message: String, hint: String) -> DeltaLogError {
      DeltaLogError(
        .unsupportedFeature, version: version, path: path, "line \(line): \(action): \(message)",
        hint: hint)
    }

    func object(_ value: JSONValue) throws(DeltaLogError) -> JSONValue {
      guard value.objectMembers != nil else { throw invalid("is not a JSON object") }
      return value
    }

    func string(_ value: JSONValue, _ key: String) throws(DeltaLogError) -> String {
      guard let s = value[key]?.stringValue else {
        throw invalid("'\(key)' is missing or not a string")
      }
      return s
    }

    func int(_ value: JSONValue, _ key: String) throws(DeltaLogError) -> Int64 {
      guard let i = value[key]?.int64Value else {
        throw invalid("'\(key)' is missing or not an integer")
      }
      return i
    }

    func optionalString(_ value: JSONValue, _ key: String) throws(DeltaLogError) -> String? {
      guard let member = value[key], !member.isNull else { return nil }
      guard let text = member.stringValue else { throw invalid("'\(key)' is not a string") }
      return text
    }

    func optionalInt(_ value: JSONValue, _ key: String) throws(DeltaLogError) -> Int64? {
      guard let member = value[key], !member.isNull else { return nil }
      guard let i = member.int64Value else { throw invalid("'\(key)' is not an integer") }
      return i
    }

    func bool(_ value: JSONValue, _ key: String) throws(DeltaLogError) -> Bool {
      guard let b = value[key]?.boolValue else {
        throw invalid("'\(key)' is missing or not a boolean")
      }
      return b
    }

    /// A map of string values; null-valued entries (partition values of NULL) are dropped.
    func stringMap(_ value: JSONValue, _ key: String, required: Bool) throws(DeltaLogError)
      -> [String:
      String]
    {
      guard let member = value[key], !member.isNull else {
        if required { throw invalid("'\(key)' is missing") }
        return [:]
      }
      guard let members = member.objectMembers else { throw invalid("'\(key)' is not an object") }
      var map: [String: String] = [:]
      for (name, item) in members {
        if item.isNull { continue }
        guard let text = item.stringValue else {
          throw invalid("'\(key).\(name)' is not a string (values must be JSON strings)")
        }
        map[name] = text
      }
      return map
    }

    func strings(_ value: JSONValue, _ key: String) throws(DeltaLogError) -> [String]? {
      guard let member = value[key], !member.isNull else { return nil }
      guard let items = member.arrayValue else { throw invalid("'\(key)' is not an array") }
      var result: [String] = []
      for item in items {
        guard let text = item.stringValue else { throw invalid("'\(key)' holds a non-string") }
        result.append(text)
      }
      return result
    }

    func rejectDeletionVector(_ value: JSONValue) throws(DeltaLogError) {
      if let vector = value["deletionVector"], !vector.isNull {
        throw unsupported(
          "'\(value["path"]?.stringValue ?? "?")' has a deletion vector",
          hint: "pond reads only tables without deletion vectors")
      }
    }

    func decodeCommitInfo(_ raw: JSONValue) throws(DeltaLogError) -> CommitInfo {
      let value = try object(raw)
      var parameters: [String: String] = [:]
      if let members = value["operationParameters"]?.objectMembers {
        for (name, item) in members {
          parameters[name] = item.stringValue ?? item.serialized
        }
      }
      let previous = try optionalString(value, CommitInfo.previousCommitKey)
      return CommitInfo(
        timestamp: try int(value, "timestamp"), operation: value["operation"]?.stringValue,
        operationParameters: parameters, engineInfo: value["engineInfo"]?.stringValue,
        readVersion: value["readVersion"]?.int64Value, previousCommitSHA256: previous)
    }

    func decodeProtocol(_ raw: JSONValue) throws(DeltaLogError) -> DeltaProtocol {
      let value = try object(raw)
      return DeltaProtocol(
        minReaderVersion: try int(value, "minReaderVersion"),
        minWriterVersion: try int(value, "minWriterVersion"),
        readerFeatures: try strings(value, "readerFeatures"),
        writerFeatures: try strings(value, "writerFeatures"))
    }

    func decodeMetadata(_ raw: JSONValue) throws(DeltaLogError) -> TableMetadata {
      let value = try object(raw)
      let id = try string(value, "id")
      guard let format = value["format"], format.objectMembers != nil else {
        throw invalid("'format' is missing")
      }
      let provider = try string(format, "provider")
      guard provider == "parquet" else {
        throw unsupported(
          "format provider '\(provider)'", hint: "only parquet tables are supported")
      }
      guard let partitions = try strings(value, "partitionColumns") else {
        throw invalid("'partitionColumns' is missing")
      }
      guard partitions.isEmpty else {
        throw unsupported(
          "the table is partitioned by \(partitions)", hint: "pond reads only unpartitioned tables")
      }
      let configuration = try stringMap(value, "configuration", required: true)
      if let mode = configuration["delta.columnMapping.mode"], mode != "none" {
        throw unsupported(
          "column mapping mode '\(mode)'", hint: "pond reads only tables without column mapping")
      }
      let schemaString = try string(value, "schemaString")
      let schema: DeltaSchema
      do {
        schema = try DeltaSchema(parsing: schemaString)
      } catch {
        throw DeltaLogError(
          error.kind, version: version, path: path, "line \(line): \(error.message)",
          hint: error.hint)
      }
      return TableMetadata(
        id: id, schema: schema, partitionColumns: partitions, configuration: configuration,
        createdTime: try optionalInt(value, "createdTime"))
    }

    func decodeAdd(_ raw: JSONValue) throws(DeltaLogError) -> AddFile {
      let value = try object(raw)
      try rejectDeletionVector(value)
      return AddFile(
        path: try string(value, "path"),
        partitionValues: try stringMap(value, "partitionValues", required: true),
        size: try int(value, "size"), modificationTime: try int(value, "modificationTime"),
        dataChange: try bool(value, "dataChange"), stats: try optionalString(value, "stats"),
        tags: try stringMap(value, "tags", required: false))
    }

    func decodeRemove(_ raw: JSONValue) throws(DeltaLogError) -> RemoveFile {
      let value = try object(raw)
      try rejectDeletionVector(value)
      return RemoveFile(
        path: try string(value, "path"), dataChange: try bool(value, "dataChange"),
        deletionTimestamp: try optionalInt(value, "deletionTimestamp"),
        size: try optionalInt(value, "size"))
    }
  }
}
