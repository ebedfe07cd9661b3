/// The footer, checked against `delta-parquet.md` §6 and turned into a schema and chunk locations.
struct FooterInterpreter {
  let path: String
  let fileSize: Int64

  struct Result {
    let schema: ParquetSchema
    let numRows: Int64
    let createdBy: String?
    let rowGroups: [[ColumnChunkInfo]]
  }

  private func unsupported(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .unsupported, reason: reason)
  }

  private func corrupt(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .corrupt, reason: reason)
  }

  func interpret(_ footer: inout ThriftStruct) throws(ParquetError) -> Result {
    let meta = FieldReader(fields: footer, what: "FileMetaData", path: path)
    let version = try meta.requiredInt32(1, "version")
    guard version == 1 || version == 2 else {
      throw unsupported("FileMetaData.version \(version) is not 1 or 2")
    }
    if meta.has(8) || meta.has(9) { throw unsupported("encrypted files are not supported") }
    let numRows = try meta.requiredInteger(3, "num_rows")
    guard numRows >= 0 else { throw corrupt("negative num_rows \(numRows)") }
    let createdBy = try meta.string(6, "created_by")

    let elements = try meta.structList(2, "schema")
    guard let root = elements.first else { throw corrupt("empty schema") }
    guard let children = try root.int32(5, "num_children") else {
      throw corrupt("the schema root has no num_children")
    }
    guard !root.has(1) else { throw corrupt("the schema root has a physical type") }
    guard Int(children) == elements.count - 1 else {
      throw unsupported(
        "nested/repeated columns are not supported (root has \(children) children, \(elements.count - 1) elements follow)"
      )
    }
    var columns: [ParquetColumn] = []
    var physicalTypes: [Int32] = []
    for element in elements.dropFirst() {
      let (column, physical) = try leaf(element)
      columns.append(column)
      physicalTypes.append(physical)
    }
    let schema: ParquetSchema
    do {
      schema = try ParquetSchema(columns)
    } catch {
      throw unsupported("schema is not usable: \(error.reason)")
    }

    var rowGroups: [[ColumnChunkInfo]] = []
    var rowsSeen: Int64 = 0
    let footerStart = fileSize - 8
    for group in try meta.structList(4, "row_groups") {
      let groupRows = try group.requiredInteger(3, "num_rows")
      guard groupRows >= 0, groupRows <= numRows - rowsSeen else {
        throw corrupt("row group num_rows \(groupRows) does not add up to the file's \(numRows)")
      }
      rowsSeen += groupRows
      let chunks = try group.structList(1, "columns")
      guard chunks.count == columns.count else {
        throw corrupt("row group has \(chunks.count) column chunks for \(columns.count) columns")
      }
      var infos: [ColumnChunkInfo] = []
      for (index, chunk) in chunks.enumerated() {
        let name = columns[index].name
        if chunk.has(1) {
          throw unsupported(
            "column \"\(name)\": external column chunks (file_path) are not supported")
        }
        if chunk.has(8) || chunk.has(9) {
          throw unsupported("column \"\(name)\": encrypted columns are not supported")
        }
        guard let data = try chunk.structure(3, "meta_data") else {
          throw unsupported("column \"\(name)\": column chunk without meta_data is not supported")
        }
        let type = try data.requiredInt32(1, "type")
        guard type == physicalTypes[index] else {
          throw corrupt(
            "column \"\(name)\": chunk type \(type) differs from the schema's \(physicalTypes[index])"
          )
        }
        let codec = try data.requiredInt32(4, "codec")
        guard codec == 0 || codec == 6 else {
          throw unsupported(
            "column \"\(name)\": codec \(codec) is not supported (only UNCOMPRESSED and ZSTD)")
        }
        if data.has(11) {
          throw unsupported("column \"\(name)\": dictionary page is not supported")
        }
        if data.has(10) { throw unsupported("column \"\(name)\": index pages are not supported") }
        guard let encodings = try data.list(2, "encodings") else {
          throw data.corrupt("encodings missing")
        }
        for encoding in encodings {
          guard case .integer(let value) = encoding else {
            throw data.corrupt("encodings is not a list of i32")
          }
          guard value == 0 || value == 3 || value == 4 else {
            throw unsupported(
              "column \"\(name)\": encoding \(value) is not supported (only PLAIN and RLE)")
          }
        }
        guard let pathInSchema = try data.list(3, "path_in_schema"), pathInSchema.count == 1,
          case .binary(let pathBytes) = pathInSchema[0], Array(pathBytes) == Array(name.utf8)
        else {
          throw corrupt("column \"\(name)\": path_in_schema does not name the column")
        }
        let numValues = try data.requiredInteger(5, "num_values")
        guard numValues == groupRows else {
          throw corrupt(
            "column \"\(name)\": num_values \(numValues) differs from the row group's \(groupRows) rows"
          )
        }
        let length = try data.requiredInteger(7, "total_compressed_size")
        let offset = try data.requiredInteger(9, "data_page_offset")
        guard offset >= 4, length >= 0, offset <= footerStart, length <= footerStart - offset else {
          throw corrupt(
            "column \"\(name)\": chunk at \(offset) of \(length) bytes lies outside the data region of the file"
          )
        }
        infos.append(
          ColumnChunkInfo(
            column: index, codec: codec, numValues: numValues, offset: offset, length: length))
      }
      rowGroups.append(infos)
    }
    guard rowsSeen == numRows else {
      throw corrupt("row groups hold \(rowsSeen) rows, FileMetaData.num_rows says \(numRows)")
    }
    return Result(schema: schema, numRows: numRows, createdBy: createdBy, rowGroups: rowGroups)
  }

  /// One leaf SchemaElement as a column, with its physical type.
  private func leaf(_ element: FieldReader) throws(ParquetError) -> (ParquetColumn, Int32) {
    guard let name = try element.string(4, "name") else {
      throw corrupt("schema element without a name")
    }
    if element.has(5) {
      throw unsupported("column \"\(name)\": nested/repeated columns are not supported")
    }
    guard let repetition = try element.int32(3, "repetition_type") else {
      throw corrupt("column \"\(name)\" has no repetition_type")
    }
    guard repetition == 0 || repetition == 1 else {
      throw unsupported("column \"\(name)\": nested/repeated columns are not supported")
    }
    guard let physical = try element.int32(1, "type") else {
      throw corrupt("column \"\(name)\" has no type")
    }
    let converted = try element.int32(6, "converted_type")
    let logical = try element.structure(10, "logicalType")
    let logicalKind = logical?.fields.fields.keys.first
    if let logical, logical.fields.fields.count != 1 {
      throw corrupt("column \"\(name)\": logicalType is not a union of one member")
    }
    func refuse(_ what: String) -> ParquetError {
      unsupported("column \"\(name)\": \(what) is not supported")
    }
    let type: ParquetType
    switch physical {
    case 0:
      guard converted == nil, logical == nil else { throw refuse("an annotated BOOLEAN") }
      type = .boolean
    case 1:
      guard converted == nil || converted == 17 else {
        throw refuse("INT32 with converted_type \(converted!)")
      }
      if let logical {
        guard try isSignedInteger(logical, bits: 32) else {
          throw refuse("INT32 with logical type \(logicalKind!)")
        }
      }
      type = .int32
    case 2:
      if logicalKind == 8 || converted == 9 || converted == 10 {
        if let logical {
          guard let timestamp = try logical.structure(8, "TIMESTAMP") else {
            throw refuse("INT64 logical type")
          }
          guard try timestamp.bool(1, "isAdjustedToUTC") == true else {
            throw refuse("TIMESTAMP(isAdjustedToUTC=false)")
          }
          guard let unit = try timestamp.structure(2, "unit"), unit.fields.fields.count == 1 else {
            throw corrupt("column \"\(name)\": TIMESTAMP without a unit")
          }
          guard unit.has(2) else {
            throw refuse(unit.has(1) ? "TIMESTAMP(MILLIS)" : "TIMESTAMP(NANOS)")
          }
        }
        guard converted == nil || converted == 10 else { throw refuse("TIMESTAMP_MILLIS") }
        type = .timestamp
      } else {
        guard converted == nil || converted == 18 else {
          throw refuse("INT64 with converted_type \(converted!)")
        }
        if let logical {
          guard try isSignedInteger(logical, bits: 64) else {
            throw refuse("INT64 with logical type \(logicalKind!)")
          }
        }
        type = .int64
      }
    case 6:
      let stringLogical = logicalKind == 1
      if let logical, !stringLogical {
        throw refuse("BYTE_ARRAY with logical type \(logical.fields.fields.keys.first!)")
      }
      guard converted == nil || converted == 0 else {
        throw refuse("BYTE_ARRAY with converted_type \(converted!)")
      }
      type = stringLogical || converted == 0 ? .string : .binary
    default:
      throw refuse("physical type \(physical)")
    }
    return (ParquetColumn(name: name, type: type, nullable: repetition == 1), physical)
  }

  private func isSignedInteger(_ logical: FieldReader, bits: Int64) throws(ParquetError) -> Bool {
    guard let integer = try logical.structure(10, "INTEGER") else { return false }
    let width = try integer.integer(1, "bitWidth")
    let signed = try integer.bool(2, "isSigned")
    return width == bits && signed == true
  }
}

