import DeltaLog
import Parquet
public import TinyFS

/// One row of the oplog: one version of one node, as stored in a data file of `$POND/data`.
///
/// Column names are the same in the Delta schema and the Parquet files (docs/format.md, "The oplog").
public struct OplogRow: Sendable, Equatable {
  /// The parent directory's node id (the root's is itself).
  public var partID: NodeID
  public var nodeID: NodeID
  /// Per-node version, from 1.
  public var version: Int64
  /// The Delta version (transaction) that wrote the row.
  public var transaction: Int64
  /// When the transaction began, microseconds since the Unix epoch (UTC).
  public var timestamp: Int64
  public var entryType: EntryType
  /// The inline bytes: a small file's body, a series chunk, a directory listing, a symlink target, a dynamic
  /// directory's specification; nil when the bytes live in `blob`.
  public var content: [UInt8]?
  /// Logical size: bytes of a file or symlink, the whole series for a series, entries for a directory.
  public var size: Int64
  /// SHA-256 (lower-case hex) of the bytes this row holds (inline or in its blob).
  public var sha256: String
  /// The large file holding the bytes, relative to `data/` (`_large_files/sha256=<hex>.zst`), or nil.
  public var blob: String?
  /// What a table version's Parquet bytes hold (the `table_*` and `time_*` columns); nil for other rows and
  /// for a version of a series of tables that appended nothing (a move).
  public var table: TableInfo?

  public init(
    partID: NodeID, nodeID: NodeID, version: Int64, transaction: Int64, timestamp: Int64,
    entryType: EntryType, content: [UInt8]?, size: Int64, sha256: String, blob: String?,
    table: TableInfo? = nil
  ) {
    self.partID = partID
    self.nodeID = nodeID
    self.version = version
    self.transaction = transaction
    self.timestamp = timestamp
    self.entryType = entryType
    self.content = content
    self.size = size
    self.sha256 = sha256
    self.blob = blob
    self.table = table
  }
}

/// The oplog's schema and its Parquet encoding.
public enum Oplog {
  /// Columns in order: (name, Parquet type, nullable).
  static let columns: [(String, ParquetType, Bool)] = [
    ("part_id", .string, false),
    ("node_id", .string, false),
    ("version", .int64, false),
    ("txn", .int64, false),
    ("timestamp", .timestamp, false),
    ("entry_type", .string, false),
    ("content", .binary, true),
    ("size", .int64, false),
    ("sha256", .string, false),
    ("blob", .string, true),
    ("table_rows", .int64, true),
    ("table_schema", .string, true),
    ("time_column", .string, true),
    ("time_min", .timestamp, true),
    ("time_max", .timestamp, true),
  ]

  /// The columns added with tables (format 1 gained them as nullable columns): a data file written before
  /// them lacks them, and its rows have no table.
  static let tableColumnNames: Set<String> = [
    "table_rows", "table_schema", "time_column", "time_min", "time_max",
  ]

  /// The columns of a pond whose schema has (`withTables`) or has not yet got the table columns.
  static func columns(withTables: Bool) -> [(String, ParquetType, Bool)] {
    withTables ? columns : columns.filter { !tableColumnNames.contains($0.0) }
  }

  private static let parquetSchemas: [Bool: ParquetSchema] = {
    do {
      return try [true, false].reduce(into: [:]) { schemas, withTables in
        schemas[withTables] = try ParquetSchema(
          columns(withTables: withTables).map {
            ParquetColumn(name: $0.0, type: $0.1, nullable: $0.2)
          })
      }
    } catch {
      preconditionFailure("the oplog's Parquet schema is invalid: \(error)")
    }
  }()

  /// The Delta schema of the oplog, with or without the table columns.
  static func deltaSchema(withTables: Bool = true) -> DeltaSchema {
    withTables ? deltaSchemaWithTables : deltaSchemaWithoutTables
  }

  private static let deltaSchemaWithTables = makeDeltaSchema(withTables: true)
  private static let deltaSchemaWithoutTables = makeDeltaSchema(withTables: false)

  private static func makeDeltaSchema(withTables: Bool) -> DeltaSchema {
    do {
      return try DeltaSchema(
        columns(withTables: withTables).map { name, type, nullable in
          let deltaType: DeltaSchema.FieldType =
            switch type {
            case .string: .string
            case .int64: .long
            case .timestamp: .timestamp
            case .binary: .binary
            case .int32: .integer
            case .boolean: .boolean
            }
          return DeltaSchema.Field(name, deltaType, nullable: nullable)
        })
    } catch {
      preconditionFailure("the oplog's Delta schema is invalid: \(error)")
    }
  }

