internal import CSQLite

/// The type a virtual table declares for a column (its affinity).
public enum SQLiteColumnType: String, Sendable, Hashable {
  case integer = "INTEGER"
  case real = "REAL"
  case text = "TEXT"
  case blob = "BLOB"
}

/// One column of a virtual table: its name, declared type, and the collation its comparisons use.
public struct SQLiteVirtualColumn: Sendable, Hashable {
  public var name: String
  public var type: SQLiteColumnType
  /// A collation registered on the connection (`registerCollation(named:_:)`), or nil for `BINARY`.
  public var collation: String?

  public init(name: String, type: SQLiteColumnType, collation: String? = nil) {
    self.name = name
    self.type = type
    self.collation = collation
  }
}

/// A comparison of a column with a value that SQLite offers a virtual table to evaluate (`xBestIndex`).
public struct SQLiteConstraint: Sendable, Hashable {
  public enum Operator: Sendable, Hashable {
    case equal, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual
  }

  /// The column's index in the table's `columns`.
  public var column: Int
  public var `operator`: Operator

  public init(column: Int, operator: Operator) {
    self.column = column
    self.operator = `operator`
  }
}

/// The columns a statement reads from a virtual table (`colUsed`); the last bit stands for every column from
/// 63 on.
public struct SQLiteColumnSet: Sendable, Hashable {
  public var mask: UInt64

  public init(mask: UInt64) { self.mask = mask }

  public func contains(_ column: Int) -> Bool { mask & (1 << UInt64(min(column, 63))) != 0 }
}

/// What SQLite asks a virtual table to plan: the usable constraints of one way to scan it.
public struct SQLiteIndexRequest: Sendable {
  /// The usable constraints with the operators tables can evaluate (others are left to SQLite).
  public let constraints: [SQLiteConstraint]
  /// For each constraint, its right-hand value when SQLite knows it while planning (a literal), else nil
  /// (`sqlite3_vtab_rhs_value`).
  public let values: [SQLiteValue?]
  public let columnsUsed: SQLiteColumnSet
}

/// A virtual table's answer to an `SQLiteIndexRequest`.
public struct SQLiteIndexPlan: Sendable {
  /// Indices into the request's `constraints` whose values the cursor's `filter` receives, in this order.
  /// SQLite still checks each of them on every row the cursor yields.
  public var constraints: [Int]
  public var estimatedCost: Double
  public var estimatedRows: Int64

  public init(constraints: [Int], estimatedCost: Double, estimatedRows: Int64) {
    self.constraints = constraints
    self.estimatedCost = estimatedCost
    self.estimatedRows = estimatedRows
  }
}

/// A constraint chosen by a plan, with the value SQLite gives it for this scan.
public struct SQLiteBoundConstraint: Sendable, Equatable {
  public var constraint: SQLiteConstraint
  public var value: SQLiteValue

  public init(constraint: SQLiteConstraint, value: SQLiteValue) {
    self.constraint = constraint
    self.value = value
  }
}

/// A table that SQLite reads through Swift: it declares its columns, plans scans, and opens cursors.
///
/// Registered with `SQLiteDatabase.register(_:as:)` as an eponymous virtual table: its name is usable in
/// `FROM` at once, without `CREATE VIRTUAL TABLE`.
public protocol SQLiteVirtualTable: AnyObject {
  var columns: [SQLiteVirtualColumn] { get }
  /// Chooses which constraints the cursor will use and what the scan costs (`xBestIndex`); called several
  /// times while SQLite plans a statement.
  func plan(_ request: SQLiteIndexRequest) -> SQLiteIndexPlan
  func makeCursor() throws -> any SQLiteVirtualTableCursor
}

/// One scan of a virtual table. SQLite calls `filter` to start (or restart) it, then `next` until `isAtEnd`.
public protocol SQLiteVirtualTableCursor: AnyObject {
  /// Starts a scan: `constraints` are the plan's, with their values; `columnsUsed` the columns read.
  func filter(_ constraints: [SQLiteBoundConstraint], columnsUsed: SQLiteColumnSet) throws
  var isAtEnd: Bool { get }
  func next() throws
  /// Gives the current row's value of column `index`.
  func column(_ index: Int, into cell: SQLiteResultCell) throws
  var rowID: Int64 { get }
}

/// Where a cursor puts one value for SQLite; valid only during `column(_:into:)`. Text and blobs are copied.
/// Not `Sendable`: it is SQLite's context of the call running on this thread.
public struct SQLiteResultCell {
  let context: OpaquePointer

  public func setNull() { sqlite3_result_null(context) }
  public func set(_ value: Int64) { sqlite3_result_int64(context, value) }
  public func set(_ value: Double) { sqlite3_result_double(context, value) }

