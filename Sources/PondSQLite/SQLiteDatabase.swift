internal import CSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// A value bound to a statement's `?` parameter, or read from a result row.
public enum SQLiteValue: Sendable, Equatable {
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob([UInt8])
  case null
}

/// One connection to an SQLite database file, the owner of its `sqlite3` handle and prepared statements.
///
/// We bind the dozen C functions we need by hand rather than depend on GRDB (on this machine's package
/// mirror): GRDB is a large framework (records, observation, pools) built for Apple platforms first, and the
/// pond needs one connection running a few fixed statements.
///
/// Not `Sendable`: a connection and its statements belong to one thread of control at a time.
public final class SQLiteDatabase {
  /// How the file is opened.
  public enum Mode: Sendable, Equatable {
    /// Read and write, creating the file when missing.
    case readWriteCreate
    /// Reading only; fails when the file is missing.
    case readOnly
    /// Reading only a file that nothing changes while it is open, on a medium that may be read-only: no
    /// locks and no `-wal`/`-shm` files are used (SQLite's `immutable` URI parameter). Pages still in a
    /// `-wal` file are not seen.
    case immutable
    /// A private database in a temporary file that SQLite deletes when the connection closes.
    case temporary
  }

  /// The file, or "(temporary)".
  public let path: String
  let handle: OpaquePointer
  private var statements: [String: Statement] = [:]

  /// Opens (or creates) the database at `path`.
  ///
  /// - Parameter busyTimeout: how long a statement waits for another connection's lock before failing with
  ///   `SQLITE_BUSY`, in milliseconds.
  public init(path: String, mode: Mode, busyTimeout: Int32 = 120_000) throws {
    self.path = mode == .temporary ? "(temporary)" : path
    var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
    switch mode {
    case .readWriteCreate, .temporary: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
    case .readOnly: flags |= SQLITE_OPEN_READONLY
    case .immutable: flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
    }
    var name = path
    switch mode {
    case .temporary: name = ""
    case .immutable: name = "file:" + Self.uriEscaped(path) + "?immutable=1"
    case .readWriteCreate, .readOnly: break
    }
    var opened: OpaquePointer?
    let status = sqlite3_open_v2(name, &opened, flags, nil)
    guard status == SQLITE_OK, let opened else {
      let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
      sqlite3_close_v2(opened)
      throw SQLiteError(code: status, message: message, path: self.path)
    }
    handle = opened
    sqlite3_busy_timeout(handle, busyTimeout)
  }

  /// `path` with the characters that are special in an SQLite URI (`%`, `?`, `#`) percent-encoded.
  private static func uriEscaped(_ path: String) -> String {
    var result: [UInt8] = []
    for byte in path.utf8 {
      switch byte {
      case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"):
        result += Array("%\(String(byte, radix: 16, uppercase: true))".utf8)
      default:
        result.append(byte)
      }
    }
    return String(decoding: result, as: UTF8.self)
  }

  /// Where a virtual table's cursor leaves the Swift error it threw, for the statement's caller to rethrow.
  let failures = VirtualTableFailures()
  /// The callbacks of every virtual table module of this connection, freed after it closes.
  var moduleDefinition: UnsafeMutablePointer<sqlite3_module>?

  deinit {
    for statement in statements.values { statement.finalize() }
    if let limit = walLimitAtClose, let size = fileSize(path + "-wal"), size > limit {
      // Best effort: another process reading the WAL makes it fail, and the next close tries again.
      sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
    }
    sqlite3_close_v2(handle)
    moduleDefinition?.deallocate()
  }

  /// Set by `leaveWALOnClose(upTo:)`.
  private var walLimitAtClose: Int64?

  /// Leaves committed pages in the `-wal` file when the connection closes, for the next connection to read
  /// there, instead of checkpointing them into the database (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`), as long as
  /// the WAL holds at most `limit` bytes; a larger one is checkpointed into the database and truncated at close.
  ///
  /// The bound matters: SQLite restarts a WAL from its beginning only when no connection reads it, which a
  /// series of short-lived processes that each read, write and close may never give it, so without the
  /// check at close the file grows with every commit (37 KB a commit of the pond's index, 800 MB at 5,000).
  public func leaveWALOnClose(upTo limit: Int64) {
    precondition(
      pond_sqlite_no_checkpoint_on_close(handle) == SQLITE_OK, "NO_CKPT_ON_CLOSE refused")
    walLimitAtClose = limit
  }

