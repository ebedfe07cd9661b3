#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A UTC instant in milliseconds since the Unix epoch: Delta commit times (`commitInfo.timestamp`), file
/// modification times.
public struct UTCMilliseconds: RawRepresentable, Sendable, Hashable, Comparable,
  CustomStringConvertible
{
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }

  /// The real-time clock now. The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
  public static func now() -> UTCMilliseconds { UTCMilliseconds(UTCMicroseconds.now()) }

  /// The millisecond holding `instant` (rounded toward the past).
  public init(_ instant: UTCMicroseconds) {
    rawValue = instant.rawValue.dividedRoundingDown(by: 1000)
  }

  /// `2024-06-01T12:00:00.123Z`; nil outside years 0001-9999, which ISO 8601's four-digit years cannot name.
  public var iso8601: String? {
    let days = rawValue.dividedRoundingDown(by: 86_400_000)
    let ofDay = rawValue - days * 86_400_000
    let (year, month, day) = CivilDate.from(daysSinceEpoch: days)
    guard (1...9999).contains(year) else { return nil }
    func pad(_ value: Int64, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(ofDay / 3_600_000, 2)):"
      + "\(pad(ofDay / 60_000 % 60, 2)):\(pad(ofDay / 1000 % 60, 2)).\(pad(ofDay % 1000, 3))Z"
  }

  /// Parses an ISO 8601 time: `2026-11-24T20:15:00Z`, with a fraction of a second (truncated to ms) and a
  /// `Z` or `±HH:MM` offset, or a date alone (its midnight UTC). Nil for anything else.
  public init?(iso8601 text: String) {
    var scanner = Scanner(text)
    guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2),
      scanner.skip("-"), let day = scanner.digits(2), (1...12).contains(month),
      (1...CivilDate.daysIn(month: month, year: year)).contains(day)
    else { return nil }
    var milliseconds = CivilDate.daysSinceEpoch(year: year, month: month, day: day) * 86_400_000
    if scanner.isAtEnd {
      rawValue = milliseconds
      return
    }
    guard scanner.skip("T") || scanner.skip("t"), let hour = scanner.digits(2), scanner.skip(":"),
      let minute = scanner.digits(2), scanner.skip(":"), let second = scanner.digits(2),
      hour < 24, minute < 60, second < 61
    else { return nil }
    milliseconds += ((hour * 60 + minute) * 60 + second) * 1000
    if scanner.skip(".") {
      var scale: Int64 = 100
      var any = false
      while let digit = scanner.digits(1) {
        milliseconds += digit * scale
        scale /= 10
        any = true
      }
      guard any else { return nil }
    }
    if scanner.skip("Z") || scanner.skip("z") {
    } else if let sign = scanner.sign(), let hours = scanner.digits(2), scanner.skip(":"),
      let minutes = scanner.digits(2), hours < 24, minutes < 60
    {
      milliseconds -= sign * (hours * 60 + minutes) * 60_000
    } else {
      return nil
    }
    guard scanner.isAtEnd else { return nil }
    rawValue = milliseconds
  }

  public static func < (left: Self, right: Self) -> Bool { left.rawValue < right.rawValue }
  public var description: String { iso8601 ?? "\(rawValue) ms" }
}

/// A UTC instant in microseconds since the Unix epoch: oplog row times, transaction times, node-id clocks.
public struct UTCMicroseconds: RawRepresentable, Sendable, Hashable, Comparable,
  CustomStringConvertible
{
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }

  /// The start of millisecond `instant`.
  public init(_ instant: UTCMilliseconds) { rawValue = instant.rawValue * 1000 }

  /// The real-time clock now. The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
  public static func now() -> UTCMicroseconds {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return UTCMicroseconds(rawValue: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
  }

  public static func < (left: Self, right: Self) -> Bool { left.rawValue < right.rawValue }
  public var description: String { UTCMilliseconds(self).description }
}

extension Int64 {
  /// Division rounding toward negative infinity.
  public func dividedRoundingDown(by divisor: Int64) -> Int64 {
    let quotient = self / divisor
    return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
  }
}

/// Proleptic Gregorian dates as day counts since 1970-01-01 (the civil-from-days algorithm: 400-year eras of
/// 146,097 days, years starting in March so that the leap day comes last).
public enum CivilDate {
  public static func from(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days + 719_468
    let era = z.dividedRoundingDown(by: 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = y.dividedRoundingDown(by: 400)
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  public static func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }
}

/// Reads an ISO 8601 text byte by byte.
private struct Scanner {
  private let bytes: [UInt8]
  private var position = 0

  init(_ text: String) { bytes = Array(text.utf8) }

  var isAtEnd: Bool { position == bytes.count }

  mutating func skip(_ character: Unicode.Scalar) -> Bool {
    guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
    position += 1
    return true
  }

  /// Exactly `count` decimal digits as a number, or nil (nothing consumed).
  mutating func digits(_ count: Int) -> Int64? {
    guard position + count <= bytes.count else { return nil }
    var value: Int64 = 0
    for byte in bytes[position..<(position + count)] {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + Int64(byte - UInt8(ascii: "0"))
    }
    position += count
    return value
  }

  /// +1 or -1 for a `+` or `-`, or nil.
  mutating func sign() -> Int64? {
    if skip("+") { return 1 }
    if skip("-") { return -1 }
    return nil
  }
}

extension Duration {
  /// A duration written as a number and a unit: `250ms`, `2s`, `1.5m`, `1h` (what `--interval` and the
  /// agent's configuration take); nil for anything else.
  public init?(text: String) {
    let units: [(suffix: String, seconds: Double)] = [
      ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600),
    ]
    guard let unit = units.first(where: { text.hasSuffix($0.suffix) }),
      let number = Double(text.dropLast(unit.suffix.count)), number.isFinite, number >= 0
    else { return nil }
    self = .milliseconds(Int64((number * unit.seconds * 1000).rounded()))
  }
}
