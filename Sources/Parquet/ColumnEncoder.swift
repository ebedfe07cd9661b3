import PondFiles
import PondZstd

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The open page and the finished pages of one column chunk, plus its statistics.
struct ColumnEncoder {
  let column: ParquetColumn
  var optional: Bool { column.nullable }

  var levelBytes: [UInt8] = []
  var valueBytes: [UInt8] = []
  var pageRows = 0
  var pageBooleans = 0
  var pageBytes: Int { levelBytes.count + valueBytes.count }

  var pending: [UInt8] = []
  var spilled: [(Int64, Int)] = []
  var pageCount = 0
  var numValues: Int64 = 0
  var totalCompressed: Int64 = 0
  var totalUncompressed: Int64 = 0

  var nullCount: Int64 = 0
  var minimumInteger: Int64?
  var maximumInteger: Int64?
  var minimumBytes: [UInt8]?
  var maximumBytes: [UInt8]?

  init(column: ParquetColumn) {
    self.column = column
  }

  mutating func resetPage() {
    levelBytes.removeAll(keepingCapacity: true)
    valueBytes.removeAll(keepingCapacity: true)
    pageRows = 0
    pageBooleans = 0
  }

  mutating func appendLevels(_ presence: [Bool]?, _ range: Range<Int>) {
    let first = pageRows
    let needed = (first + range.count + 7) / 8
    if levelBytes.count < needed {
      levelBytes.append(contentsOf: repeatElement(0, count: needed - levelBytes.count))
    }
    levelBytes.withUnsafeMutableBufferPointer { bits in
      var bit = first
      if let presence {
        for row in range {
          if presence[row] { bits[bit >> 3] |= 1 << UInt8(bit & 7) }
          bit += 1
        }
      } else {
        for _ in range {
          bits[bit >> 3] |= 1 << UInt8(bit & 7)
          bit += 1
        }
      }
    }
  }

  mutating func appendBooleans(_ values: ArraySlice<Bool>) {
    let needed = (pageBooleans + values.count + 7) / 8
    if valueBytes.count < needed {
      valueBytes.append(contentsOf: repeatElement(0, count: needed - valueBytes.count))
    }
    var bit = pageBooleans
    valueBytes.withUnsafeMutableBufferPointer { bits in
      for value in values {
        if value { bits[bit >> 3] |= 1 << UInt8(bit & 7) }
        bit += 1
      }
    }
    pageBooleans = bit
  }

  /// Appends PLAIN integers and widens the column's min/max by them.
  mutating func appendIntegers<T: FixedWidthInteger>(_ values: ArraySlice<T>) {
    #if _endian(big)
      #error("PLAIN encoding here assumes a little-endian machine")
    #endif
    values.withUnsafeBytes { valueBytes.append(contentsOf: $0) }
    guard var low = values.first, var high = values.first else { return }
    for value in values {
      low = Swift.min(low, value)
      high = Swift.max(high, value)
    }
    minimumInteger = Swift.min(minimumInteger ?? Int64(low), Int64(low))
    maximumInteger = Swift.max(maximumInteger ?? Int64(high), Int64(high))
  }

  /// Appends PLAIN IEEE 754 values (no statistics: NaN has no place in a min/max).
  mutating func appendFloatingPoint<T: BinaryFloatingPoint>(_ values: ArraySlice<T>) {
    values.withUnsafeBytes { valueBytes.append(contentsOf: $0) }
  }

  mutating func appendByteArray(_ values: ParquetByteArrays, _ index: Int, path: String)
    throws(ParquetError)
  {
    let start = values.offsets[index]
    let end = values.offsets[index + 1]
    guard end - start <= Int(Int32.max) - 4 else {
      throw ParquetError(
        path: path, kind: .invalidInput,
        reason: "column \"\(column.name)\": a value of \(end - start) bytes is too large")
    }
    let length = UInt32(end - start)
    valueBytes.append(UInt8(truncatingIfNeeded: length))
    valueBytes.append(UInt8(truncatingIfNeeded: length >> 8))
    valueBytes.append(UInt8(truncatingIfNeeded: length >> 16))
    valueBytes.append(UInt8(truncatingIfNeeded: length >> 24))
    values.bytes.withUnsafeBufferPointer { bytes in
      let value = UnsafeBufferPointer(rebasing: bytes[start..<end])
      valueBytes.append(contentsOf: value)
      if column.isString {
        // Byte-wise (unsigned) order is Parquet's and Delta's order for UTF-8 strings; Swift's String `<`
        // is not (it compares canonical equivalence), so compare bytes.
        if minimumBytes == nil || Self.compare(value, minimumBytes!) < 0 {
          minimumBytes = Array(value)
        }
        if maximumBytes == nil || Self.compare(value, maximumBytes!) > 0 {
          maximumBytes = Array(value)
        }
      }
    }
  }

  /// Unsigned lexicographic comparison of two byte strings (negative, zero or positive).
  private static func compare(_ left: UnsafeBufferPointer<UInt8>, _ right: [UInt8]) -> Int {
    right.withUnsafeBufferPointer { right in
      let common = Swift.min(left.count, right.count)
      if common > 0, let l = left.baseAddress, let r = right.baseAddress {
        let order = memcmp(l, r, common)
        if order != 0 { return Int(order) }
      }
      return left.count - right.count
    }
  }

  func statistics() -> ParquetColumnStatistics {
    var low: ParquetStatisticsValue?
    var high: ParquetStatisticsValue?
    // Only what `ParquetStatisticsValue` can say exactly: no dates, floating point, local timestamps, or
    // nanoseconds (which microseconds cannot hold).
    func microseconds(_ value: Int64?, _ factor: Int64) -> ParquetStatisticsValue? {
      guard let value else { return nil }
      let (product, overflow) = value.multipliedReportingOverflow(by: factor)
      return overflow ? nil : .timestamp(microseconds: product)
    }
    switch (column.physicalType, column.logicalType) {
    case (.int32, nil):
      low = minimumInteger.map { .int32(Int32($0)) }
      high = maximumInteger.map { .int32(Int32($0)) }
    case (.int64, nil):
      low = minimumInteger.map { .int64($0) }
      high = maximumInteger.map { .int64($0) }
    case (.int64, .timestamp(.microseconds, true)):
      low = microseconds(minimumInteger, 1)
      high = microseconds(maximumInteger, 1)
    case (.int64, .timestamp(.milliseconds, true)):
      low = microseconds(minimumInteger, 1000)
      high = microseconds(maximumInteger, 1000)
    case (.byteArray, .string):
      // Longer strings are left out to stay clear of the stats prefix-truncation rules (§2.4).
      if let bytes = minimumBytes, bytes.count <= 32 {
        low = .string(String(decoding: bytes, as: UTF8.self))
      }
      if let bytes = maximumBytes, bytes.count <= 32 {
        high = .string(String(decoding: bytes, as: UTF8.self))
      }
    default:
      break
    }
    return ParquetColumnStatistics(name: column.name, nullCount: nullCount, min: low, max: high)
  }
}
