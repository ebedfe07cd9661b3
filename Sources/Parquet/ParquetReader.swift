import PondFiles
import PondZstd

/// Reads the Parquet files the pond writes, and pyarrow files of the same shape (flat schema, codecs none and
/// zstd, PLAIN values, v1 data pages), refusing everything else with a `ParquetError` that names the file and
/// the reason (`delta-parquet.md` §6). Every length read from the file is checked against the bytes that
/// remain before anything is allocated, so corrupt input fails with an error rather than a crash.
///
/// A reader keeps the file open and reads page by page with `pread`; it is immutable and `Sendable`.
public final class ParquetReader: Sendable {
  /// The largest uncompressed page accepted (our pages are about 1 MiB; pyarrow's too).
  public static let maximumPageSize = 256 << 20
  /// The largest row count accepted in one page (bounds the definition levels, which compress to nothing).
  public static let maximumPageValues = 1 << 24

  public let path: String
  public let schema: ParquetSchema
  public let numRows: Int64
  /// `FileMetaData.created_by`, if the writer set it.
  public let createdBy: String?

  private let source: ByteSource
  /// Column chunks per row group, in schema order.
  private let rowGroups: [[ColumnChunkInfo]]

  /// Opens and checks the file at `path` (its footer, schema and chunk layout; pages are read on demand).
  public convenience init(path: String) throws(ParquetError) {
    let file = try parquetIO { try OpenFile(readingAt: path) }
    try self.init(source: .file(file, size: try parquetIO { try file.status().size }), path: path)
  }

  /// Checks the Parquet file held in `bytes`; `name` is used in errors.
  public convenience init(bytes: [UInt8], name: String = "<memory>") throws(ParquetError) {
    try self.init(source: .memory(bytes), path: name)
  }

  private init(source: ByteSource, path: String) throws(ParquetError) {
    self.source = source
    self.path = path
    let footer = try Self.readFooter(source, path: path)
    var meta = try Self.parse(footer, path: path, what: "footer (FileMetaData)")
    let parsed = try FooterInterpreter(path: path, fileSize: source.size).interpret(&meta)
    schema = parsed.schema
    numRows = parsed.numRows
    createdBy = parsed.createdBy
    rowGroups = parsed.rowGroups
  }

  private func fail(_ kind: ParquetError.Kind, _ reason: String) -> ParquetError {
    ParquetError(path: path, kind: kind, reason: reason)
  }

  /// Reads every row of column `index`.
  public func readColumn(_ index: Int) throws(ParquetError) -> ParquetColumnData {
    precondition(schema.columns.indices.contains(index), "column index out of range")
    var builder = ColumnBuilder(type: schema.columns[index].type)
    try forEachPage(column: index) { builder.append($0) }
    return builder.finish()
  }

  /// Reads every row of the column named exactly `name`, or `nil` when the file has no such column
  /// (Delta reads a missing column as nulls).
  public func readColumn(named name: String) throws(ParquetError) -> ParquetColumnData? {
    guard let index = schema.index(of: name) else { return nil }
    return try readColumn(index)
  }

  /// Reads all columns, in schema order.
  public func readAllColumns() throws(ParquetError) -> [ParquetColumnData] {
    var columns: [ParquetColumnData] = []
    for index in schema.columns.indices { columns.append(try readColumn(index)) }
    return columns
  }

  /// Calls `body` with each page of column `index` in row order; memory stays bounded by one page.
  func forEachPage(column index: Int, _ body: (ParquetColumnData) -> Void) throws(ParquetError) {
    for (groupIndex, group) in rowGroups.enumerated() {
      try readChunk(group[index], rowGroup: groupIndex, body)
    }
  }

