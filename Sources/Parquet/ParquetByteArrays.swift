/// A packed sequence of byte strings (string or binary column values): one buffer plus offsets, so a
/// million values cost two allocations instead of a million.
public struct ParquetByteArrays: Sendable, Equatable, RandomAccessCollection {
  /// All values back to back.
  public private(set) var bytes: [UInt8]
  /// `offsets[i]..<offsets[i + 1]` is value `i` in `bytes`; always `count + 1` entries, starting at 0.
  public private(set) var offsets: [Int]

  public init() {
    bytes = []
    offsets = [0]
  }

  public init(_ values: some Sequence<some Collection<UInt8>>) {
    self.init()
    for value in values { append(value) }
  }

  public init(strings: some Sequence<String>) {
    self.init()
    for value in strings { append(value) }
  }

  /// Reserves room for `count` more values of `byteCount` bytes in total.
  public mutating func reserveCapacity(count: Int, byteCount: Int) {
    offsets.reserveCapacity(offsets.count + count)
    bytes.reserveCapacity(bytes.count + byteCount)
  }

  public mutating func append(_ value: some Collection<UInt8>) {
    bytes.append(contentsOf: value)
    offsets.append(bytes.count)
  }

  public mutating func append(_ value: String) {
    var value = value
    value.withUTF8 { bytes.append(contentsOf: $0) }
    offsets.append(bytes.count)
  }

  /// Appends values `range` of `other`.
  public mutating func append(contentsOf other: ParquetByteArrays, range: Range<Int>) {
    guard !range.isEmpty else { return }
    let base = bytes.count - other.offsets[range.lowerBound]
    bytes.append(
      contentsOf: other.bytes[other.offsets[range.lowerBound]..<other.offsets[range.upperBound]])
    let first = offsets.count
    offsets.append(contentsOf: other.offsets[range.lowerBound + 1...range.upperBound])
    if base != 0 {
      offsets.withUnsafeMutableBufferPointer { offsets in
        for index in first..<offsets.count { offsets[index] += base }
      }
    }
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { offsets.count - 1 }

  public subscript(position: Int) -> ArraySlice<UInt8> {
    bytes[offsets[position]..<offsets[position + 1]]
  }

  /// Internal: builds from already validated parts.
  init(bytes: [UInt8], offsets: [Int]) {
    self.bytes = bytes
    self.offsets = offsets
  }
}

/// One non-null cell, for row-wise access and comparisons in tests and tools.
public enum ParquetValue: Sendable, Hashable {
  case boolean(Bool)
  /// Also dates (days since 1970-01-01).
  case int32(Int32)
  /// Also timestamps (in the column's unit since the epoch).
  case int64(Int64)
  case float(Float)
  case double(Double)
  /// String (UTF-8) or binary bytes.
  case bytes([UInt8])
}

/// The non-null values of a column, in row order, in the physical representation Parquet stores.
public enum ParquetValues: Sendable, Equatable {
  case boolean([Bool])
  /// INT32 columns, dates among them.
  case int32([Int32])
  /// INT64 columns, timestamps among them.
  case int64([Int64])
  case float([Float])
  case double([Double])
  /// BYTE_ARRAY columns: strings and binary.
  case byteArray(ParquetByteArrays)

  /// How many values there are.
  public var count: Int {
    switch self {
    case .boolean(let values): values.count
    case .int32(let values): values.count
    case .int64(let values): values.count
    case .float(let values): values.count
    case .double(let values): values.count
    case .byteArray(let values): values.count
    }
  }

  func value(at index: Int) -> ParquetValue {
    switch self {
    case .boolean(let values): .boolean(values[index])
    case .int32(let values): .int32(values[index])
    case .int64(let values): .int64(values[index])
    case .float(let values): .float(values[index])
    case .double(let values): .double(values[index])
    case .byteArray(let values): .bytes(Array(values[index]))
    }
  }

  /// The physical type these values are stored as.
  var physicalType: ParquetPhysicalType {
    switch self {
    case .boolean: .boolean
    case .int32: .int32
    case .int64: .int64
    case .float: .float
    case .double: .double
    case .byteArray: .byteArray
    }
  }
}

/// A batch of one column: its non-null values plus, when some rows are null, one presence flag per row.
///
/// Nulls take no slot in `values`: row `r` is null when `presence[r]` is false, and the `k`-th present row
/// holds `values[k]`. This is how Parquet stores optional columns, so writing and reading copy no cells.
public struct ParquetColumnData: Sendable, Equatable {
  public let values: ParquetValues
  /// `nil` when every row is present; otherwise one flag per row (`true` = present).
  public let presence: [Bool]?

  /// - Precondition: `presence`, when given, has exactly `values.count` true entries.
  public init(values: ParquetValues, presence: [Bool]? = nil) {
    if let presence {
      precondition(
        presence.lazy.filter { $0 }.count == values.count,
        "presence must have exactly one true entry per value")
      // An all-present flag array says nothing; drop it so equal data compares equal.
      self.presence = presence.count == values.count ? nil : presence
    } else {
      self.presence = nil
    }
    self.values = values
  }

  /// Internal: `presence` is already known to be consistent with `values`.
  init(checkedValues values: ParquetValues, presence: [Bool]?) {
    self.values = values
    self.presence = presence
  }

  /// The number of rows, nulls included.
  public var rowCount: Int { presence?.count ?? values.count }

  /// The number of null rows.
  public var nullCount: Int { rowCount - values.count }

  /// Every row as an optional cell (`nil` = null). Convenient, not fast.
  public func rows() -> [ParquetValue?] {
    guard let presence else { return (0..<values.count).map { values.value(at: $0) } }
    var next = 0
    return presence.map { present in
      guard present else { return nil }
      defer { next += 1 }
      return values.value(at: next)
    }
  }

  public static func booleans(_ rows: [Bool?]) -> ParquetColumnData {
    ParquetColumnData(values: .boolean(rows.compactMap { $0 }), presence: presenceOf(rows))
  }

  /// Also for dates (days since 1970-01-01).
  public static func int32s(_ rows: [Int32?]) -> ParquetColumnData {
    ParquetColumnData(values: .int32(rows.compactMap { $0 }), presence: presenceOf(rows))
  }

  /// Also for timestamps (in the column's unit since the epoch).
  public static func int64s(_ rows: [Int64?]) -> ParquetColumnData {
    ParquetColumnData(values: .int64(rows.compactMap { $0 }), presence: presenceOf(rows))
  }

  public static func floats(_ rows: [Float?]) -> ParquetColumnData {
    ParquetColumnData(values: .float(rows.compactMap { $0 }), presence: presenceOf(rows))
  }

  public static func doubles(_ rows: [Double?]) -> ParquetColumnData {
    ParquetColumnData(values: .double(rows.compactMap { $0 }), presence: presenceOf(rows))
  }

  public static func strings(_ rows: [String?]) -> ParquetColumnData {
    ParquetColumnData(
      values: .byteArray(ParquetByteArrays(strings: rows.compactMap { $0 })),
      presence: presenceOf(rows))
  }

  public static func binaries(_ rows: [[UInt8]?]) -> ParquetColumnData {
    ParquetColumnData(
      values: .byteArray(ParquetByteArrays(rows.compactMap { $0 })), presence: presenceOf(rows))
  }

  private static func presenceOf<T>(_ rows: [T?]) -> [Bool]? {
    rows.contains { $0 == nil } ? rows.map { $0 != nil } : nil
  }
}
