import PondTime

/// How CSV cells read as typed values: the one place both inference and conversion parse a cell.
///
/// Cells of every type but `string` and `binary` are read with spaces and tabs around them ignored, and are
/// null when nothing else is left. `bool` is `true` or `false` in any case; integers are decimal with an
/// optional sign; `double` and `float` also take exponents and `nan`, `inf`, `infinity` in any case;
/// timestamps are ISO 8601 (`T` or a space between date and time, a fraction of any length, `Z`, `±HH:MM`,
/// `±HHMM` or `±HH`; a time without zone is UTC, a date alone its midnight UTC); `date` is `YYYY-MM-DD`.
enum CSVValues {
  typealias Cell = UnsafeBufferPointer<UInt8>

  /// The cell without spaces and tabs around it.
  static func trimmed(_ cell: Cell) -> Cell {
    var start = 0
    var end = cell.count
    while start < end && (cell[start] == 0x20 || cell[start] == 0x09) { start += 1 }
    while end > start && (cell[end - 1] == 0x20 || cell[end - 1] == 0x09) { end -= 1 }
    return Cell(rebasing: cell[start..<end])
  }

  static func bool(_ cell: Cell) -> Bool? {
    if matches(cell, "true") { return true }
    if matches(cell, "false") { return false }
    return nil
  }

  static func int64(_ cell: Cell) -> Int64? {
    var index = 0
    var negative = false
    if index < cell.count && (cell[index] == 0x2B || cell[index] == 0x2D) {
      negative = cell[index] == 0x2D
      index += 1
    }
    guard index < cell.count else { return nil }
    var value: Int64 = 0
    while index < cell.count {
      let digit = cell[index] &- 0x30
      guard digit < 10 else { return nil }
      let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (next, overflow2) =
        negative
        ? times10.subtractingReportingOverflow(Int64(digit))
        : times10.addingReportingOverflow(Int64(digit))
      guard !overflow1 && !overflow2 else { return nil }
      value = next
      index += 1
    }
    return value
  }

  static func int32(_ cell: Cell) -> Int32? {
    int64(cell).flatMap { Int32(exactly: $0) }
  }

  static func double(_ cell: Cell) -> Double? {
    var index = 0
    var negative = false
    if index < cell.count && (cell[index] == 0x2B || cell[index] == 0x2D) {
      negative = cell[index] == 0x2D
      index += 1
    }
    let rest = Cell(rebasing: cell[index...])
    if matches(rest, "nan") { return .nan }
    if matches(rest, "inf") || matches(rest, "infinity") {
      return negative ? -.infinity : .infinity
    }
    // Only the decimal form: Swift's parser would also take hexadecimal floats.
    var digits = 0
    func skipDigits() {
      while index < cell.count && cell[index] &- 0x30 < 10 {
        index += 1
        digits += 1
      }
    }
    skipDigits()
    if index < cell.count && cell[index] == 0x2E {
      index += 1
      skipDigits()
    }
    guard digits > 0 else { return nil }
    if index < cell.count && (cell[index] == 0x65 || cell[index] == 0x45) {
      index += 1
      if index < cell.count && (cell[index] == 0x2B || cell[index] == 0x2D) { index += 1 }
      digits = 0
      skipDigits()
      guard digits > 0 else { return nil }
    }
    guard index == cell.count else { return nil }
    return Double(String(decoding: cell, as: UTF8.self))
  }

  static func float(_ cell: Cell) -> Float? {
    guard double(cell) != nil else { return nil }
    return Float(String(decoding: cell, as: UTF8.self))
  }

  static func time(_ cell: Cell) -> ISO8601Time? {
    ISO8601Time(parsing: cell, options: .lenient)
  }

  /// Days since 1970-01-01 of a `YYYY-MM-DD` cell.
  static func date(_ cell: Cell) -> Int32? {
    guard cell.count == 10, let time = time(cell) else { return nil }
    return Int32(exactly: time.seconds / 86_400)
  }

  /// The cell's time as a count of `perSecond` units since the epoch (finer digits truncated), nil when it
  /// is not a time or does not fit.
  static func timestamp(_ cell: Cell, perSecond: Int64) -> Int64? {
    guard let time = time(cell) else { return nil }
    let (whole, overflow1) = time.seconds.multipliedReportingOverflow(by: perSecond)
    let (value, overflow2) = whole.addingReportingOverflow(
      time.nanoseconds / (1_000_000_000 / perSecond))
    return overflow1 || overflow2 ? nil : value
  }

  /// Whether the cell is `word` (lowercase ASCII) in any case.
  private static func matches(_ cell: Cell, _ word: StaticString) -> Bool {
    guard cell.count == word.utf8CodeUnitCount else { return false }
    let letters = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    for (byte, letter) in zip(cell, letters) where byte | 0x20 != letter {
      return false
    }
    return true
  }
}
