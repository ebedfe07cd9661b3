import PondFiles
import PondZstd

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How page bodies are compressed.
public struct ParquetCompression: Sendable, Hashable, CustomStringConvertible {
  enum Codec: Sendable, Hashable {
    case none, zstd
  }
  let codec: Codec
  let level: Int32

  /// No compression (codec UNCOMPRESSED).
  public static let none = ParquetCompression(codec: .none, level: 0)

  /// One zstd frame per page body (codec ZSTD).
  public static func zstd(level: Int32 = Zstd.defaultLevel) -> ParquetCompression {
    ParquetCompression(codec: .zstd, level: level)
  }

  var thriftCodec: Int32 { codec == .zstd ? 6 : 0 }

  public var description: String { codec == .zstd ? "zstd(level: \(level))" : "none" }
}

/// Settings of a `ParquetWriter`.
public struct ParquetWriterOptions: Sendable, Hashable {
  public var compression: ParquetCompression
  /// `FileMetaData.created_by`; readers key workarounds off this, so it names our writer.
  public var createdBy: String
  /// A page is closed once it holds this many rows (pyarrow's `max_rows_per_page` default is 20 000).
  public var maximumPageRows: Int
  /// A page is closed once its uncompressed body reaches this many bytes (about 1 MiB, as pyarrow).
  public var maximumPageBytes: Int
  /// Write the optional CRC-32 of each page.
  public var writesPageChecksums: Bool
  /// `fsync` the file in `finish()`, as a Delta data file must be durable before its commit.
  public var syncsOnFinish: Bool
  /// Finished pages held in memory (all columns together) before they are spilled to a temporary file
  /// next to the output. Together with the page limits, this bounds the writer's memory.
  public var spoolMemoryLimit: Int

  public init(
    compression: ParquetCompression = .zstd(), createdBy: String = "duckpond",
    maximumPageRows: Int = 20_000, maximumPageBytes: Int = 1 << 20,
    writesPageChecksums: Bool = false, syncsOnFinish: Bool = true, spoolMemoryLimit: Int = 16 << 20
  ) {
    precondition(maximumPageRows > 0 && maximumPageBytes > 0, "page limits must be positive")
    self.compression = compression
    self.createdBy = createdBy
    self.maximumPageRows = maximumPageRows
    self.maximumPageBytes = maximumPageBytes
    self.writesPageChecksums = writesPageChecksums
    self.syncsOnFinish = syncsOnFinish
    self.spoolMemoryLimit = spoolMemoryLimit
  }
}

/// Writes one Parquet file (one row group, flat schema, PLAIN v1 data pages) incrementally.
///
/// Rows arrive as column batches through `write(_:)`; each column is cut into pages as they fill, so memory
/// is bounded by the page and spool limits, not by the row count. A Parquet row group stores each column
/// contiguously, so finished pages of all columns are held (and, past `spoolMemoryLimit`, spilled to an
/// unlinked temporary file) until `finish()` lays them out. The file is written under a temporary name
/// beside `path` (`<path>.tmp-<random>`) and only `finish()`, after an `fsync`, gives it its final name (which
/// must not exist), so `path` never holds a torn file, even if the process is killed. A writer that is
/// dropped or fails removes its temporary file; a killed one leaves it behind, under a name no reader uses.
public final class ParquetWriter {
  public let path: String
  /// Where the file is written until `finish()` publishes it as `path`.
  private let temporaryPath: String
  public let schema: ParquetSchema
  public let options: ParquetWriterOptions

  private var output: OpenFile?
  private var spool: OpenFile?
  private var spoolSize: Int64 = 0
  private var encoders: [ColumnEncoder]
  private var rowCount: Int64 = 0
  private var body: [UInt8] = []
  private var failure: ParquetError?
  private var finished = false