  /// UTF-8 text.
  public func setText(_ bytes: UnsafeRawBufferPointer) {
    pond_sqlite_result_text(
      context,
      (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(
        to: CChar.self), Int32(bytes.count))
  }

  public func setBlob(_ bytes: UnsafeRawBufferPointer) {
    pond_sqlite_result_blob(
      context, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count))
  }

  public func set(_ value: SQLiteValue) {
    switch value {
    case .null: setNull()
    case .integer(let number): set(number)
    case .real(let number): set(number)
    case .text(let text):
      var text = text
      text.withUTF8 { setText(UnsafeRawBufferPointer($0)) }
    case .blob(let bytes): bytes.withUnsafeBytes { setBlob($0) }
    }
  }
}

/// The Swift error a virtual table threw during the statement running now; SQLite itself only carries the
/// message.
final class VirtualTableFailures {
  private var error: (any Error)?

  func record(_ error: any Error) { self.error = error }

  func take() -> (any Error)? {
    defer { error = nil }
    return error
  }
}

/// What a module's `pAux` points to: the table and where its errors go.
private final class TableRegistration {
  let table: any SQLiteVirtualTable
  let failures: VirtualTableFailures

  init(table: any SQLiteVirtualTable, failures: VirtualTableFailures) {
    self.table = table
    self.failures = failures
  }
}

/// What a `pond_vtab_cursor` points to.
private final class CursorBox {
  let cursor: any SQLiteVirtualTableCursor
  let failures: VirtualTableFailures

  init(cursor: any SQLiteVirtualTableCursor, failures: VirtualTableFailures) {
    self.cursor = cursor
    self.failures = failures
  }
}

extension SQLiteDatabase {
  /// Registers `table` under `name` as an eponymous virtual table of this connection, which keeps the table
  /// until it closes. The corresponding C function is `sqlite3_create_module_v2`.
  public func register(_ table: any SQLiteVirtualTable, as name: String) throws {
    let definition = moduleDefinition ?? Self.makeModuleDefinition()
    moduleDefinition = definition
    let registration = TableRegistration(table: table, failures: failures)
    let status = sqlite3_create_module_v2(
      handle, name, definition, Unmanaged.passRetained(registration).toOpaque()
    ) { aux in
      if let aux { Unmanaged<TableRegistration>.fromOpaque(aux).release() }
    }
    guard status == SQLITE_OK else { throw error(status) }
  }

