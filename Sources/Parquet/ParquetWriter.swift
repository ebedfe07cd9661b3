import PondFiles
import PondZstd

/// Writes one Parquet file (one row group, flat schema, PLAIN v1 data pages) incrementally, with columns of
/// any `ParquetColumn` type: booleans, integers, floating point, strings and binary, dates, and timestamps in
/// milliseconds, microseconds or nanoseconds.
///
/// Rows arrive as column batches through `write(_:)`; each column is cut into pages as they fill, so memory
/// is bounded by the page and spool limits, not by the row count. A Parquet row group stores each column
/// contiguously, so finished pages of all columns are held (and, past `spoolMemoryLimit`, spilled to an
/// unlinked temporary file) until `finish()` lays them out. The file is written under a temporary name
/// beside `path` (`TemporaryName`) and only `finish()`, after an `fsync`, gives it its final name (which
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
    let temporaryPath = TemporaryName.make(in: LocalFiles.parentDirectory(of: path))
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
      guard data.values.physicalType == column.physicalType else {
        throw invalid(
          "column \"\(column.name)\" is \(column.type?.description ?? column.physicalType.description), the batch holds \(data.values.physicalType) values"
        )
      }
      if !column.nullable && data.presence != nil {
        throw invalid(
          "column \"\(column.name)\" is not nullable but the batch has \(data.nullCount) nulls")
      }
      if column.isString, case .byteArray(let arrays) = data.values {
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
      func appendIntegers<T: FixedWidthInteger>(_ values: [T]) {
        take = min(take, max(roomBytes / MemoryLayout<T>.size, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendIntegers(values[dense..<dense + count])
        dense += count
      }
      switch data.values {
      case .boolean(let values):
        take = min(take, max(roomBytes * 8, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendBooleans(values[dense..<dense + count])
        dense += count
      case .int32(let values): appendIntegers(values)
      case .int64(let values): appendIntegers(values)
      case .float(let values):
        take = min(take, max(roomBytes / 4, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendFloatingPoint(values[dense..<dense + count])
        dense += count
      case .double(let values):
        take = min(take, max(roomBytes / 8, 1))
        let count = Self.presentCount(presence, row..<row + take)
        encoder.appendFloatingPoint(values[dense..<dense + count])
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
      let spoolPath = TemporaryName.make(in: LocalFiles.parentDirectory(of: path))
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
      guard published == .created else {
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
      meta.i32(1, column.physicalType.thriftValue)
      meta.i32(3, column.nullable ? 1 : 0)
      meta.string(4, column.name)
      switch column.logicalType {
      case .string:
        meta.i32(6, 0)  // ConvertedType UTF8
        meta.beginStruct(10)
        meta.beginStruct(1)  // STRING
        meta.endStruct()
        meta.endStruct()
      case .date:
        meta.i32(6, 6)  // ConvertedType DATE
        meta.beginStruct(10)
        meta.beginStruct(6)  // DATE
        meta.endStruct()
        meta.endStruct()
      case .timestamp(let unit, let utc):
        // The legacy ConvertedTypes mean UTC instants in ms or µs; other timestamps have none.
        if utc && unit == .milliseconds { meta.i32(6, 9) }  // TIMESTAMP_MILLIS
        if utc && unit == .microseconds { meta.i32(6, 10) }  // TIMESTAMP_MICROS
        meta.beginStruct(10)
        meta.beginStruct(8)  // TIMESTAMP
        meta.bool(1, utc)  // isAdjustedToUTC
        meta.beginStruct(2)  // unit
        switch unit {
        case .milliseconds: meta.beginStruct(1)
        case .microseconds: meta.beginStruct(2)
        case .nanoseconds: meta.beginStruct(3)
        }
        meta.endStruct()
        meta.endStruct()
        meta.endStruct()
        meta.endStruct()
      case nil:
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
      meta.i32(1, encoder.column.physicalType.thriftValue)
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
