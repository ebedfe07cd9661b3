import Parquet

/// A deterministic generator (SplitMix64) so every run tests the same rows and mutations.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A mixed table exercising every type, nulls, empty strings, non-UTF-8 binary and multi-byte UTF-8.
enum MixedTable {
  static let schema = try! ParquetSchema([
    ParquetColumn(name: "id", type: .int64, nullable: false),
    ParquetColumn(name: "name", type: .string, nullable: true),
    ParquetColumn(name: "mode", type: .int32, nullable: true),
    ParquetColumn(name: "ok", type: .boolean, nullable: true),
    ParquetColumn(name: "blob", type: .binary, nullable: true),
    ParquetColumn(name: "ts", type: .timestamp, nullable: true),
    ParquetColumn(name: "note", type: .string, nullable: false),
    ParquetColumn(name: "flag", type: .boolean, nullable: false),
  ])

  static func columns(rows: Int, seed: UInt64 = 42) -> [ParquetColumnData] {
    var random = SeededGenerator(seed: seed)
    var ids: [Int64?] = []
    var names: [String?] = []
    var modes: [Int32?] = []
    var oks: [Bool?] = []
    var blobs: [[UInt8]?] = []
    var times: [Int64?] = []
    var notes: [String?] = []
    var flags: [Bool?] = []
    let words = [
      "", "a", "héllo", "日本語", "/d1/f0", "emoji 🦆", "x\"y\\z", String(repeating: "long", count: 20),
    ]
    for row in 0..<rows {
      let r = random.next()
      ids.append(Int64(row) &* 1_000_003 &- 7)
      names.append(r % 5 == 0 ? nil : words[Int(r >> 8) % words.count] + String(row % 13))
      modes.append(r % 7 == 0 ? nil : Int32(truncatingIfNeeded: Int64(bitPattern: random.next())))
      oks.append(r % 3 == 0 ? nil : (r >> 20) & 1 == 1)
      if r % 11 == 0 {
        blobs.append(nil)
      } else {
        let count = Int(r >> 30) % 9
        blobs.append(
          (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } + [0xFF, 0xFE])
      }
      times.append(
        r % 4 == 0
          ? nil : 1_717_243_200_123_456 + Int64(row) * 1_000_017 - Int64(r % 1_000_000_000_000))
      notes.append(row % 17 == 0 ? "" : words[row % words.count])
      flags.append(row % 2 == 0)
    }
    return [
      .int64s(ids), .strings(names), .int32s(modes), .booleans(oks), .binaries(blobs),
      .int64s(times),
      .strings(notes), .booleans(flags),
    ]
  }

  /// One canonical text cell per row, as `canonical(_:)`, except timestamps as `t:<nanoseconds>` and dates as
  /// `D:<days>` (the form of the foreign-file script in `ForeignFileTests`).
  static func canonical(_ data: ParquetColumnData, as column: ParquetColumn) -> [String] {
    let plain = canonical(data)
    return data.rows().enumerated().map { row, cell in
      switch (column.logicalType, cell) {
      case (.timestamp(let unit, _), .int64(let value)?):
        let (nanoseconds, overflow) = value.multipliedReportingOverflow(
          by: 1_000_000_000 / unit.perSecond)
        return overflow ? "overflow" : "t:\(nanoseconds)"
      case (.date, .int32(let value)?):
        return "D:\(value)"
      default:
        return plain[row]
      }
    }
  }

  /// One canonical text cell per row: `null`, `b:0/1`, `i:<int>`, `h:<hex of the bytes>`.
  static func canonical(_ column: ParquetColumnData) -> [String] {
    column.rows().map { cell in
      switch cell {
      case nil: "null"
      case .boolean(let value)?: value ? "b:1" : "b:0"
      case .int32(let value)?: "i:\(value)"
      case .int64(let value)?: "i:\(value)"
      // Exact bits, so NaN payloads and -0.0 compare too (Python prints the same from struct.pack).
      case .float(let value)?: "f:\(String(value.bitPattern, radix: 16))"
      case .double(let value)?: "d:\(String(value.bitPattern, radix: 16))"
      case .bytes(let bytes)?: "h:" + bytes.map { String(format2: $0) }.joined()
      }
    }
  }
}

extension String {
  /// Two lowercase hex digits.
  init(format2 byte: UInt8) {
    let digits = Array("0123456789abcdef")
    self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
  }
}
