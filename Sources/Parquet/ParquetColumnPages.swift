/// A cursor over the data pages of one column, in row order, from `ParquetReader.pages(ofColumn:rowGroup:)`.
///
/// Each `next()` reads one page with `pread`, checks its CRC when present, decompresses and decodes it; a
/// chunk's dictionary page is read when the chunk starts and kept until it ends. Memory is one page plus one
/// dictionary, whatever the file's size. Pages of different columns end at different rows: a caller
/// walking several columns side by side keeps one cursor per column and its own offset into each page.
/// After an error the cursor throws that error again: a chunk cannot be resumed past a corrupt page.
public struct ParquetColumnPages: Sendable {
  public let column: ParquetColumn
  private let reader: ParquetReader
  private let columnIndex: Int
  private var remainingGroups: Range<Int>
  private var chunk: ChunkState?
  private var failure: ParquetError?

  /// Where the cursor is inside one column chunk.
  private struct ChunkState: Sendable {
    let info: ColumnChunkInfo
    let rowGroup: Int
    var position: Int64
    var valuesRead: Int64 = 0
    var dictionary: ParquetValues?
    var sawDataPage = false
    /// The next data page, when its header has been read (`rowCountOfNextPage`) but not its body.
    var pending: PendingPage?
  }

  /// A data page whose header is read.
  private struct PendingPage: Sendable {
    let page: PageHeaderInfo
    let bodyStart: Int64
    let context: String
  }

  init(reader: ParquetReader, column: Int, rowGroups: Range<Int>) {
    self.reader = reader
    self.columnIndex = column
    self.column = reader.schema.columns[column]
    self.remainingGroups = rowGroups
  }

  /// The next page's rows, or `nil` after the last page.
  public mutating func next() throws(ParquetError) -> ParquetColumnData? {
    if let failure { throw failure }
    do {
      return try advance()
    } catch {
      failure = error
      throw error
    }
  }

  /// The number of rows of the next data page, nil after the last page. Only the page's header is read
  /// (and the chunk's dictionary page when it comes first), so that `skip()` can pass over the page cheaply.
  public mutating func rowCountOfNextPage() throws(ParquetError) -> Int? {
    if let failure { throw failure }
    do {
      return try peek()?.page.numValues
    } catch {
      failure = error
      throw error
    }
  }

  /// Passes over the next data page without reading, decompressing or decoding its body; its CRC is not
  /// checked. Returns the number of rows passed over, nil after the last page.
  @discardableResult
  public mutating func skip() throws(ParquetError) -> Int? {
    if let failure { throw failure }
    do {
      guard let pending = try peek() else { return nil }
      chunk!.pending = nil
      chunk!.position = pending.bodyStart + Int64(pending.page.compressedSize)
      chunk!.valuesRead += Int64(pending.page.numValues)
      chunk!.sawDataPage = true
      return pending.page.numValues
    } catch {
      failure = error
      throw error
    }
  }

  private mutating func advance() throws(ParquetError) -> ParquetColumnData? {
    guard let pending = try peek() else { return nil }
    var state = chunk!
    state.pending = nil
    let data = try readBody(pending, &state)
    chunk = state
    return data
  }

  /// Reads headers (and a dictionary page's body) up to the next data page, and returns it.
  private mutating func peek() throws(ParquetError) -> PendingPage? {
    while true {
      if chunk == nil {
        guard let group = remainingGroups.first else { return nil }
        remainingGroups = remainingGroups.dropFirst()
        let info = reader.rowGroups[group][columnIndex]
        chunk = ChunkState(info: info, rowGroup: group, position: info.offset)
      }
      guard var state = chunk else { return nil }
      if let pending = state.pending { return pending }
      let end = state.info.offset + state.info.length
      guard state.position < end else {
        guard state.valuesRead == state.info.numValues else {
          throw fail(
            .corrupt,
            "column \"\(column.name)\" (row group \(state.rowGroup)): pages hold \(state.valuesRead) values, metadata says \(state.info.numValues)"
          )
        }
        chunk = nil
        continue
      }
      let pending = try readHeader(&state, end: end)
      if case .dictionary = pending.page.kind {
        _ = try readBody(pending, &state)
        chunk = state
        continue
      }
      try checkCount(pending.page.numValues, state: state, context: pending.context)
      state.pending = pending
      chunk = state
      return pending
    }
  }

  private func fail(_ kind: ParquetError.Kind, _ reason: String) -> ParquetError {
    ParquetError(path: reader.path, kind: kind, reason: reason)
  }

  /// Reads the header of the page at `state.position`.
  private func readHeader(_ state: inout ChunkState, end: Int64) throws(ParquetError) -> PendingPage
  {
    let path = reader.path
    let position = state.position
    let context =
      "column \"\(column.name)\" (row group \(state.rowGroup)) page at byte \(position)"
    let (header, headerSize) = try readHeader(at: position, end: end, context: context)
    let page = try PageHeaderInfo(header, context: context, path: path)
    let bodyStart = position + Int64(headerSize)
    guard Int64(page.compressedSize) <= end - bodyStart else {
      throw fail(
        .corrupt,
        "\(context): page of \(page.compressedSize) bytes runs past the end of the column chunk")
    }
    return PendingPage(page: page, bodyStart: bodyStart, context: context)
  }