  private func readChunk(
    _ chunk: ColumnChunkInfo, rowGroup: Int, _ body: (ParquetColumnData) -> Void
  ) throws(ParquetError) {
    let column = schema.columns[chunk.column]
    let end = chunk.offset + chunk.length
    var position = chunk.offset
    var valuesRead: Int64 = 0
    while position < end {
      let context = "column \"\(column.name)\" (row group \(rowGroup)) page at byte \(position)"
      // The header's size is unknown until parsed: parse a window, widening it if it was too short.
      var window = Int(min(end - position, 512))
      var header: ThriftStruct
      var headerSize: Int
      while true {
        let (bytes, start) = try source.bytes(at: position, count: window, path: path)
        var reader = CompactReader(bytes, start: start, end: start + window)
        let parsed: Result<ThriftStruct, ThriftDecodeError>
        do throws(ThriftDecodeError) { parsed = .success(try reader.readStruct()) } catch {
          parsed = .failure(error)
        }
        switch parsed {
        case .success(let value):
          header = value
          headerSize = reader.position - start
        case .failure(.truncated) where Int64(window) < end - position:
          window = Int(min(end - position, Int64(window) * 4))
          continue
        case .failure(.truncated):
          throw fail(.corrupt, "\(context): page header runs past the end of the column chunk")
        case .failure(.invalid(let why)):
          throw fail(.corrupt, "\(context): invalid page header: \(why)")
        }
        break
      }
      let page = try PageHeaderInfo(header, context: context, path: path)
      let bodyStart = position + Int64(headerSize)
      guard Int64(page.compressedSize) <= end - bodyStart else {
        throw fail(
          .corrupt,
          "\(context): page of \(page.compressedSize) bytes runs past the end of the column chunk")
      }
      guard Int64(page.numValues) <= chunk.numValues - valuesRead else {
        throw fail(
          .corrupt, "\(context): pages hold more values than the chunk's \(chunk.numValues)")
      }
      let (stored, storedStart) = try source.bytes(
        at: bodyStart, count: page.compressedSize, path: path)
      let decoded = stored.withUnsafeBytes { all -> Result<ParquetColumnData, ParquetError> in
        do throws(ParquetError) {
          return .success(
            try decodeStored(
              all, start: storedStart, page: page, chunk: chunk, column: column, context: context))
        } catch {
          return .failure(error)
        }
      }
      let data = try decoded.get()
      valuesRead += Int64(page.numValues)
      body(data)
      position = bodyStart + Int64(page.compressedSize)
    }
    guard valuesRead == chunk.numValues else {
      throw fail(
        .corrupt,
        "column \"\(column.name)\" (row group \(rowGroup)): pages hold \(valuesRead) values, metadata says \(chunk.numValues)"
      )
    }
  }

  private func decodeStored(
    _ all: UnsafeRawBufferPointer, start storedStart: Int, page: PageHeaderInfo,
    chunk: ColumnChunkInfo,
    column: ParquetColumn, context: String
  ) throws(ParquetError) -> ParquetColumnData {
    let compressed = UnsafeRawBufferPointer(
      rebasing: all[storedStart..<storedStart + page.compressedSize])
    if let crc = page.crc, CRC32.checksum(compressed) != crc {
      throw fail(.corrupt, "\(context): page CRC-32 does not match")
    }
    switch chunk.codec {
    case 6:
      let body: [UInt8]
      do {
        body = try Zstd.decompress(compressed, maxOutputSize: page.uncompressedSize)
      } catch let error {
        throw fail(.corrupt, "\(context): zstd page does not decompress: \(error)")
      }
      guard body.count == page.uncompressedSize else {
        throw fail(
          .corrupt,
          "\(context): decompressed to \(body.count) bytes, header says \(page.uncompressedSize)")
      }
      let result = body.withUnsafeBytes { raw -> Result<ParquetColumnData, ParquetError> in
        do throws(ParquetError) {
          return .success(
            try PageDecoder(
              column: column, context: context, path: path,
              definitionLevelEncoding: page.definitionLevelEncoding
            ).decode(raw, numValues: page.numValues))
        } catch {
          return .failure(error)
        }
      }
      return try result.get()
    default:
      guard page.uncompressedSize == page.compressedSize else {
        throw fail(
          .corrupt,
          "\(context): uncompressed page sizes differ (\(page.uncompressedSize) vs \(page.compressedSize))"
        )
      }
      return try PageDecoder(
        column: column, context: context, path: path,
        definitionLevelEncoding: page.definitionLevelEncoding
      ).decode(compressed, numValues: page.numValues)
    }
  }

