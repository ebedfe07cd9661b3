import DeltaLog
import FoundationEssentials
import PondTime
import TinyFS

/// One version of one node, as `pond describe` shows it.
public struct NodeVersionReport: Sendable, Codable, Equatable {
  public var version: Int64
  /// The pond version (Delta version) that wrote it.
  public var txn: Int64
  /// ISO 8601 UTC.
  public var time: String
  public var size: Int64
  public var sha256: String
  /// "inline", or the large file's key under `data/`.
  public var storage: String
  public var parentID: String
  /// What a table version holds; null for other nodes and for a series' version that appended nothing.
  @ExplicitNull public var table: TableVersionReport?
}

/// What `pond describe` shows of one table version.
public struct TableVersionReport: Sendable, Codable, Equatable {
  public var rows: Int64
  /// The columns, in the `--schema` syntax.
  public var schema: String
  @ExplicitNull public var timeColumn: String?
  /// ISO 8601 UTC of the smallest and largest time, when there is a time column.
  @ExplicitNull public var timeMin: String?
  @ExplicitNull public var timeMax: String?

  init(_ info: TableInfo) {
    rows = info.rows
    schema = info.schema
    timeColumn = info.timeColumn
    timeMin = info.timeRange.map { UTCMicroseconds(rawValue: $0.lowerBound).description }
    timeMax = info.timeRange.map { UTCMicroseconds(rawValue: $0.upperBound).description }
  }
}

/// What `pond describe` shows about a path.
public struct NodeReport: Sendable, Codable, Equatable {
  public var path: String
  public var nodeID: String
  public var type: String
  /// Null in JSON for anything but a symbolic link.
  @ExplicitNull public var symlinkTarget: String?
  public var versions: [NodeVersionReport]
}

/// An optional property that JSON shows as an explicit `null` when absent (synthesized encoding would omit
/// the key), so that scripts see the same keys on every object.
@propertyWrapper
public struct ExplicitNull<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
  public var wrappedValue: Value?

  public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(wrappedValue)
  }
}

/// One line of `pond log`.
public struct LogReport: Sendable, Codable, Equatable {
  public var version: Int64
  /// ISO 8601 UTC.
  public var time: String
  public var command: String
  /// Paths of the nodes the version wrote (new directories end with `/`), and `-PATH` for each name that
  /// left a directory (removed, or moved elsewhere).
  public var changed: [String]
}

/// One oplog row as `pond show --json` prints it: the Delta/Parquet column names and values, `content` in
/// base64 (null when the bytes are in `blob`), `blob` null when they are inline, `timestamp` in microseconds
/// since the epoch.
public struct RowReport: Sendable, Codable, Equatable {
  public var partID: String
  public var nodeID: String
  public var version: Int64
  public var txn: Int64
  public var timestamp: Int64
  public var entryType: String
  @ExplicitNull public var content: String?
  public var size: Int64
  public var sha256: String
  @ExplicitNull public var blob: String?
  @ExplicitNull public var tableRows: Int64?
  @ExplicitNull public var tableSchema: String?
  @ExplicitNull public var timeColumn: String?
  /// Microseconds since the epoch, like `timestamp`.
  @ExplicitNull public var timeMin: Int64?
  @ExplicitNull public var timeMax: Int64?

  enum CodingKeys: String, CodingKey {
    case partID = "part_id"
    case nodeID = "node_id"
    case version, txn, timestamp
    case entryType = "entry_type"
    case content, size, sha256, blob
    case tableRows = "table_rows"
    case tableSchema = "table_schema"
    case timeColumn = "time_column"
    case timeMin = "time_min"
    case timeMax = "time_max"
  }

  init(_ row: OplogRow) {
    partID = row.partID.description
    nodeID = row.nodeID.description
    version = row.version
    txn = row.transaction
    timestamp = row.timestamp
    entryType = row.entryType.rawValue
    content = row.content.map { Data($0).base64EncodedString() }
    size = row.size
    sha256 = row.sha256
    blob = row.blob
    tableRows = row.table?.rows
    tableSchema = row.table?.schema
    timeColumn = row.table?.timeColumn
    timeMin = row.table?.timeRange?.lowerBound
    timeMax = row.table?.timeRange?.upperBound
  }
}

/// What `pond status` shows.
public struct StatusReport: Sendable, Codable, Equatable {
  public var pond: String
  public var pondID: String
  public var birthplace: String
  public var formatVersion: String
  /// The version shown (the head, or `--at`).
  public var version: Int64
  public var headVersion: Int64
  public var time: String
  public var directories: Int
  public var files: Int
  public var series: Int
  /// Tables and series of tables.
  public var tables: Int
  public var symlinks: Int
  /// Bytes of file, series and table content reachable at `version`.
  public var bytes: Int64
  /// "up to date", or "rebuilt from the log" when the local index was missing, stale or corrupt.
  public var index: String
}