  /// Creates `path` (which must not exist) for writing.
  public init(
    path: String, schema: ParquetSchema, options: ParquetWriterOptions = ParquetWriterOptions()
  )
    throws(ParquetError)
  {
    guard try parquetIO({ try LocalFiles.status(path, followsLinks: false) }) == nil else {
      throw ParquetError(path: path, kind: .io, reason: "cannot create the file: already exists")
    }
    let temporaryPath = path + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    // Created before any stored property is set: if this throws, deinit does not run, so it cannot remove
    // a file that belongs to someone else.
    let output = try parquetIO { try OpenFile(creatingAt: temporaryPath) }
    self.path = path
    self.temporaryPath = temporaryPath
    self.schema = schema
    self.options = options
    self.encoders = schema.columns.map { ColumnEncoder(column: $0) }
    self.output = output
  }

  deinit {
    if !finished {
      output = nil
      try? LocalFiles.remove(temporaryPath)
    }
  }

  /// Writes a whole file in one call.
  public static func write(
    path: String, schema: ParquetSchema, columns: [ParquetColumnData],
    options: ParquetWriterOptions = ParquetWriterOptions()
  ) throws(ParquetError) -> ParquetFileSummary {
    let writer = try ParquetWriter(path: path, schema: schema, options: options)
    try writer.write(columns)
    return try writer.finish()
  }