  /// Writes `rows` as a new Parquet file (zstd pages, fsynced) at `path`; without the table columns
  /// (`withTables` false) while the pond's schema has not got them.
  static func write(_ rows: [OplogRow], to path: String, withTables: Bool) throws
    -> ParquetFileSummary
  {
    var columns: [ParquetColumnData] = [
      .strings(rows.map { $0.partID.description }),
      .strings(rows.map { $0.nodeID.description }),
      .int64s(rows.map { $0.version }),
      .int64s(rows.map { $0.transaction }),
      .int64s(rows.map { $0.timestamp }),
      .strings(rows.map { $0.entryType.rawValue }),
      .binaries(rows.map { $0.content }),
      .int64s(rows.map { $0.size }),
      .strings(rows.map { $0.sha256 }),
      .strings(rows.map { $0.blob }),
      .int64s(rows.map { $0.table?.rows }),
      .strings(rows.map { $0.table?.schema }),
      .strings(rows.map { $0.table?.timeColumn }),
      .int64s(rows.map { $0.table?.timeRange?.lowerBound }),
      .int64s(rows.map { $0.table?.timeRange?.upperBound }),
    ]
    if !withTables {
      precondition(
        rows.allSatisfy { $0.table == nil }, "a table row in a pond without table columns")
      columns.removeLast(tableColumnNames.count)
    }
    return try ParquetWriter.write(
      path: path, schema: parquetSchemas[withTables]!, columns: columns,
      options: ParquetWriterOptions(compression: .zstd()))
  }

  /// Reads every row of the data file at `path`; `key` names it in errors.
  static func read(path: String, key: String) throws -> [OplogRow] {
    try read(key: key) { try ParquetReader(path: path) }
  }

  /// The rows of a data file held in memory (one fetched from a remote, say), in file order; `key` names it
  /// in errors.
  public static func rows(ofDataFile bytes: [UInt8], key: String) throws -> [OplogRow] {
    try read(key: key) { try ParquetReader(bytes: bytes) }
  }

  private static func read(key: String, _ open: () throws -> ParquetReader) throws -> [OplogRow] {
    func corrupt(_ why: String) -> PondError {
      PondError(
        .corrupt, path: key, "the data file is not a valid oplog file (\(why))",
        hint: "run 'pond fsck'; restore the file from a replica")
    }
    let reader: ParquetReader
    var columns: [[ParquetValue?]] = []
    do {
      reader = try open()
      for (name, _, _) in Oplog.columns {
        guard let data = try reader.readColumn(named: name) else {
          guard tableColumnNames.contains(name) else { throw corrupt("no column \(name)") }
          columns.append([ParquetValue?](repeating: nil, count: Int(reader.numRows)))
          continue
        }
        columns.append(data.rows())
      }
    } catch let error as PondError {
      throw error
    } catch {
      throw corrupt("\(error)")
    }
    let count = Int(reader.numRows)
    guard columns.allSatisfy({ $0.count == count }) else { throw corrupt("ragged columns") }
    func text(_ value: ParquetValue?) -> String? {
      if case .bytes(let bytes) = value { return String(decoding: bytes, as: UTF8.self) }
      return nil
    }
    func integer(_ value: ParquetValue?) -> Int64? {
      if case .int64(let number) = value { return number }
      return nil
    }
    var rows: [OplogRow] = []
    rows.reserveCapacity(count)
    for index in 0..<count {
      guard let part = text(columns[0][index]).flatMap(NodeID.init),
        let node = text(columns[1][index]).flatMap(NodeID.init),
        let version = integer(columns[2][index]), let txn = integer(columns[3][index]),
        let timestamp = integer(columns[4][index]),
        let type = text(columns[5][index]).flatMap(EntryType.init(rawValue:)),
        let size = integer(columns[7][index]), let sha = text(columns[8][index])
      else { throw corrupt("row \(index) has a missing or invalid value") }
      var content: [UInt8]?
      if case .bytes(let bytes) = columns[6][index] { content = bytes }
      var table: TableInfo?
      if let count = integer(columns[10][index]) {
        guard let schema = text(columns[11][index]), count >= 0 else {
          throw corrupt("row \(index) has table_rows but no valid table_schema")
        }
        let low = integer(columns[13][index])
        let high = integer(columns[14][index])
        guard (low == nil) == (high == nil), low ?? 0 <= high ?? 0 else {
          throw corrupt("row \(index) has an invalid time_min/time_max")
        }
        table = TableInfo(
          rows: count, schema: schema, timeColumn: text(columns[12][index]),
          timeRange: low.map { $0...high! })
      }
      rows.append(
        OplogRow(
          partID: part, nodeID: node, version: version, transaction: txn, timestamp: timestamp,
          entryType: type, content: content, size: size, sha256: sha,
          blob: text(columns[9][index]), table: table))
    }
    return rows
  }
}
