/// The footer, checked against `delta-parquet.md` §6 and turned into a schema and chunk locations.
struct FooterInterpreter {
  let path: String
  let fileSize: Int64

  struct Result {
    let schema: ParquetSchema
    let numRows: Int64
    let createdBy: String?
    let rowGroups: [[ColumnChunkInfo]]
    let rowGroupRowCounts: [Int64]
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
    var rowGroupRowCounts: [Int64] = []
    var rowsSeen: Int64 = 0
    let footerStart = fileSize - 8
    for group in try meta.structList(4, "row_groups") {
      let groupRows = try group.requiredInteger(3, "num_rows")
      guard groupRows >= 0, groupRows <= numRows - rowsSeen else {
        throw corrupt("row group num_rows \(groupRows) does not add up to the file's \(numRows)")
      }
      rowsSeen += groupRows
      rowGroupRowCounts.append(groupRows)
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
        guard PageCodec(rawValue: codec) != nil else {
          throw unsupported(
            "column \"\(name)\": codec \(codec) (\(PageCodec.name(of: codec))) is not supported (only UNCOMPRESSED, SNAPPY, GZIP and ZSTD)"
          )
        }
        if data.has(10) { throw unsupported("column \"\(name)\": index pages are not supported") }
        guard let encodings = try data.list(2, "encodings") else {
          throw data.corrupt("encodings missing")
        }
        for encoding in encodings {
          guard case .integer(let value) = encoding else {
            throw data.corrupt("encodings is not a list of i32")
          }
          let supported = [
            Encoding.plain, Encoding.plainDictionary, Encoding.rle, Encoding.bitPacked,
            Encoding.rleDictionary,
          ]
          guard let encoding = Int32(exactly: value), supported.contains(encoding) else {
            throw unsupported(
              "column \"\(name)\": encoding \(Encoding.name(of: Int32(truncatingIfNeeded: value))) is not supported (only PLAIN, RLE and dictionary encodings)"
            )
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
        let dataOffset = try data.requiredInteger(9, "data_page_offset")
        // The chunk starts at its dictionary page, when it has one (some writers set an offset of 0 for none).
        let dictionaryOffset = try data.integer(11, "dictionary_page_offset")
        let offset =
          dictionaryOffset.map { $0 >= 4 && $0 < dataOffset ? $0 : dataOffset } ?? dataOffset
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
    return Result(
      schema: schema, numRows: numRows, createdBy: createdBy, rowGroups: rowGroups,
      rowGroupRowCounts: rowGroupRowCounts)
  }

  /// One leaf SchemaElement as a column, with its physical type number.
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
    let physicalType: ParquetPhysicalType
    var logicalType: ParquetLogicalType?
    switch physical {
    case 0:
      guard converted == nil, logical == nil else { throw refuse("an annotated BOOLEAN") }
      physicalType = .boolean
    case 1:
      physicalType = .int32
      if logicalKind == 6 || converted == 6 {
        // DATE: days since the epoch.
        guard logical == nil || logicalKind == 6, converted == nil || converted == 6 else {
          throw refuse("INT32 with both DATE and another annotation")
        }
        logicalType = .date
      } else {
        if let logical {
          guard try isSignedInteger(logical, bits: 32) else {
            throw refuse("INT32 with logical type \(describe(logical))")
          }
        }
        guard converted == nil || converted == 17 else {
          throw refuse("INT32 with converted_type \(converted!)")
        }
      }
    case 2:
      physicalType = .int64
      if logicalKind == 8 || converted == 9 || converted == 10 {
        logicalType = try timestamp(logical, converted: converted, column: name)
      } else {
        if let logical {
          guard try isSignedInteger(logical, bits: 64) else {
            throw refuse("INT64 with logical type \(describe(logical))")
          }
        }
        guard converted == nil || converted == 18 else {
          throw refuse("INT64 with converted_type \(converted!)")
        }
      }
    case 4, 5:
      physicalType = physical == 4 ? .float : .double
      guard converted == nil, logical == nil else {
        throw refuse("an annotated \(physicalType)")
      }
    case 6:
      physicalType = .byteArray
      let stringLogical = logicalKind == 1
      if let logical, !stringLogical {
        throw refuse("BYTE_ARRAY with logical type \(describe(logical))")
      }
      guard converted == nil || converted == 0 else {
        throw refuse("BYTE_ARRAY with converted_type \(converted!)")
      }
      if stringLogical || converted == 0 { logicalType = .string }
    case 3:
      throw refuse("physical type 3 (INT96, legacy timestamps)")
    case 7:
      throw refuse("physical type 7 (FIXED_LEN_BYTE_ARRAY)")
    default:
      throw corrupt("column \"\(name)\": unknown physical type \(physical)")
    }
    let column = ParquetColumn(
      name: name, physicalType: physicalType, logicalType: logicalType, nullable: repetition == 1)
    return (column, physical)
  }

  /// The TIMESTAMP of an INT64 column, from its logical type or else its legacy converted type.
  private func timestamp(_ logical: FieldReader?, converted: Int32?, column name: String)
    throws(ParquetError) -> ParquetLogicalType
  {
    let fromConverted: ParquetTimeUnit? =
      switch converted {
      case 9: .milliseconds
      case 10: .microseconds
      default: nil
      }
    guard let logical else {
      // TIMESTAMP_MILLIS and TIMESTAMP_MICROS are UTC instants (LogicalTypes.md).
      guard let fromConverted else {
        throw unsupported("column \"\(name)\": INT64 with converted_type \(converted!)")
      }
      return .timestamp(unit: fromConverted, isAdjustedToUTC: true)
    }
    guard let timestamp = try logical.structure(8, "TIMESTAMP") else {
      throw unsupported(
        "column \"\(name)\": INT64 with logical type \(describe(logical)) is not supported")
    }
    guard let utc = try timestamp.bool(1, "isAdjustedToUTC") else {
      throw corrupt("column \"\(name)\": TIMESTAMP without isAdjustedToUTC")
    }
    guard let unit = try timestamp.structure(2, "unit"), unit.fields.fields.count == 1 else {
      throw corrupt("column \"\(name)\": TIMESTAMP without a unit")
    }
    let timeUnit: ParquetTimeUnit
    if unit.has(1) {
      timeUnit = .milliseconds
    } else if unit.has(2) {
      timeUnit = .microseconds
    } else if unit.has(3) {
      timeUnit = .nanoseconds
    } else {
      throw corrupt("column \"\(name)\": TIMESTAMP with an unknown unit")
    }
    if let converted, fromConverted != timeUnit {
      throw corrupt(
        "column \"\(name)\": converted_type \(converted) contradicts TIMESTAMP(\(timeUnit))")
    }
    return .timestamp(unit: timeUnit, isAdjustedToUTC: utc)
  }

  /// A logical type's union member, by name, for errors.
  private func describe(_ logical: FieldReader) -> String {
    let names: [Int16: String] = [
      1: "STRING", 2: "MAP", 3: "LIST", 4: "ENUM", 5: "DECIMAL", 6: "DATE", 7: "TIME",
      8: "TIMESTAMP", 10: "INTEGER", 11: "UNKNOWN", 12: "JSON", 13: "BSON", 14: "UUID",
      15: "FLOAT16", 16: "VARIANT", 17: "GEOMETRY", 18: "GEOGRAPHY",
    ]
    guard let (id, value) = logical.fields.fields.first else { return "(none)" }
    var text = names[id] ?? "\(id)"
    if id == 10, case .structure(let integer) = value {
      let reader = FieldReader(fields: integer, what: "INTEGER", path: path)
      if case .integer(let width)? = integer.fields[1], let signed = try? reader.bool(2, "isSigned")
      {
        text += "(\(width), \(signed ? "signed" : "unsigned"))"
      }
    }
    return text
  }

  private func isSignedInteger(_ logical: FieldReader, bits: Int64) throws(ParquetError) -> Bool {
    guard let integer = try logical.structure(10, "INTEGER") else { return false }
    let width = try integer.integer(1, "bitWidth")
    let signed = try integer.bool(2, "isSigned")
    return width == bits && signed == true
  }
}