  private static func readFooter(_ source: ByteSource, path: String) throws(ParquetError) -> [UInt8]
  {
    let size = source.size
    guard size >= 12 else {
      throw ParquetError(
        path: path, kind: .notParquet, reason: "only \(size) bytes: not a (plain) parquet file")
    }
    let (head, headStart) = try source.bytes(at: 0, count: 4, path: path)
    let (tail, tailStart) = try source.bytes(at: size - 8, count: 8, path: path)
    let magic = Array(tail[tailStart + 4..<tailStart + 8])
    if magic == Array("PARE".utf8) {
      throw ParquetError(
        path: path, kind: .unsupported, reason: "encrypted footer (PARE) is not supported")
    }
    guard Array(head[headStart..<headStart + 4]) == Array("PAR1".utf8), magic == Array("PAR1".utf8)
    else {
      throw ParquetError(
        path: path, kind: .notParquet, reason: "no PAR1 magic: not a (plain) parquet file")
    }
    var length: UInt32 = 0
    for index in 0..<4 { length |= UInt32(tail[tailStart + index]) << (8 * UInt32(index)) }
    guard Int64(length) <= size - 12 else {
      throw ParquetError(
        path: path, kind: .corrupt,
        reason: "footer length \(length) exceeds the file size \(size) minus 12")
    }
    let (footer, footerStart) = try source.bytes(
      at: size - 8 - Int64(length), count: Int(length), path: path)
    return footerStart == 0 && footer.count == Int(length)
      ? footer : Array(footer[footerStart..<footerStart + Int(length)])
  }

  private static func parse(_ bytes: [UInt8], path: String, what: String) throws(ParquetError)
    -> ThriftStruct
  {
    var reader = CompactReader(bytes)
    do {
      let value = try reader.readStruct()
      guard reader.remaining == 0 else {
        throw ParquetError(
          path: path, kind: .corrupt, reason: "\(what) has \(reader.remaining) trailing bytes")
      }
      return value
    } catch let error as ThriftDecodeError {
      switch error {
      case .truncated:
        throw ParquetError(path: path, kind: .corrupt, reason: "\(what) is truncated")
      case .invalid(let why):
        throw ParquetError(path: path, kind: .corrupt, reason: "\(what) is invalid: \(why)")
      }
    } catch let error as ParquetError {
      throw error
    } catch {
      throw ParquetError(path: path, kind: .corrupt, reason: "\(what): \(error)")
    }
  }
}

/// Where the bytes come from: memory, or an open file read with `pread`.
private enum ByteSource: Sendable {
  case memory([UInt8])
  case file(OpenFile, size: Int64)

  var size: Int64 {
    switch self {
    case .memory(let bytes): Int64(bytes.count)
    case .file(_, let size): size
    }
  }

  /// `count` bytes at `offset`, as an array and the index where they start in it (memory is not copied).
  func bytes(at offset: Int64, count: Int, path: String) throws(ParquetError) -> ([UInt8], Int) {
    guard offset >= 0, count >= 0, Int64(count) <= size - offset else {
      throw ParquetError(
        path: path, kind: .corrupt,
        reason: "\(count) bytes at offset \(offset) lie outside the \(size)-byte file")
    }
    switch self {
    case .memory(let bytes): return (bytes, Int(offset))
    case .file(let file, _): return (try file.read(count: count, at: offset), 0)
    }
  }
}

/// Where one column chunk lies and what it declares.
struct ColumnChunkInfo: Sendable {
  let column: Int
  let codec: Int32
  let numValues: Int64
  let offset: Int64
  let length: Int64
}

/// Typed field access on a decoded struct, turning a missing or mistyped field into a corrupt-file error.
struct FieldReader {
  let fields: ThriftStruct
  let what: String
  let path: String

