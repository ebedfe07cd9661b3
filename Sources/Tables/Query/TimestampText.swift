import PondTime

/// How SQL sees Parquet's timestamps and dates: ISO 8601 text that SQLite's date functions read.
///
/// A timestamp is `YYYY-MM-DDTHH:MM:SS.ffffffZ` (six fraction digits for milliseconds and microseconds,
/// nine for nanoseconds; no `Z` when the column is not adjusted to UTC); a date is `YYYY-MM-DD`. The time
/// columns of query tables compare through the `pond_time` collation, which orders such texts by the
/// instant they name, so `time >= '2024-01-01T00:00:00Z'` and `time = '2024-01-01'` mean what they say
/// whatever the precision or offset written.
enum TimestampText {
  /// The name of the collation that compares texts as instants (`compare(_:_:)`).
  static let collation = "pond_time"

  /// Replaces `buffer` with the text of `value` counted in `unit` since the epoch; false outside years
  /// 0001-9999.
  static func format(
    _ value: Int64, unit: ParquetTimeUnitScale, utc: Bool, into buffer: inout [UInt8]
  ) -> Bool {
    let seconds = value.dividedRoundingDown(by: unit.perSecond)
    let fraction = value - seconds * unit.perSecond
    let days = seconds.dividedRoundingDown(by: 86_400)
    let ofDay = seconds - days * 86_400
    guard appendDate(days: days, into: &buffer) else { return false }
    buffer.append(UInt8(ascii: "T"))
    appendDigits(ofDay / 3600, 2, &buffer)
    buffer.append(UInt8(ascii: ":"))
    appendDigits(ofDay / 60 % 60, 2, &buffer)
    buffer.append(UInt8(ascii: ":"))
    appendDigits(ofDay % 60, 2, &buffer)
    buffer.append(UInt8(ascii: "."))
    switch unit.perSecond {
    case 1_000: appendDigits(fraction * 1000, 6, &buffer)
    case 1_000_000: appendDigits(fraction, 6, &buffer)
    default: appendDigits(fraction, 9, &buffer)
    }
    if utc { buffer.append(UInt8(ascii: "Z")) }
    return true
  }

  /// Replaces `buffer` with `YYYY-MM-DD`; false outside years 0001-9999.
  static func formatDate(days: Int64, into buffer: inout [UInt8]) -> Bool {
    appendDate(days: days, into: &buffer)
  }

  private static func appendDate(days: Int64, into buffer: inout [UInt8]) -> Bool {
    buffer.removeAll(keepingCapacity: true)
    let (year, month, day) = CivilDate.from(daysSinceEpoch: days)
    guard (1...9999).contains(year) else { return false }
    appendDigits(year, 4, &buffer)
    buffer.append(UInt8(ascii: "-"))
    appendDigits(month, 2, &buffer)
    buffer.append(UInt8(ascii: "-"))
    appendDigits(day, 2, &buffer)
    return true
  }

  private static func appendDigits(_ value: Int64, _ width: Int, _ buffer: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<width { divisor *= 10 }
    var rest = value
    while divisor > 0 {
      buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor))
      rest %= divisor
      divisor /= 10
    }
  }

  /// The instant a text names, in PondTime's lenient ISO 8601 (the forms CSV import reads: `T` or a space,
  /// a fraction of any length, `Z`, `±HH:MM`, `±HHMM`, `±HH`, or no zone for UTC). Nil for anything else.
  static func instant(_ text: UnsafeRawBufferPointer) -> (seconds: Int64, nanoseconds: Int64)? {
    ISO8601Time(parsing: text.assumingMemoryBound(to: UInt8.self), options: .lenient).map {
      ($0.seconds, $0.nanoseconds)
    }
  }

  /// The `pond_time` collation: texts that name instants in instant order, before all others, which are in
  /// byte order.
  static func compare(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
    let zulu = UInt8(ascii: "Z")
    // Two texts of this type's own fixed-width form compare as bytes.
    if left.count == right.count, (left.last == zulu) == (right.last == zulu),
      isOwnForm(left), isOwnForm(right)
    {
      return bytewise(left, right)
    }
    switch (instant(left), instant(right)) {
    case (let a?, let b?):
      if a.seconds != b.seconds { return a.seconds < b.seconds ? -1 : 1 }
      return a.nanoseconds < b.nanoseconds ? -1 : a.nanoseconds > b.nanoseconds ? 1 : 0
    case (.some, nil): return -1
    case (nil, .some): return 1
    case (nil, nil): return bytewise(left, right)
    }
  }

  /// Whether `text` has the shape `format` gives: `....-..-..T..:..:..` and a fraction of digits, then
  /// `Z` or nothing.
  private static func isOwnForm(_ text: UnsafeRawBufferPointer) -> Bool {
    guard text.count >= 26, text[10] == UInt8(ascii: "T"), text[19] == UInt8(ascii: ".") else {
      return false
    }
    let end = text[text.count - 1] == UInt8(ascii: "Z") ? text.count - 1 : text.count
    for index in 20..<end {
      guard text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") else { return false }
    }
    return true
  }

  private static func bytewise(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer)
    -> Int
  {
    for index in 0..<min(left.count, right.count) where left[index] != right[index] {
      return left[index] < right[index] ? -1 : 1
    }
    return left.count - right.count
  }
}