  /// Runs one or more statements that return no rows (schema, pragmas, `BEGIN`/`COMMIT`).
  public func execute(_ sql: String) throws {
    var message: UnsafeMutablePointer<CChar>?
    let status = sqlite3_exec(handle, sql, nil, nil, &message)
    defer { sqlite3_free(message) }
    guard status == SQLITE_OK else {
      throw SQLiteError(
        code: sqlite3_extended_errcode(handle),
        message: message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status)),
        path: path)
    }
  }

  /// Runs `sql` with `values` bound to its parameters and calls `row` for each result row until it returns
  /// false or the rows end. The statement is prepared once and kept; a query nested inside `row` that uses the
  /// same text gets a statement of its own.
  public func query(
    _ sql: String, _ values: [SQLiteValue] = [], row: (SQLiteRow) throws -> Bool = { _ in true }
  ) throws {
    let statement: Statement
    var owned = false
    if let cached = statements[sql], !cached.isRunning {
      statement = cached
    } else {
      statement = try prepare(sql)
      if statements[sql] == nil { statements[sql] = statement } else { owned = true }
    }
    statement.isRunning = true
    defer {
      sqlite3_reset(statement.handle)
      sqlite3_clear_bindings(statement.handle)
      statement.isRunning = false
      if owned { statement.finalize() }
    }
    for (offset, value) in values.enumerated() {
      if case .blob(let bytes) = value, bytes.count > Int32.max {
        throw SQLiteError(
          code: SQLITE_TOOBIG, message: "a value of \(bytes.count) bytes is too large to bind",
          path: path)
      }
      try check(bind(value, to: statement.handle, at: Int32(offset + 1)))
    }
    while true {
      let status = sqlite3_step(statement.handle)
      if status == SQLITE_DONE { return }
      guard status == SQLITE_ROW else { throw error(status) }
      guard try row(SQLiteRow(handle: statement.handle)) else { return }
    }
  }

  /// Runs `sql` with `values` bound and returns what `read` makes of the first result row; nil when there is
  /// none.
  public func firstRow<Value>(
    _ sql: String, _ values: [SQLiteValue] = [], _ read: (SQLiteRow) throws -> Value
  ) throws -> Value? {
    var found: Value?
    try query(sql, values) { row in
      found = try read(row)
      return false
    }
    return found
  }

  /// Runs `sql` (an `INSERT`, `UPDATE` or `DELETE`) with `values` bound.
  public func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
    try query(sql, values)
  }

  /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`, so that the write lock is taken at once and
  /// waits up to the busy timeout); commits when it returns, rolls back when it throws.
  public func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result {
    try execute("BEGIN IMMEDIATE")
    let result: Result
    do {
      result = try body()
      try execute("COMMIT")
    } catch {
      try? execute("ROLLBACK")
      throw error
    }
    return result
  }

  // MARK: C calls

  private func prepare(_ sql: String) throws -> Statement {
    var prepared: OpaquePointer?
    let status = sqlite3_prepare_v3(
      handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
    guard status == SQLITE_OK, let prepared else { throw error(status) }
    return Statement(handle: prepared)
  }

  private func bind(_ value: SQLiteValue, to statement: OpaquePointer, at index: Int32) -> Int32 {
    switch value {
    case .integer(let number):
      return sqlite3_bind_int64(statement, index, number)
    case .real(let number):
      return sqlite3_bind_double(statement, index, number)
    case .text(let text):
      return text.withCString {
        pond_sqlite_bind_text(statement, index, $0, Int32(text.utf8.count))
      }
    case .blob(let bytes):
      return bytes.withUnsafeBytes {
        // A non-null pointer even for an empty blob: a null one would bind SQL NULL.
        pond_sqlite_bind_blob(
          statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count))
      }
    case .null:
      return sqlite3_bind_null(statement, index)
    }
  }

  private func check(_ status: Int32) throws {
    guard status == SQLITE_OK else { throw error(status) }
  }

  /// The error of the call that just failed: the Swift error a virtual table threw, or SQLite's.
  func error(_ status: Int32) -> any Error {
    if let thrown = failures.take() { return thrown }
    return SQLiteError(
      code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)),
      path: path)
  }

  /// A prepared statement, finalized exactly once.
  final class Statement {
    let handle: OpaquePointer
    var isRunning = false
    private var isFinalized = false

    init(handle: OpaquePointer) { self.handle = handle }

    func finalize() {
      guard !isFinalized else { return }
      isFinalized = true
      sqlite3_finalize(handle)
    }

    deinit { finalize() }
  }
}

/// The current result row of a running query; valid only inside the query's `row` closure (do not keep it).
///
/// Not `Sendable`: it reads the statement that is running on the caller's thread.
public struct SQLiteRow {
  let handle: OpaquePointer

  /// The number of result columns.
  public var columnCount: Int32 { sqlite3_column_count(handle) }

  /// The value of column `index` (from 0) with the type SQLite holds it in.
  public func value(_ index: Int32) -> SQLiteValue {
    switch sqlite3_column_type(handle, index) {
    case SQLITE_INTEGER: .integer(integer(index))
    case SQLITE_FLOAT: .real(real(index))
    case SQLITE_TEXT: .text(text(index))
    case SQLITE_BLOB: .blob(blob(index))
    default: .null
    }
  }

  /// Every column's value, in order.
  public var values: [SQLiteValue] { (0..<columnCount).map { value($0) } }

  public func real(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

  /// True when column `index` (from 0) is SQL NULL.
  public func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

  public func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

  public func blob(_ index: Int32) -> [UInt8] {
    let count = Int(sqlite3_column_bytes(handle, index))
    guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return [] }
    return Array(UnsafeRawBufferPointer(start: bytes, count: count))
  }

  public func text(_ index: Int32) -> String {
    guard let text = sqlite3_column_text(handle, index) else { return "" }
    let count = Int(sqlite3_column_bytes(handle, index))
    return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
  }
}

/// The size of the file at `path`, or nil when there is none.
private func fileSize(_ path: String) -> Int64? {
  var status = stat()
  return stat(path, &status) == 0 ? Int64(status.st_size) : nil
}