/// Decodes one uncompressed v1 data page body into column data.
struct PageDecoder {
  let column: ParquetColumn
  let context: String
  let path: String
  let definitionLevelEncoding: Int32

  private func corrupt(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .corrupt, reason: "\(context): \(reason)")
  }

  func decode(_ body: UnsafeRawBufferPointer, numValues: Int) throws(ParquetError)
    -> ParquetColumnData
  {
    var position = 0
    var presence: [Bool]?
    var present = numValues
    if column.nullable {
      guard definitionLevelEncoding == 3 else {
        throw ParquetError(
          path: path, kind: .unsupported,
          reason:
            "\(context): definition level encoding \(definitionLevelEncoding) is not supported (only RLE)"
        )
      }
      guard body.count >= 4 else { throw corrupt("page body too short for definition levels") }
      let length = Int(body.loadUnaligned(as: UInt32.self).littleEndian)
      guard length <= body.count - 4 else {
        throw corrupt("definition levels of \(length) bytes run past the page body")
      }
      let levels = try decodeLevels(
        UnsafeRawBufferPointer(rebasing: body[4..<4 + length]), count: numValues)
      present = levels.present
      presence = present == numValues ? nil : levels.flags
      position = 4 + length
    }
    let values = UnsafeRawBufferPointer(rebasing: body[position...])
    let decoded: ParquetValues
    var used = 0
    func need(_ bytes: Int) throws(ParquetError) {
      guard bytes <= values.count else {
        throw corrupt("\(present) values need \(bytes) bytes, the page has \(values.count)")
      }
    }
    switch column.type {
    case .boolean:
      used = (present + 7) / 8
      try need(used)
      var flags = [Bool](repeating: false, count: present)
      for index in 0..<present { flags[index] = values[index >> 3] & (1 << UInt8(index & 7)) != 0 }
      decoded = .boolean(flags)
    case .int32:
      used = present * 4
      try need(used)
      decoded = .int32(
        [Int32](unsafeUninitializedCapacity: present) { buffer, count in
          UnsafeMutableRawBufferPointer(buffer).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: values[0..<used]))
          count = present
        })
    case .int64, .timestamp:
      used = present * 8
      try need(used)
      decoded = .int64(
        [Int64](unsafeUninitializedCapacity: present) { buffer, count in
          UnsafeMutableRawBufferPointer(buffer).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: values[0..<used]))
          count = present
        })
    case .string, .binary:
      // Each value takes at least its 4-byte length.
      try need(present * 4)
      var bytes: [UInt8] = []
      bytes.reserveCapacity(values.count - present * 4)
      var offsets: [Int] = [0]
      offsets.reserveCapacity(present + 1)
      let validate = column.type == .string
      for index in 0..<present {
        guard values.count - used >= 4 else {
          throw corrupt("value \(index) runs past the page body")
        }
        let length = Int(values.loadUnaligned(fromByteOffset: used, as: UInt32.self).littleEndian)
        used += 4
        guard length <= values.count - used else {
          throw corrupt("value \(index) of \(length) bytes runs past the page body")
        }
        let value = UnsafeRawBufferPointer(rebasing: values[used..<used + length])
        if validate && !UTF8Validation.isValid(value) {
          throw corrupt("string value \(index) is not valid UTF-8")
        }
        bytes.append(contentsOf: value)
        offsets.append(bytes.count)
        used += length
      }
      decoded = .byteArray(ParquetByteArrays(bytes: bytes, offsets: offsets))
    }
    guard used == values.count else {
      throw corrupt("\(values.count - used) unexpected bytes after the values")
    }
    return ParquetColumnData(checkedValues: decoded, presence: presence)
  }

  /// RLE/bit-packed hybrid definition levels of bit width 1; both run kinds, in any order.
  private func decodeLevels(_ bytes: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> (
    flags: [Bool], present: Int
  ) {
    var flags = [Bool](repeating: false, count: count)
    var filled = 0
    var present = 0
    var position = 0
    while filled < count {
      guard position < bytes.count else {
        throw corrupt("definition levels end after \(filled) of \(count) values")
      }
      var header: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard position < bytes.count, shift < 35 else {
          throw corrupt("bad definition level run header")
        }
        let byte = bytes[position]
        position += 1
        header |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { break }
        shift += 7
      }
      if header & 1 == 1 {
        let groups = Int(header >> 1)
        guard groups <= bytes.count - position else {
          throw corrupt("bit-packed definition levels run past their length")
        }
        let take = min(groups * 8, count - filled)
        for index in 0..<take where bytes[position + index >> 3] & (1 << UInt8(index & 7)) != 0 {
          flags[filled + index] = true
          present += 1
        }
        filled += take
        position += groups
      } else {
        let run = Int(header >> 1)
        guard position < bytes.count else {
          throw corrupt("RLE definition level run without a value")
        }
        let value = bytes[position]
        position += 1
        guard value <= 1 else { throw corrupt("definition level \(value) exceeds the maximum 1") }
        let take = min(run, count - filled)
        if value == 1 {
          for index in filled..<filled + take { flags[index] = true }
          present += take
        }
        filled += take
      }
    }
    return (flags, present)
  }
}