  func corrupt(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .corrupt, reason: "\(what): \(reason)")
  }

  func has(_ id: Int16) -> Bool { fields.fields[id] != nil }

  func integer(_ id: Int16, _ name: String) throws(ParquetError) -> Int64? {
    guard let value = fields.fields[id] else { return nil }
    guard case .integer(let number) = value else {
      throw corrupt("field \(name) has the wrong type")
    }
    return number
  }

  func int32(_ id: Int16, _ name: String) throws(ParquetError) -> Int32? {
    guard let number = try integer(id, name) else { return nil }
    guard let value = Int32(exactly: number) else {
      throw corrupt("field \(name) = \(number) is out of range")
    }
    return value
  }

  func requiredInt32(_ id: Int16, _ name: String) throws(ParquetError) -> Int32 {
    guard let value = try int32(id, name) else {
      throw corrupt("required field \(name) is missing")
    }
    return value
  }

  func requiredInteger(_ id: Int16, _ name: String) throws(ParquetError) -> Int64 {
    guard let value = try integer(id, name) else {
      throw corrupt("required field \(name) is missing")
    }
    return value
  }

  func bool(_ id: Int16, _ name: String) throws(ParquetError) -> Bool? {
    guard let value = fields.fields[id] else { return nil }
    guard case .bool(let flag) = value else { throw corrupt("field \(name) has the wrong type") }
    return flag
  }

  func string(_ id: Int16, _ name: String) throws(ParquetError) -> String? {
    guard let value = fields.fields[id] else { return nil }
    guard case .binary(let bytes) = value else { throw corrupt("field \(name) has the wrong type") }
    let valid = Array(bytes).withUnsafeBytes { UTF8Validation.isValid($0) }
    guard valid else { throw corrupt("field \(name) is not valid UTF-8") }
    return String(decoding: bytes, as: UTF8.self)
  }

  func structure(_ id: Int16, _ name: String) throws(ParquetError) -> FieldReader? {
    guard let value = fields.fields[id] else { return nil }
    guard case .structure(let inner) = value else {
      throw corrupt("field \(name) has the wrong type")
    }
    return FieldReader(fields: inner, what: "\(what).\(name)", path: path)
  }

  func list(_ id: Int16, _ name: String) throws(ParquetError) -> [ThriftValue]? {
    guard let value = fields.fields[id] else { return nil }
    guard case .list(_, let elements) = value else {
      throw corrupt("field \(name) has the wrong type")
    }
    return elements
  }

  func structList(_ id: Int16, _ name: String) throws(ParquetError) -> [FieldReader] {
    guard let elements = try list(id, name) else {
      throw corrupt("required field \(name) is missing")
    }
    var result: [FieldReader] = []
    for (index, element) in elements.enumerated() {
      guard case .structure(let inner) = element else {
        throw corrupt("\(name)[\(index)] is not a struct")
      }
      result.append(FieldReader(fields: inner, what: "\(what).\(name)[\(index)]", path: path))
    }
    return result
  }
}

/// What a data page header declares.
private struct PageHeaderInfo {
  let uncompressedSize: Int
  let compressedSize: Int
  let numValues: Int
  let crc: UInt32?

  init(_ header: ThriftStruct, context: String, path: String) throws(ParquetError) {
    let fields = FieldReader(fields: header, what: context, path: path)
    func unsupported(_ reason: String) -> ParquetError {
      ParquetError(path: path, kind: .unsupported, reason: "\(context): \(reason)")
    }
    let type = try fields.requiredInt32(1, "type")
    switch type {
    case 0: break
    case 1: throw unsupported("index pages are not supported")
    case 2:
      throw unsupported(
        "dictionary page (page type 2) is not supported; write with use_dictionary=False")
    case 3: throw unsupported("DATA_PAGE_V2 (page type 3) is not supported; write v1 data pages")
    default: throw fields.corrupt("unknown page type \(type)")
    }
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
    guard let data = try fields.structure(5, "data_page_header") else {
      throw fields.corrupt("data page without data_page_header")
    }
    let count = try data.requiredInt32(1, "num_values")
    guard count >= 0, Int(count) <= ParquetReader.maximumPageValues else {
      throw data.corrupt("num_values \(count) is out of range")
    }
    numValues = Int(count)
    let encoding = try data.requiredInt32(2, "encoding")
    guard encoding == 0 else {
      throw unsupported("value encoding \(encoding) is not supported (only PLAIN)")
    }
    let definitionEncoding = try data.requiredInt32(3, "definition_level_encoding")
    _ = try data.requiredInt32(4, "repetition_level_encoding")
    // Checked against the column in the decoder: only optional columns have definition levels.
    definitionLevelEncoding = definitionEncoding
  }

  var definitionLevelEncoding: Int32 = 3
}