  /// Registers a collation: `compare` orders two UTF-8 texts (negative, zero, positive). The corresponding C
  /// function is `sqlite3_create_collation_v2`.
  public func registerCollation(
    named name: String, _ compare: @escaping (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Int
  ) throws {
    let box = CollationBox(compare: compare)
    let status = sqlite3_create_collation_v2(
      handle, name, SQLITE_UTF8, Unmanaged.passRetained(box).toOpaque(),
      { context, leftCount, left, rightCount, right in
        let box = Unmanaged<CollationBox>.fromOpaque(context!).takeUnretainedValue()
        let result = box.compare(
          UnsafeRawBufferPointer(start: left, count: Int(leftCount)),
          UnsafeRawBufferPointer(start: right, count: Int(rightCount)))
        return result < 0 ? -1 : result > 0 ? 1 : 0
      },
      { context in
        if let context { Unmanaged<CollationBox>.fromOpaque(context).release() }
      })
    guard status == SQLITE_OK else { throw error(status) }
  }

  private static func makeModuleDefinition() -> UnsafeMutablePointer<sqlite3_module> {
    var module = sqlite3_module()
    module.iVersion = 1
    // xCreate stays nil: an eponymous-only module, usable by its name alone.
    module.xConnect = { db, aux, _, _, tableOut, errorOut in
      let registration = Unmanaged<TableRegistration>.fromOpaque(aux!).takeUnretainedValue()
      let declaration = SQLiteDatabase.declaration(of: registration.table.columns)
      let status = sqlite3_declare_vtab(db, declaration)
      guard status == SQLITE_OK else { return status }
      let table = UnsafeMutablePointer<pond_vtab>.allocate(capacity: 1)
      table.initialize(to: pond_vtab())
      table.pointee.owner = aux
      tableOut!.pointee = UnsafeMutableRawPointer(table).assumingMemoryBound(to: sqlite3_vtab.self)
      _ = errorOut
      return SQLITE_OK
    }
    module.xBestIndex = { table, info in
      let registration = SQLiteDatabase.registration(of: table!)
      SQLiteDatabase.bestIndex(registration.table, info!)
      return SQLITE_OK
    }
    module.xDisconnect = { table in
      let table = UnsafeMutableRawPointer(table!).assumingMemoryBound(to: pond_vtab.self)
      sqlite3_free(table.pointee.base.zErrMsg)
      table.deallocate()
      return SQLITE_OK
    }
    module.xOpen = { table, cursorOut in
      let registration = SQLiteDatabase.registration(of: table!)
      do {
        let cursor = try registration.table.makeCursor()
        let box = CursorBox(cursor: cursor, failures: registration.failures)
        let pointer = UnsafeMutablePointer<pond_vtab_cursor>.allocate(capacity: 1)
        pointer.initialize(to: pond_vtab_cursor())
        pointer.pointee.owner = Unmanaged.passRetained(box).toOpaque()
        cursorOut!.pointee = UnsafeMutableRawPointer(pointer).assumingMemoryBound(
          to: sqlite3_vtab_cursor.self)
        return SQLITE_OK
      } catch {
        return SQLiteDatabase.fail(table!, registration.failures, error)
      }
    }
    module.xClose = { cursor in
      let pointer = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: pond_vtab_cursor.self)
      Unmanaged<CursorBox>.fromOpaque(pointer.pointee.owner).release()
      pointer.deallocate()
      return SQLITE_OK
    }
    module.xFilter = { cursor, _, plan, count, arguments in
      SQLiteDatabase.withCursor(cursor!) { box in
        let text = plan.map { String(cString: $0) } ?? ""
        let (used, constraints) = SQLiteDatabase.decodePlan(text)
        var bound: [SQLiteBoundConstraint] = []
        for index in 0..<min(Int(count), constraints.count) {
          bound.append(
            SQLiteBoundConstraint(
              constraint: constraints[index], value: SQLiteDatabase.value(of: arguments![index]!)))
        }
        try box.cursor.filter(bound, columnsUsed: used)
      }
    }
    module.xNext = { cursor in
      SQLiteDatabase.withCursor(cursor!) { try $0.cursor.next() }
    }
    module.xEof = { cursor in
      let pointer = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: pond_vtab_cursor.self)
      return Unmanaged<CursorBox>.fromOpaque(pointer.pointee.owner).takeUnretainedValue().cursor
        .isAtEnd ? 1 : 0
    }
    module.xColumn = { cursor, context, index in
      SQLiteDatabase.withCursor(cursor!) {
        try $0.cursor.column(Int(index), into: SQLiteResultCell(context: context!))
      }
    }
    module.xRowid = { cursor, rowID in
      let pointer = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: pond_vtab_cursor.self)
      rowID!.pointee =
        Unmanaged<CursorBox>.fromOpaque(pointer.pointee.owner).takeUnretainedValue().cursor.rowID
      return SQLITE_OK
    }
    let definition = UnsafeMutablePointer<sqlite3_module>.allocate(capacity: 1)
    definition.initialize(to: module)
    return definition
  }

  /// `CREATE TABLE x("a" INTEGER, "b" TEXT COLLATE c, ...)`.
  private static func declaration(of columns: [SQLiteVirtualColumn]) -> String {
    let quoted = SQLiteQuery.quotedIdentifier
    let parts = columns.map { column in
      "\(quoted(column.name)) \(column.type.rawValue)"
        + (column.collation.map { " COLLATE \(quoted($0))" } ?? "")
    }
    return "CREATE TABLE x(\(parts.joined(separator: ", ")))"
  }

  private static func registration(of table: UnsafeMutablePointer<sqlite3_vtab>)
    -> TableRegistration
  {
    let pointer = UnsafeMutableRawPointer(table).assumingMemoryBound(to: pond_vtab.self)
    return Unmanaged<TableRegistration>.fromOpaque(pointer.pointee.owner).takeUnretainedValue()
  }

  /// Runs `body` on the cursor's Swift object, turning a thrown error into SQLite's error code and message.
  private static func withCursor(
    _ cursor: UnsafeMutablePointer<sqlite3_vtab_cursor>, _ body: (CursorBox) throws -> Void
  ) -> Int32 {
    let pointer = UnsafeMutableRawPointer(cursor).assumingMemoryBound(to: pond_vtab_cursor.self)
    let box = Unmanaged<CursorBox>.fromOpaque(pointer.pointee.owner).takeUnretainedValue()
    do {
      try body(box)
      return SQLITE_OK
    } catch {
      return fail(cursor.pointee.pVtab, box.failures, error)
    }
  }

  private static func fail(
    _ table: UnsafeMutablePointer<sqlite3_vtab>, _ failures: VirtualTableFailures,
    _ error: any Error
  ) -> Int32 {
    failures.record(error)
    pond_sqlite_vtab_set_error(table, "\(error)")
    return SQLITE_ERROR
  }

  private static func bestIndex(
    _ table: any SQLiteVirtualTable, _ info: UnsafeMutablePointer<sqlite3_index_info>
  ) {
    var constraints: [SQLiteConstraint] = []
    var values: [SQLiteValue?] = []
    var positions: [Int] = []
    for position in 0..<Int(info.pointee.nConstraint) {
      let constraint = info.pointee.aConstraint[position]
      guard constraint.usable != 0, constraint.iColumn >= 0 else { continue }
      let kind: SQLiteConstraint.Operator
      switch Int32(constraint.op) {
      case SQLITE_INDEX_CONSTRAINT_EQ: kind = .equal
      case SQLITE_INDEX_CONSTRAINT_LT: kind = .lessThan
      case SQLITE_INDEX_CONSTRAINT_LE: kind = .lessThanOrEqual
      case SQLITE_INDEX_CONSTRAINT_GT: kind = .greaterThan
      case SQLITE_INDEX_CONSTRAINT_GE: kind = .greaterThanOrEqual
      default: continue
      }
      // A comparison under another collation than the column's own (`time COLLATE BINARY < ...`) orders
      // values otherwise than the table's plan would: it is left to SQLite.
      let declared = (table.columns[Int(constraint.iColumn)].collation ?? "BINARY").lowercased()
      let compared = sqlite3_vtab_collation(info, Int32(position)).map { String(cString: $0) }
      guard (compared ?? "BINARY").lowercased() == declared else { continue }
      constraints.append(SQLiteConstraint(column: Int(constraint.iColumn), operator: kind))
      var value: OpaquePointer?
      values.append(
        sqlite3_vtab_rhs_value(info, Int32(position), &value) == SQLITE_OK
          ? value.map { Self.value(of: $0) } : nil)
      positions.append(position)
    }
    let used = SQLiteColumnSet(mask: info.pointee.colUsed)
    let plan = table.plan(
      SQLiteIndexRequest(constraints: constraints, values: values, columnsUsed: used))
    var chosen: [SQLiteConstraint] = []
    for (argument, index) in plan.constraints.enumerated() {
      precondition(constraints.indices.contains(index), "a plan names a constraint not offered")
      info.pointee.aConstraintUsage[positions[index]].argvIndex = Int32(argument + 1)
      info.pointee.aConstraintUsage[positions[index]].omit = 0
      chosen.append(constraints[index])
    }
    info.pointee.idxStr = pond_sqlite_strdup(encodePlan(used, chosen))
    info.pointee.needToFreeIdxStr = 1
    info.pointee.estimatedCost = plan.estimatedCost
    info.pointee.estimatedRows = plan.estimatedRows
  }

  /// `mask;column:operator,...`, what `xFilter` receives in `idxStr`.
  private static func encodePlan(_ used: SQLiteColumnSet, _ constraints: [SQLiteConstraint])
    -> String
  {
    let operators: [SQLiteConstraint.Operator] = [
      .equal, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual,
    ]
    let parts = constraints.map { "\($0.column):\(operators.firstIndex(of: $0.operator)!)" }
    return "\(used.mask);" + parts.joined(separator: ",")
  }

  private static func decodePlan(_ text: String) -> (SQLiteColumnSet, [SQLiteConstraint]) {
    let operators: [SQLiteConstraint.Operator] = [
      .equal, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual,
    ]
    let halves = text.split(separator: ";", omittingEmptySubsequences: false)
    let mask = halves.first.flatMap { UInt64($0) } ?? UInt64.max
    var constraints: [SQLiteConstraint] = []
    if halves.count > 1 {
      for part in halves[1].split(separator: ",") {
        let fields = part.split(separator: ":")
        guard fields.count == 2, let column = Int(fields[0]), let kind = Int(fields[1]) else {
          preconditionFailure("idxStr \(text) was not made by encodePlan")
        }
        constraints.append(SQLiteConstraint(column: column, operator: operators[kind]))
      }
    }
    return (SQLiteColumnSet(mask: mask), constraints)
  }

  /// A copy of an `sqlite3_value`.
  static func value(of value: OpaquePointer) -> SQLiteValue {
    switch sqlite3_value_type(value) {
    case SQLITE_INTEGER: return .integer(sqlite3_value_int64(value))
    case SQLITE_FLOAT: return .real(sqlite3_value_double(value))
    case SQLITE_TEXT:
      let count = Int(sqlite3_value_bytes(value))
      guard let text = sqlite3_value_text(value) else { return .text("") }
      return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
    case SQLITE_BLOB:
      let count = Int(sqlite3_value_bytes(value))
      guard count > 0, let bytes = sqlite3_value_blob(value) else { return .blob([]) }
      return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
    default: return .null
    }
  }
}

/// What a collation's context points to.
private final class CollationBox {
  let compare: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Int
  init(compare: @escaping (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Int) {
    self.compare = compare
  }
}
