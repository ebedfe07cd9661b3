import PondSQLite
import Testing

/// Squares of 1...count as a virtual table (n, square, label); `n` constraints narrow the scan.
private final class Squares: SQLiteVirtualTable {
  let count: Int64
  var filters: [[SQLiteBoundConstraint]] = []
  var failAt: Int64?

  init(count: Int64) { self.count = count }

  let columns = [
    SQLiteVirtualColumn(name: "n", type: .integer),
    SQLiteVirtualColumn(name: "square", type: .real),
    SQLiteVirtualColumn(name: "label", type: .text, collation: "reversed"),
  ]

  func plan(_ request: SQLiteIndexRequest) -> SQLiteIndexPlan {
    let usable = request.constraints.indices.filter { request.constraints[$0].column == 0 }
    return SQLiteIndexPlan(
      constraints: usable, estimatedCost: usable.isEmpty ? 1000 : 10, estimatedRows: 10)
  }

  func makeCursor() throws -> any SQLiteVirtualTableCursor { Cursor(self) }

  struct Failure: Error, Equatable { let row: Int64 }

  final class Cursor: SQLiteVirtualTableCursor {
    let table: Squares
    var n: Int64 = 1
    var last: Int64 = 0

    init(_ table: Squares) { self.table = table }

    func filter(_ constraints: [SQLiteBoundConstraint], columnsUsed: SQLiteColumnSet) throws {
      table.filters.append(constraints)
      n = 1
      last = table.count
      for bound in constraints {
        guard case .integer(let value) = bound.value else { continue }
        switch bound.constraint.operator {
        case .equal:
          n = max(n, value)
          last = min(last, value)
        case .greaterThan, .greaterThanOrEqual: n = max(n, value)
        case .lessThan, .lessThanOrEqual: last = min(last, value)
        }
      }
    }

    var isAtEnd: Bool { n > last }
    func next() throws {
      n += 1
      if n == table.failAt { throw Failure(row: n) }
    }
    var rowID: Int64 { n }

    func column(_ index: Int, into cell: SQLiteResultCell) throws {
      switch index {
      case 0: cell.set(n)
      case 1: cell.set(Double(n * n))
      default: cell.set(.text("#\(n)"))
      }
    }
  }
}

@Suite("SQLite virtual tables")
struct VirtualTableTests {
  private func database(_ table: Squares) throws -> SQLiteDatabase {
    let database = try SQLiteDatabase(path: "", mode: .temporary)
    try database.registerCollation(named: "reversed") { left, right in
      // Byte order, reversed.
      for index in 0..<min(left.count, right.count) where left[index] != right[index] {
        return left[index] < right[index] ? 1 : -1
      }
      return right.count - left.count
    }
    try database.register(table, as: "squares")
    return database
  }

  private func all(_ database: SQLiteDatabase, _ sql: String) throws -> [[SQLiteValue]] {
    let query = try database.prepareQuery(sql)
    var rows: [[SQLiteValue]] = []
    while let row = try query.next() { rows.append(row.values) }
    return rows
  }

  @Test("rows, types, constraints handed to the cursor, and the column's collation")
  func rowsAndConstraints() throws {
    let table = Squares(count: 100)
    let database = try database(table)
    let query = try database.prepareQuery("SELECT n, square, label FROM squares WHERE n > 97")
    #expect(query.columnNames == ["n", "square", "label"])
    #expect(query.isReadOnly)
    var rows: [[SQLiteValue]] = []
    while let row = try query.next() { rows.append(row.values) }
    #expect(
      rows == [
        [.integer(98), .real(9604), .text("#98")], [.integer(99), .real(9801), .text("#99")],
        [.integer(100), .real(10000), .text("#100")],
      ])
    #expect(
      table.filters.last == [
        SQLiteBoundConstraint(
          constraint: SQLiteConstraint(column: 0, operator: .greaterThan), value: .integer(97))
      ])
    // SQLite checks the constraint itself too; the collation orders `label`.
    #expect(
      try all(database, "SELECT label FROM squares WHERE n <= 3 ORDER BY label")
        == [[.text("#3")], [.text("#2")], [.text("#1")]])
    #expect(
      try all(database, "SELECT count(*), sum(n) FROM squares") == [
        [.integer(100), .integer(5050)]
      ])
  }

  @Test("a cursor's error reaches the caller as the Swift error it threw")
  func cursorErrors() throws {
    let table = Squares(count: 10)
    table.failAt = 5
    let database = try database(table)
    #expect(throws: Squares.Failure(row: 5)) { _ = try all(database, "SELECT n FROM squares") }
    // The connection goes on working.
    #expect(try all(database, "SELECT n FROM squares WHERE n = 2") == [[.integer(2)]])
  }

  @Test("an error in SQL carries SQLite's message and its byte offset")
  func errorOffset() throws {
    let database = try database(Squares(count: 1))
    let error = try #require(throws: SQLiteError.self) {
      try database.prepareQuery("SELECT n FROM squares WHERE squares.nope = 1")
    }
    #expect(error.message == "no such column: squares.nope")
    #expect(error.offset == 28)
    let twice = try #require(throws: SQLiteError.self) {
      try database.prepareQuery("SELECT 1; SELECT 2")
    }
    #expect(twice.offset == 10)
  }
}
