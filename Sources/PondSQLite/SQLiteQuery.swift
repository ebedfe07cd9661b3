internal import CSQLite

/// One statement of SQL text from outside the program (a user's query), stepped by the caller row by row.
///
/// Unlike `SQLiteDatabase.query`, the statement is not cached: it is prepared once and finalized with this
/// object. Not `Sendable`: it belongs to its connection's thread of control.
public final class SQLiteQuery {
  /// `name` as an SQL identifier: in double quotes, a quote inside doubled.
  public static func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacing("\"", with: "\"\"") + "\""
  }

  /// The result columns' names (`sqlite3_column_name`).
  public let columnNames: [String]
  /// True when the statement changes nothing in the database (`sqlite3_stmt_readonly`).
  public let isReadOnly: Bool
  private let database: SQLiteDatabase
  private let statement: SQLiteDatabase.Statement
  private var isDone = false

  init(database: SQLiteDatabase, statement: SQLiteDatabase.Statement) {
    self.database = database
    self.statement = statement
    columnNames = (0..<sqlite3_column_count(statement.handle)).map {
      sqlite3_column_name(statement.handle, $0).map { String(cString: $0) } ?? ""
    }
    isReadOnly = sqlite3_stmt_readonly(statement.handle) != 0
  }

  /// Steps to the next result row, valid until the next call; nil once the rows end.
  /// - Throws: `SQLiteError`, or the error a virtual table threw.
  public func next() throws -> SQLiteRow? {
    guard !isDone else { return nil }
    let status = sqlite3_step(statement.handle)
    if status == SQLITE_ROW { return SQLiteRow(handle: statement.handle) }
    isDone = true
    if status == SQLITE_DONE { return nil }
    let failure = database.error(status)
    sqlite3_reset(statement.handle)
    throw failure
  }
}

extension SQLiteDatabase {
  /// Prepares the one statement in `sql` (a trailing `;` and whitespace are allowed).
  /// - Throws: `SQLiteError` with SQLite's message and, when it knows, the byte offset of the error in
  ///   `sql` (`sqlite3_error_offset`).
  public func prepareQuery(_ sql: String) throws -> SQLiteQuery {
    var prepared: OpaquePointer?
    var rest = ""
    var failure: SQLiteError?
    sql.withCString { text in
      var tail: UnsafePointer<CChar>?
      let status = sqlite3_prepare_v3(handle, text, -1, 0, &prepared, &tail)
      guard status == SQLITE_OK else {
        let offset = sqlite3_error_offset(handle)
        failure = SQLiteError(
          code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)),
          path: path, offset: offset >= 0 ? Int(offset) : nil)
        return
      }
      if let tail { rest = String(cString: tail) }
    }
    if let failure { throw failure }
    guard let prepared else {
      throw SQLiteError(code: SQLITE_MISUSE, message: "no SQL statement", path: path, offset: 0)
    }
    let statement = Statement(handle: prepared)
    let trailing = rest.drop { $0.isWhitespace || $0 == ";" }
    guard trailing.isEmpty else {
      throw SQLiteError(
        code: SQLITE_MISUSE, message: "only one SQL statement may be given", path: path,
        offset: sql.utf8.count - rest.utf8.count + (rest.utf8.count - trailing.utf8.count))
    }
    return SQLiteQuery(database: self, statement: statement)
  }
}
