public import PondSQLite

/// Runs SQL over query tables: SQLite with each table as a virtual table that streams its Parquet pages.
///
/// The database is a private temporary one, read-only once the tables are registered (`PRAGMA
/// query_only`). Errors in the SQL come back as `SQLiteError`, with SQLite's message and the byte offset in
/// the SQL text where it knows one; a file that cannot be read as its table says throws `ParquetError` or
/// `QueryError`. Not `Sendable`: one engine belongs to one thread of control, and its queries run on the
/// calling thread (blocking file I/O: call it from a thread of its own, not Swift's cooperative pool).
public final class QueryEngine {
  private let database: SQLiteDatabase
  private var names = Set<String>()

  public init() throws {
    database = try SQLiteDatabase(path: "", mode: .temporary)
    try database.registerCollation(named: TimestampText.collation, TimestampText.compare)
    try database.execute("PRAGMA query_only = ON")
  }

  /// Makes `table` readable as `table.name` in later queries.
  public func register(_ table: QueryTable) throws {
    guard names.insert(table.name.lowercased()).inserted else {
      throw QueryError.invalidTable(table.name, "a table of that name is registered already")
    }
    try database.register(try ParquetVirtualTable(table), as: table.name)
  }

  /// Prepares one SQL statement; its rows are read with `QueryRows.next()`.
  /// - Throws: `SQLStatementError` for a statement SQLite cannot prepare (its syntax, an unknown table or
  ///   column), with SQLite's message and where in the statement.
  public func prepare(_ sql: String) throws -> QueryRows {
    do {
      return QueryRows(try database.prepareQuery(sql))
    } catch let error as SQLiteError {
      throw SQLStatementError(sql: sql, message: error.message, offset: error.offset)
    }
  }

  /// Runs `sql`, calling `header` once with the column names, then `row` with each row's values until it
  /// returns false or the rows end.
  public func run(
    _ sql: String, header: ([String]) throws -> Void = { _ in },
    row: ([SQLiteValue]) throws -> Bool
  ) throws {
    let rows = try prepare(sql)
    try header(rows.columnNames)
    while let values = try rows.next() {
      guard try row(values) else { return }
    }
  }
}

/// The rows of one query, read one at a time. Not `Sendable`, as its engine.
public final class QueryRows {
  private let query: SQLiteQuery

  init(_ query: SQLiteQuery) { self.query = query }

  public var columnNames: [String] { query.columnNames }

  /// The next row's values, or nil after the last.
  public func next() throws -> [SQLiteValue]? {
    try query.next()?.values
  }
}

/// A statement SQLite could not prepare: its message, and the statement with a caret under the place it
/// names (when it names one).
public struct SQLStatementError: Error, Sendable, Equatable, CustomStringConvertible {
  public let sql: String
  /// SQLite's message (`near "FROM": syntax error`, `no such column: x`).
  public let message: String
  /// The byte offset in the statement's UTF-8 where SQLite places the error.
  public let offset: Int?

  public var description: String {
    var text = "SQL: \(message)"
    guard let offset else { return text }
    if offset <= sql.utf8.count, !sql.contains("\n"), let before = String(sql.utf8.prefix(offset)) {
      text += "\n  \(sql)\n  \(String(repeating: " ", count: before.count))^ (byte \(offset))"
    } else {
      text += " (at byte \(offset) of the statement)"
    }
    return text
  }
}
