internal import CSQLite

/// An error reported by SQLite, carrying its result code, its message and the database concerned.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The extended result code (`sqlite3_extended_errcode`); its low byte is the primary code.
  public let code: Int32
  /// SQLite's message (`sqlite3_errmsg`), or the wrapper's.
  public let message: String
  /// The database file, or "(temporary)".
  public let path: String
  /// Where in the SQL text the error lies, as a byte offset into its UTF-8 (`sqlite3_error_offset`), when
  /// SQLite knows (syntax errors, unknown tables and columns).
  public let offset: Int?

  public init(code: Int32, message: String, path: String, offset: Int? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.offset = offset
  }

  /// The primary result code (`SQLITE_BUSY`, `SQLITE_CORRUPT`, ...).
  public var primaryCode: Int32 { code & 0xff }

  /// True when the file is damaged or is not a database at all.
  public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

  /// True when the file or its directory cannot be written (a read-only medium or permissions).
  public var isReadOnly: Bool {
    primaryCode == SQLITE_READONLY || primaryCode == SQLITE_CANTOPEN || primaryCode == SQLITE_PERM
  }

  /// True when another connection held a lock longer than the busy timeout.
  public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

  public var description: String {
    "sqlite: \(path): \(message)\(offset.map { " at byte \($0)" } ?? "") (code \(code))"
  }
}