extension PondStore {
  /// The history of the node at `path` (a final symbolic link is described, not followed) up to `version`.
  public func describe(_ path: String, at version: Int64?) throws -> NodeReport {
    let fileSystem = try fileSystem(at: version)
    let info = try fileSystem.lstat(path)
    guard let id = info.id else {
      throw PondError(
        .invalidArgument, path: path, "is computed by a dynamic directory; it has no history")
    }
    var versions: [NodeVersionReport] = []
    try persistence.index.forEachRow(of: id, upTo: version ?? head) { row in
      let commit = try persistence.index.commit(row.record.transaction.rawValue)
      versions.append(
        NodeVersionReport(
          version: Int64(row.record.version), txn: row.record.transaction.rawValue,
          time: Self.formatTime(commit.timestamp), size: Int64(row.record.size),
          sha256: row.sha256,
          storage: row.isBlob ? "data/" + PondLayout.largeFileKey(sha256: row.sha256) : "inline",
          parentID: row.record.parentID.description, table: row.table.map(TableVersionReport.init)))
    }
    return NodeReport(
      path: info.path, nodeID: id.description, type: info.entryType.rawValue,
      symlinkTarget: info.symlinkTarget, versions: versions)
  }

  /// Calls `body` with one entry per version, oldest first, up to `version`; memory does not grow with the
  /// number of versions.
  public func log(upTo version: Int64?, _ body: (LogReport) throws -> Void) throws {
    try persistence.index.forEachCommit(from: 0, through: version ?? head) { current, commit in
      var changed: [String] = []
      let rows = try persistence.rows(ofVersion: current)
      let rowIDs = Set(rows.map(\.nodeID))
      for row in rows {
        let path = self.path(of: row.nodeID, at: current) ?? "(node \(row.nodeID))"
        guard row.entryType == .directory else {
          changed.append(path)
          continue
        }
        let directory = path == "/" ? "/" : path + "/"
        guard row.version > 1 else {
          changed.append(directory)
          continue
        }
        let previous = try persistence.node(row.nodeID, at: TransactionID(rawValue: current - 1))
        if previous?.parentID != row.partID { changed.append(directory) }  // moved here
        // A directory that already existed: name what left it (removed, moved or renamed away), and what
        // arrived under a new name without a row of its own (a rename in place).
        let now = Set(
          try persistence.directoryEntries(row.nodeID, at: TransactionID(rawValue: current)))
        let before = Set(
          try persistence.directoryEntries(row.nodeID, at: TransactionID(rawValue: current - 1)))
        for entry in before.subtracting(now).sorted(by: {
          $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }) {
          changed.append("-" + directory + entry.name)
        }
        for entry in now.subtracting(before).sorted(by: {
          $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        })
        where !rowIDs.contains(entry.id) {
          changed.append(directory + entry.name + (entry.entryType.isDirectory ? "/" : ""))
        }
      }
      try body(
        LogReport(
          version: current, time: Self.formatTime(commit.timestamp), command: commit.command,
          changed: changed))
    }
  }

  /// The oplog rows version `version` wrote.
  public func rows(ofVersion version: Int64) throws -> [RowReport] {
    try persistence.rows(ofVersion: version).map(RowReport.init)
  }

  /// The pond's identity and what it holds at `version`.
  public func status(at version: Int64?) throws -> StatusReport {
    let metadata = try metadata()
    let shown = version ?? head
    let fileSystem = try fileSystem(at: shown)
    var report = StatusReport(
      pond: root, pondID: metadata.id,
      birthplace: metadata.configuration["pond.birthplace"] ?? "",
      formatVersion: metadata.configuration["pond.formatVersion"] ?? "",
      version: shown, headVersion: head,
      time: Self.formatTime(try persistence.index.commit(shown).timestamp), directories: 1,
      files: 0, series: 0, tables: 0, symlinks: 0, bytes: 0,
      index: (persistence.indexWasRebuilt ? "rebuilt from the log" : "up to date")
        + " (\(persistence.index.location))")
    for match in try fileSystem.glob("/**") where match.path != "/" {
      switch match.entryType {
      case .directory, .dynamic: report.directories += 1
      case .file, .series, .table, .tableSeries:
        switch match.entryType {
        case .file: report.files += 1
        case .series: report.series += 1
        default: report.tables += 1
        }
        report.bytes += Int64(try fileSystem.lstat(match.path).size)
      case .symlink: report.symlinks += 1
      }
    }
    return report
  }
}