  private func invalid(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .invalidInput, reason: reason)
  }

  /// Appends rows: one `ParquetColumnData` per schema column, in schema order, all with the same row count.
  ///
  /// The batch is checked before anything is written: on `.invalidInput` the writer is unchanged and usable.
  /// - Throws: `ParquetError` for data that does not fit the schema (wrong count or type, nulls in a
  ///   non-nullable column, invalid UTF-8 in a string column), or for I/O failures (fatal to this writer).
  public func write(_ columns: [ParquetColumnData]) throws(ParquetError) {
    precondition(!finished, "write(_:) after finish()")
    if let failure { throw failure }
    guard columns.count == schema.columns.count else {
      throw invalid("batch has \(columns.count) columns, the schema has \(schema.columns.count)")
    }
    let rows = columns.first?.rowCount ?? 0
    for (column, data) in zip(schema.columns, columns) {
      guard data.rowCount == rows else {
        throw invalid(
          "column \"\(column.name)\" has \(data.rowCount) rows, the first column has \(rows)")
      }
      guard data.values.fits(column.type) else {
        throw invalid("column \"\(column.name)\" is \(column.type), the batch holds other values")
      }
      if !column.nullable && data.presence != nil {
        throw invalid(
          "column \"\(column.name)\" is not nullable but the batch has \(data.nullCount) nulls")
      }
      if column.type == .string, case .byteArray(let arrays) = data.values {
        if let bad = Self.firstInvalidUTF8(arrays) {
          throw invalid(
            "column \"\(column.name)\": value \(bad) is not valid UTF-8 (use a binary column)")
        }
      }
    }
    do {
      for index in encoders.indices {
        try append(columns[index], to: &encoders[index])
      }
      rowCount += Int64(rows)
    } catch {
      failure = error
      throw error
    }
  }

  private static func firstInvalidUTF8(_ arrays: ParquetByteArrays) -> Int? {
    arrays.bytes.withUnsafeBytes { bytes -> Int? in
      for index in 0..<arrays.count {
        let range = arrays.offsets[index]..<arrays.offsets[index + 1]
        if !UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[range])) { return index }
      }
      return nil
    }
  }

  private func append(_ data: ParquetColumnData, to encoder: inout ColumnEncoder)
    throws(ParquetError)
  {
    let rows = data.rowCount
    let presence = data.presence
    var row = 0
    var dense = 0
    encoder.nullCount += Int64(data.nullCount)
    while row < rows {
      var take = min(options.maximumPageRows - encoder.pageRows, rows - row)
      let roomBytes = max(options.maximumPageBytes - encoder.pageBytes, 1)
      switch data.values {
      case .boolean(let values):
        take = min(take, max(roomBytes * 8, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendBooleans(values[dense..<dense + count])
        dense += count
      case .int32(let values):
        take = min(take, max(roomBytes / 4, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendFixed(values[dense..<dense + count])
        encoder.noteIntegers(values[dense..<dense + count])
        dense += count
      case .int64(let values):
        take = min(take, max(roomBytes / 8, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendFixed(values[dense..<dense + count])
        encoder.noteIntegers(values[dense..<dense + count])
        dense += count
      case .byteArray(let values):
        // Variable width: add values one by one until the page is full.
        var end = row
        let limit = row + take
        while end < limit {
          if presence?[end] ?? true {
            try encoder.appendByteArray(values, dense, path: path)
            dense += 1
          }
          end += 1
          if encoder.pageBytes >= options.maximumPageBytes { break }
        }
        take = end - row
      }
      if encoder.optional { encoder.appendLevels(presence, row..<row + take) }
      encoder.pageRows += take
      row += take
      if encoder.pageRows >= options.maximumPageRows
        || encoder.pageBytes >= options.maximumPageBytes
      {
        try flushPage(&encoder)
      }
    }
  }

  private static func presentCount(_ presence: [Bool]?, _ range: Range<Int>) -> Int {
    guard let presence else { return range.count }
    var count = 0
    for index in range where presence[index] { count += 1 }
    return count
  }

  /// Closes the current page of `encoder`: assembles, compresses and queues it.
  private func flushPage(_ encoder: inout ColumnEncoder) throws(ParquetError) {
    body.removeAll(keepingCapacity: true)
    if encoder.optional {
      var levels = CompactWriter()
      if encoder.pageRows > 0 {
        // One bit-packed run of width 1: varint(groups << 1 | 1), then one byte per 8 rows.
        levels.varint(UInt64(encoder.levelBytes.count) << 1 | 1)
        levels.bytes.append(contentsOf: encoder.levelBytes)
      }
      let length = UInt32(levels.bytes.count)
      withUnsafeBytes(of: length.littleEndian) { body.append(contentsOf: $0) }
      body.append(contentsOf: levels.bytes)
    }
    body.append(contentsOf: encoder.valueBytes)
    guard body.count <= Int(Int32.max) else {
      throw invalid(
        "column \"\(encoder.column.name)\": a page of \(body.count) bytes exceeds 2 GiB")
    }
    let uncompressedSize = body.count
    var compressed: [UInt8]
    switch options.compression.codec {
    case .none:
      compressed = body
    case .zstd:
      do {
        compressed = try Zstd.compress(body, level: options.compression.level)
      } catch {
        throw ParquetError(path: path, kind: .io, reason: "zstd compression failed: \(error)")
      }
    }
    var header = CompactWriter()
    header.i32(1, 0)  // DATA_PAGE
    header.i32(2, Int32(uncompressedSize))
    header.i32(3, Int32(compressed.count))
    if options.writesPageChecksums {
      let crc = compressed.withUnsafeBytes { CRC32.checksum($0) }
      header.i32(4, Int32(bitPattern: crc))
    }
    header.beginStruct(5)
    header.i32(1, Int32(encoder.pageRows))
    header.i32(2, 0)  // PLAIN
    header.i32(3, 3)  // definition levels: RLE
    header.i32(4, 3)  // repetition levels: RLE (required by the IDL even for flat columns)
    header.endStruct()
    header.stop()

    encoder.pending.append(contentsOf: header.bytes)
    encoder.pending.append(contentsOf: compressed)
    encoder.totalUncompressed += Int64(header.bytes.count + uncompressedSize)
    encoder.totalCompressed += Int64(header.bytes.count + compressed.count)
    encoder.numValues += Int64(encoder.pageRows)
    encoder.pageCount += 1
    encoder.resetPage()
    // Each column may hold its share of the spool memory; past that its pages go to the spool file.
    if encoder.pending.count > options.spoolMemoryLimit / schema.columns.count {
      try spill(&encoder)
    }
  }

  /// Moves the queued pages of `encoder` to the spool file.
  private func spill(_ encoder: inout ColumnEncoder) throws(ParquetError) {
    if spool == nil {
      let spoolPath =
        temporaryPath + ".spool-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
      spool = try parquetIO { try OpenFile(creatingAt: spoolPath, mode: .readWrite) }
      // Unlinked at once: the space is freed however the process ends.
      try? LocalFiles.remove(spoolPath)
    }
    guard let spool else { return }
    try spool.writeAll(encoder.pending)
    encoder.spilled.append((spoolSize, encoder.pending.count))
    spoolSize += Int64(encoder.pending.count)
    encoder.pending.removeAll(keepingCapacity: true)
  }

  /// Writes the column chunks and the footer, syncs and closes the file.
  ///
  /// - Returns: the exact size, row count and per-column statistics (for the Delta `add` action).
  public func finish() throws(ParquetError) -> ParquetFileSummary {
    precondition(!finished, "finish() called twice")
    if let failure { throw failure }
    do throws(ParquetError) {
      let summary = try layOut()
      try parquetIO { try output?.close() }
      output = nil
      spool = nil
      let published = try parquetIO { try LocalFiles.publishIfAbsent(temporaryPath, as: path) }
      guard published == .published else {
        throw ParquetError(path: path, kind: .io, reason: "cannot create the file: already exists")
      }
      finished = true
      return summary
    } catch {
      failure = error
      output = nil
      try? LocalFiles.remove(temporaryPath)
      throw error
    }
  }

  private func layOut() throws(ParquetError) -> ParquetFileSummary {
    guard let output else {
      throw ParquetError(path: path, kind: .io, reason: "file already closed")
    }
    for index in encoders.indices
    where encoders[index].pageRows > 0 || encoders[index].pageCount == 0 {
      try flushPage(&encoders[index])
    }
    let magic: [UInt8] = Array("PAR1".utf8)
    try output.writeAll(magic)
    var offset: Int64 = 4
    var chunkOffsets: [Int64] = []
    var copyBuffer: [UInt8] = []
    for encoder in encoders {
      chunkOffsets.append(offset)
      for (start, count) in encoder.spilled {
        var done = 0
        while done < count {
          let piece = min(count - done, 1 << 20)
          if copyBuffer.count != piece { copyBuffer = [UInt8](repeating: 0, count: piece) }
          let failure = copyBuffer.withUnsafeMutableBytes { buffer -> ParquetError? in
            do throws(ParquetError) {
              try spool!.readExactly(into: buffer, at: start + Int64(done))
            } catch { return error }
            return nil
          }
          if let failure { throw failure }
          try output.writeAll(copyBuffer)
          done += piece
        }
      }
      try output.writeAll(encoder.pending)
      offset += encoder.totalCompressed
    }
    let footer = footerBytes(chunkOffsets: chunkOffsets)
    try output.writeAll(footer)
    let length = UInt32(footer.count)
    try output.writeAll(withUnsafeBytes(of: length.littleEndian) { Array($0) })
    try output.writeAll(magic)
    let size = offset + Int64(footer.count) + 8
    if options.syncsOnFinish { try parquetIO { try output.sync() } }
    let actualSize = try parquetIO { try output.status().size }
    guard actualSize == size else {
      throw ParquetError(
        path: path, kind: .io, reason: "file is \(actualSize) bytes, expected \(size)")
    }
    return ParquetFileSummary(
      path: path, size: size, numRows: rowCount, columns: encoders.map { $0.statistics() })
  }

  /// FileMetaData in the field order and form of `delta-parquet.md` §4.4.
  private func footerBytes(chunkOffsets: [Int64]) -> [UInt8] {
    var meta = CompactWriter()
    meta.i32(1, 1)  // version
    meta.beginList(2, elementType: CompactType.structure, count: schema.columns.count + 1)
    meta.beginElementStruct()
    meta.string(4, "schema")
    meta.i32(5, Int32(schema.columns.count))
    meta.endStruct()
    for column in schema.columns {
      meta.beginElementStruct()
      meta.i32(1, column.type.physicalType)
      meta.i32(3, column.nullable ? 1 : 0)
      meta.string(4, column.name)
      switch column.type {
      case .string:
        meta.i32(6, 0)  // ConvertedType UTF8
        meta.beginStruct(10)
        meta.beginStruct(1)  // STRING
        meta.endStruct()
        meta.endStruct()
      case .timestamp:
        meta.i32(6, 10)  // ConvertedType TIMESTAMP_MICROS
        meta.beginStruct(10)
        meta.beginStruct(8)  // TIMESTAMP
        meta.bool(1, true)  // isAdjustedToUTC
        meta.beginStruct(2)  // unit
        meta.beginStruct(2)  // MICROS
        meta.endStruct()
        meta.endStruct()
        meta.endStruct()
        meta.endStruct()
      case .boolean, .int32, .int64, .binary:
        break
      }
      meta.endStruct()
    }
    meta.i64(3, rowCount)
    meta.beginList(4, elementType: CompactType.structure, count: 1)
    meta.beginElementStruct()
    meta.beginList(1, elementType: CompactType.structure, count: encoders.count)
    for (encoder, chunkOffset) in zip(encoders, chunkOffsets) {
      meta.beginElementStruct()
      meta.i64(2, 0)  // ColumnChunk.file_offset: deprecated but required
      meta.beginStruct(3)
      meta.i32(1, encoder.column.type.physicalType)
      meta.beginList(2, elementType: CompactType.i32, count: 2)
      meta.i32Element(0)  // PLAIN
      meta.i32Element(3)  // RLE
      meta.beginList(3, elementType: CompactType.binary, count: 1)
      meta.binaryElement(Array(encoder.column.name.utf8))
      meta.i32(4, options.compression.thriftCodec)
      meta.i64(5, encoder.numValues)
      meta.i64(6, encoder.totalUncompressed)
      meta.i64(7, encoder.totalCompressed)
      meta.i64(9, chunkOffset)
      meta.endStruct()
      meta.endStruct()
    }
    meta.i64(2, encoders.reduce(0) { $0 + $1.totalUncompressed })
    meta.i64(3, rowCount)
    meta.i64(5, chunkOffsets.first ?? 4)
    meta.i64(6, encoders.reduce(0) { $0 + $1.totalCompressed })
    meta.endStruct()
    meta.string(6, options.createdBy)
    meta.stop()
    return meta.bytes
  }
}

@available(*, unavailable, message: "a ParquetWriter is mutable state owned by one task")
extension ParquetWriter: Sendable {}

/// The open page and the finished pages of one column chunk, plus its statistics.
private struct ColumnEncoder {
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

  mutating func appendFixed<T: FixedWidthInteger>(_ values: ArraySlice<T>) {
    #if _endian(big)
      #error("PLAIN encoding here assumes a little-endian machine")
    #endif
    values.withUnsafeBytes { valueBytes.append(contentsOf: $0) }
  }

  mutating func noteIntegers<T: FixedWidthInteger>(_ values: ArraySlice<T>) {
    guard var low = values.first, var high = values.first else { return }
    for value in values {
      low = Swift.min(low, value)
      high = Swift.max(high, value)
    }
    minimumInteger = Swift.min(minimumInteger ?? Int64(low), Int64(low))
    maximumInteger = Swift.max(maximumInteger ?? Int64(high), Int64(high))
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
      if column.type == .string {
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
    switch column.type {
    case .int32:
      low = minimumInteger.map { .int32(Int32($0)) }
      high = maximumInteger.map { .int32(Int32($0)) }
    case .int64:
      low = minimumInteger.map { .int64($0) }
      high = maximumInteger.map { .int64($0) }
    case .timestamp:
      low = minimumInteger.map { .timestamp(microseconds: $0) }
      high = maximumInteger.map { .timestamp(microseconds: $0) }
    case .string:
      // Longer strings are left out to stay clear of the stats prefix-truncation rules (§2.4).
      if let bytes = minimumBytes, bytes.count <= 32 {
        low = .string(String(decoding: bytes, as: UTF8.self))
      }
      if let bytes = maximumBytes, bytes.count <= 32 {
        high = .string(String(decoding: bytes, as: UTF8.self))
      }
    case .boolean, .binary:
      break
    }
    return ParquetColumnStatistics(name: column.name, nullCount: nullCount, min: low, max: high)
  }
}