/// `TimestampText.format` for a column's rows: the text of the last day is kept, as consecutive rows mostly
/// share it.
struct TimestampFormatter {
  private var day = Int64.min
  private var dayText: [UInt8] = []

  /// As `TimestampText.format`.
  mutating func format(
    _ value: Int64, unit: ParquetTimeUnitScale, utc: Bool, into buffer: inout [UInt8]
  ) -> Bool {
    let seconds = value.dividedRoundingDown(by: unit.perSecond)
    let days = seconds.dividedRoundingDown(by: 86_400)
    if days != day {
      guard TimestampText.formatDate(days: days, into: &dayText) else { return false }
      day = days
    }
    let fraction = value - seconds * unit.perSecond
    let ofDay = seconds - days * 86_400
    let digits = unit.perSecond > 1_000_000 ? 9 : 6
    let scaled = unit.perSecond == 1_000 ? fraction * 1000 : fraction
    let count = 20 + digits + (utc ? 1 : 0)
    buffer.removeAll(keepingCapacity: true)
    buffer.append(contentsOf: dayText)
    while buffer.count < count { buffer.append(UInt8(ascii: "0")) }
    buffer.withUnsafeMutableBufferPointer { out in
      func put(_ value: Int64, at end: Int, width: Int) {
        var rest = value
        var index = end - 1
        while index >= end - width {
          out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
          rest /= 10
          index -= 1
        }
      }
      out[10] = UInt8(ascii: "T")
      put(ofDay / 3600, at: 13, width: 2)
      out[13] = UInt8(ascii: ":")
      put(ofDay / 60 % 60, at: 16, width: 2)
      out[16] = UInt8(ascii: ":")
      put(ofDay % 60, at: 19, width: 2)
      out[19] = UInt8(ascii: ".")
      put(scaled, at: 20 + digits, width: digits)
      if utc { out[count - 1] = UInt8(ascii: "Z") }
    }
    return true
  }
}

/// Units per second of a timestamp column (1,000 / 1,000,000 / 1,000,000,000).
struct ParquetTimeUnitScale: Sendable, Hashable {
  let perSecond: Int64

  /// Microseconds of a value in this unit, rounded toward the past, and clamped to Int64's range (a
  /// sentinel such as Int64.max milliseconds stays the largest instant instead of overflowing): the one
  /// conversion of stored times to microseconds (query, reduce, a table's recorded range).
  func microseconds(_ value: Int64) -> Int64 {
    switch perSecond {
    case 1_000_000: value
    case let unit where unit < 1_000_000: Self.clampedProduct(value, 1_000_000 / unit)
    default: value.dividedRoundingDown(by: perSecond / 1_000_000)
    }
  }

  /// `value * factor`, or Int64's bound on its side when that overflows.
  static func clampedProduct(_ value: Int64, _ factor: Int64) -> Int64 {
    let (product, overflow) = value.multipliedReportingOverflow(by: factor)
    return overflow ? (value < 0 ? Int64.min : Int64.max) : product
  }
}