/// Concatenates the pages of a column into one `ParquetColumnData`.
struct ColumnBuilder {
  let type: ParquetType
  private var booleans: [Bool] = []
  private var int32s: [Int32] = []
  private var int64s: [Int64] = []
  private var byteArrays = ParquetByteArrays()
  private var presence: [Bool]?
  private var rows = 0

  init(type: ParquetType) {
    self.type = type
  }

  mutating func append(_ page: ParquetColumnData) {
    if let pagePresence = page.presence {
      if presence == nil { presence = [Bool](repeating: true, count: rows) }
      presence!.append(contentsOf: pagePresence)
    } else if presence != nil {
      presence!.append(contentsOf: repeatElement(true, count: page.rowCount))
    }
    rows += page.rowCount
    switch page.values {
    case .boolean(let values): booleans.append(contentsOf: values)
    case .int32(let values): int32s.append(contentsOf: values)
    case .int64(let values): int64s.append(contentsOf: values)
    case .byteArray(let values): byteArrays.append(contentsOf: values, range: 0..<values.count)
    }
  }

  func finish() -> ParquetColumnData {
    let values: ParquetValues
    switch type {
    case .boolean: values = .boolean(booleans)
    case .int32: values = .int32(int32s)
    case .int64, .timestamp: values = .int64(int64s)
    case .string, .binary: values = .byteArray(byteArrays)
    }
    return ParquetColumnData(checkedValues: values, presence: presence)
  }
}