  /// Reads the body of a page whose header is read: a data page's rows, or `nil` after a dictionary page.
  private func readBody(_ pending: PendingPage, _ state: inout ChunkState) throws(ParquetError)
    -> ParquetColumnData?
  {
    let path = reader.path
    let page = pending.page
    let bodyStart = pending.bodyStart
    let context = pending.context
    let (stored, storedStart) = try reader.source.bytes(
      at: bodyStart, count: page.compressedSize, path: path)
    state.position = bodyStart + Int64(page.compressedSize)
    let decoder = PageDecoder(column: column, context: context, path: path)
    let codec = state.info.codec
    let result = stored.withUnsafeBytes { all -> Result<ParquetColumnData?, ParquetError> in
      let body = UnsafeRawBufferPointer(
        rebasing: all[storedStart..<storedStart + page.compressedSize])
      do throws(ParquetError) {
        if let crc = page.crc, CRC32.checksum(body) != crc {
          throw fail(.corrupt, "\(context): page CRC-32 does not match")
        }
        switch page.kind {
        case .dictionary(let encoding):
          guard state.dictionary == nil, !state.sawDataPage else {
            throw fail(
              .corrupt, "\(context): a dictionary page that is not the first page of its chunk")
          }
          guard encoding == 0 || encoding == 2 else {
            throw fail(
              .unsupported,
              "\(context): dictionary page encoding \(Encoding.name(of: encoding)) is not supported (only PLAIN)"
            )
          }
          let plain = try decompress(body, codec: codec, size: page.uncompressedSize, context)
          state.dictionary = try withBytes(plain) { raw throws(ParquetError) in
            try decoder.dictionary(raw, count: page.numValues)
          }
          return .success(nil)
        case .dataV1(let encoding, let levelEncoding):
          let plain = try decompress(body, codec: codec, size: page.uncompressedSize, context)
          let data = try withBytes(plain) { raw throws(ParquetError) in
            try decoder.decodeV1(
              raw, numValues: page.numValues, encoding: encoding, levelEncoding: levelEncoding,
              dictionary: state.dictionary)
          }
          state.sawDataPage = true
          state.valuesRead += Int64(page.numValues)
          return .success(data)
        case .dataV2(let header):
          let levels = header.repetitionLength + header.definitionLength
          guard levels <= page.compressedSize, levels <= page.uncompressedSize else {
            throw fail(.corrupt, "\(context): levels of \(levels) bytes exceed the page")
          }
          let storedValues = UnsafeRawBufferPointer(rebasing: body[levels...])
          let valueSize = page.uncompressedSize - levels
          let values =
            header.isCompressed
            ? try decompress(storedValues, codec: codec, size: valueSize, context)
            : try decompress(storedValues, codec: 0, size: valueSize, context)
          let data = try withBytes(values) { raw throws(ParquetError) in
            try decoder.decodeV2(
              repetitionLevels: UnsafeRawBufferPointer(
                rebasing: body[0..<header.repetitionLength]),
              definitionLevels: UnsafeRawBufferPointer(
                rebasing: body[header.repetitionLength..<levels]),
              values: raw, numValues: page.numValues, header: header,
              dictionary: state.dictionary)
          }
          state.sawDataPage = true
          state.valuesRead += Int64(page.numValues)
          return .success(data)
        }
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  private func checkCount(_ count: Int, state: ChunkState, context: String) throws(ParquetError) {
    guard Int64(count) <= state.info.numValues - state.valuesRead else {
      throw fail(
        .corrupt, "\(context): pages hold more values than the chunk's \(state.info.numValues)")
    }
  }

  private func decompress(
    _ stored: UnsafeRawBufferPointer, codec: Int32, size: Int, _ context: String
  ) throws(ParquetError) -> [UInt8] {
    guard let codec = PageCodec(rawValue: codec) else {
      preconditionFailure("codec \(codec) passed the footer check")
    }
    do {
      return try codec.decompress(stored, size: size)
    } catch {
      throw fail(.corrupt, "\(context): \(error.reason)")
    }
  }

  /// Parses the page header at `position`; its size is unknown until parsed, so a window is parsed and
  /// widened while it was too short.
  private func readHeader(at position: Int64, end: Int64, context: String) throws(ParquetError)
    -> (ThriftStruct, Int)
  {
    var window = Int(min(end - position, 512))
    while true {
      let (bytes, start) = try reader.source.bytes(at: position, count: window, path: reader.path)
      var parser = CompactReader(bytes, start: start, end: start + window)
      let parsed: Result<ThriftStruct, ThriftDecodeError>
      do throws(ThriftDecodeError) { parsed = .success(try parser.readStruct()) } catch {
        parsed = .failure(error)
      }
      switch parsed {
      case .success(let header):
        return (header, parser.position - start)
      case .failure(.truncated) where Int64(window) < end - position:
        window = Int(min(end - position, Int64(window) * 4))
      case .failure(.truncated):
        throw fail(.corrupt, "\(context): page header runs past the end of the column chunk")
      case .failure(.invalid(let why)):
        throw fail(.corrupt, "\(context): invalid page header: \(why)")
      }
    }
  }
}

/// Calls `body` with the bytes of `array`, keeping `body`'s typed error.
func withBytes<T>(
  _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParquetError) -> T
) throws(ParquetError) -> T {
  let result = array.withUnsafeBytes { raw -> Result<T, ParquetError> in
    do throws(ParquetError) { return .success(try body(raw)) } catch { return .failure(error) }
  }
  return try result.get()
}

/// The value encodings of parquet.thrift `Encoding`, by name for errors.
enum Encoding {
  static let plain: Int32 = 0
  static let plainDictionary: Int32 = 2
  static let rle: Int32 = 3
  static let bitPacked: Int32 = 4
  static let rleDictionary: Int32 = 8

  static func name(of encoding: Int32) -> String {
    let names = [
      "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
      "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT",
    ]
    let known = names.indices.contains(Int(encoding)) ? names[Int(encoding)] : "unknown"
    return "\(encoding) (\(known))"
  }
}

/// What a page header declares.
struct PageHeaderInfo {
  /// DataPageHeaderV2's fields beyond the common ones.
  struct V2 {
    let encoding: Int32
    let numNulls: Int
    let numRows: Int
    let definitionLength: Int
    let repetitionLength: Int
    let isCompressed: Bool
  }

  enum Kind {
    case dictionary(encoding: Int32)
    case dataV1(encoding: Int32, definitionLevelEncoding: Int32)
    case dataV2(V2)
  }

  let kind: Kind
  let uncompressedSize: Int
  let compressedSize: Int
  /// Rows (nulls included) of a data page; entries of a dictionary page.
  let numValues: Int
  let crc: UInt32?

  init(_ header: ThriftStruct, context: String, path: String) throws(ParquetError) {
    let fields = FieldReader(fields: header, what: context, path: path)
    func unsupported(_ reason: String) -> ParquetError {
      ParquetError(path: path, kind: .unsupported, reason: "\(context): \(reason)")
    }
    let type = try fields.requiredInt32(1, "type")
    let uncompressed = try fields.requiredInt32(2, "uncompressed_page_size")
    let compressed = try fields.requiredInt32(3, "compressed_page_size")
    guard uncompressed >= 0, compressed >= 0 else { throw fields.corrupt("negative page size") }
    guard Int(uncompressed) <= ParquetReader.maximumPageSize else {
      throw fields.corrupt(
        "uncompressed page size \(uncompressed) exceeds the \(ParquetReader.maximumPageSize)-byte limit"
      )
    }
    uncompressedSize = Int(uncompressed)
    compressedSize = Int(compressed)
    crc = try fields.int32(4, "crc").map { UInt32(bitPattern: $0) }
    func count(_ reader: FieldReader, _ id: Int16, _ name: String) throws(ParquetError) -> Int {
      let value = try reader.requiredInt32(id, name)
      guard value >= 0, Int(value) <= ParquetReader.maximumPageValues else {
        throw reader.corrupt("\(name) \(value) is out of range")
      }
      return Int(value)
    }
    switch type {
    case 0:
      guard let data = try fields.structure(5, "data_page_header") else {
        throw fields.corrupt("data page without data_page_header")
      }
      numValues = try count(data, 1, "num_values")
      let encoding = try data.requiredInt32(2, "encoding")
      let definitionEncoding = try data.requiredInt32(3, "definition_level_encoding")
      _ = try data.requiredInt32(4, "repetition_level_encoding")
      kind = .dataV1(encoding: encoding, definitionLevelEncoding: definitionEncoding)
    case 1:
      throw unsupported("index pages are not supported")
    case 2:
      guard let dictionary = try fields.structure(7, "dictionary_page_header") else {
        throw fields.corrupt("dictionary page without dictionary_page_header")
      }
      numValues = try count(dictionary, 1, "num_values")
      kind = .dictionary(encoding: try dictionary.requiredInt32(2, "encoding"))
    case 3:
      guard let data = try fields.structure(8, "data_page_header_v2") else {
        throw fields.corrupt("DATA_PAGE_V2 without data_page_header_v2")
      }
      numValues = try count(data, 1, "num_values")
      let nulls = try count(data, 2, "num_nulls")
      let rows = try count(data, 3, "num_rows")
      let encoding = try data.requiredInt32(4, "encoding")
      let definitionLength = try data.requiredInt32(5, "definition_levels_byte_length")
      let repetitionLength = try data.requiredInt32(6, "repetition_levels_byte_length")
      guard definitionLength >= 0, repetitionLength >= 0 else {
        throw data.corrupt("negative level length")
      }
      kind = .dataV2(
        V2(
          encoding: encoding, numNulls: nulls, numRows: rows,
          definitionLength: Int(definitionLength), repetitionLength: Int(repetitionLength),
          isCompressed: try data.bool(7, "is_compressed") ?? true))
    default:
      throw fields.corrupt("unknown page type \(type)")
    }
  }
}
