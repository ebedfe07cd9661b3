import PondFiles

/// Reads flat Parquet files: everything the pond writes, and what pyarrow and DuckDB write with their
/// defaults. Columns may be BOOLEAN, INT32, INT64, FLOAT, DOUBLE or BYTE_ARRAY, annotated STRING, DATE or
/// TIMESTAMP (ms, µs, ns; UTC or local); values PLAIN, dictionary-encoded (PLAIN_DICTIONARY, RLE_DICTIONARY)
/// or RLE booleans; v1 and v2 data pages; codecs none, snappy, gzip and zstd. Everything else (nested
/// columns, encryption, other encodings, codecs and types) is refused with a `ParquetError` that names the
/// file and the reason (`delta-parquet.md` §6). Every length read from the file is checked against the bytes
/// that remain before anything is allocated, so corrupt input fails with an error rather than a crash.
///
/// A reader keeps the file open and reads page by page with `pread`; it is immutable and `Sendable`. To
/// stream a column with bounded memory, pull its pages from `pages(ofColumn:rowGroup:)`; `readColumn`
/// gathers them all.
public final class ParquetReader: Sendable {
  /// The largest uncompressed page accepted (our pages are about 1 MiB; pyarrow's too). A dictionary page
  /// and the values a page decodes to (dictionary entries repeated) are held to the same bound.
  public static let maximumPageSize = 256 << 20
  /// The largest row count accepted in one page (bounds the definition levels, which compress to nothing).
  public static let maximumPageValues = 1 << 24

  public let path: String
  public let schema: ParquetSchema
  public let numRows: Int64
  /// `FileMetaData.created_by`, if the writer set it.
  public let createdBy: String?
  /// The number of rows in each row group, in file order.
  public let rowGroupRowCounts: [Int64]

  let source: ByteSource
  /// Column chunks per row group, in schema order.
  let rowGroups: [[ColumnChunkInfo]]

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
    rowGroupRowCounts = parsed.rowGroupRowCounts
  }

  /// The pages of column `index`, in row order: of row group `rowGroup` only, or of every row group.
  ///
  /// Each `next()` reads, decompresses and decodes one data page, so memory stays bounded by a page (plus
  /// the chunk's dictionary) however large the file is.
  public func pages(ofColumn index: Int, rowGroup: Int? = nil) -> ParquetColumnPages {
    precondition(schema.columns.indices.contains(index), "column index out of range")
    let groups: Range<Int>
    if let rowGroup {
      precondition(rowGroups.indices.contains(rowGroup), "row group index out of range")
      groups = rowGroup..<rowGroup + 1
    } else {
      groups = rowGroups.indices
    }
    return ParquetColumnPages(reader: self, column: index, rowGroups: groups)
  }

  /// Reads every row of column `index` (of one row group, or of all).
  public func readColumn(_ index: Int, rowGroup: Int? = nil) throws(ParquetError)
    -> ParquetColumnData
  {
    var pages = self.pages(ofColumn: index, rowGroup: rowGroup)
    var builder = ColumnBuilder(physicalType: schema.columns[index].physicalType)
    while let page = try pages.next() { builder.append(page) }
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
      // A plaintext footer of an encrypted file carries its signature after the struct: name the real reason.
      if value.fields[8] != nil || value.fields[9] != nil {
        throw ParquetError(
          path: path, kind: .unsupported,
          reason: "encrypted files are not supported (the footer names an encryption algorithm)")
      }
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
enum ByteSource: Sendable {
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
