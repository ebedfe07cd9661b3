/// Decodes the uncompressed parts of one page of a flat column into column data (Encodings.md): definition
/// levels (RLE/bit-packed hybrid, bit width 1), then the present values, PLAIN, dictionary indices
/// (PLAIN_DICTIONARY, RLE_DICTIONARY) or RLE booleans.
struct PageDecoder {
  let column: ParquetColumn
  let context: String
  let path: String

  private func corrupt(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .corrupt, reason: "\(context): \(reason)")
  }

  private func unsupported(_ reason: String) -> ParquetError {
    ParquetError(path: path, kind: .unsupported, reason: "\(context): \(reason)")
  }

  /// A dictionary page's PLAIN entries.
  func dictionary(_ body: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> ParquetValues
  {
    let (values, used) = try plain(body, count: count)
    guard used == body.count else {
      throw corrupt("\(body.count - used) unexpected bytes after the dictionary")
    }
    return values
  }

  /// A v1 data page: [u32 length + definition levels, when nullable] values.
  func decodeV1(
    _ body: UnsafeRawBufferPointer, numValues: Int, encoding: Int32, levelEncoding: Int32,
    dictionary: ParquetValues?
  ) throws(ParquetError) -> ParquetColumnData {
    var position = 0
    var presence: [Bool]?
    var present = numValues
    if column.nullable {
      guard levelEncoding == Encoding.rle else {
        throw unsupported(
          "definition level encoding \(Encoding.name(of: levelEncoding)) is not supported (only RLE)"
        )
      }
      guard body.count >= 4 else { throw corrupt("page body too short for definition levels") }
      let length = Int(body.loadUnaligned(as: UInt32.self).littleEndian)
      guard length <= body.count - 4 else {
        throw corrupt("definition levels of \(length) bytes run past the page body")
      }
      (presence, present) = try definitionLevels(
        UnsafeRawBufferPointer(rebasing: body[4..<4 + length]), count: numValues)
      position = 4 + length
    }
    let values = try decodeValues(
      UnsafeRawBufferPointer(rebasing: body[position...]), count: present, encoding: encoding,
      dictionary: dictionary)
    return ParquetColumnData(checkedValues: values, presence: presence)
  }

  /// A v2 data page: levels stored apart (never compressed, no length prefix), then the values.
  func decodeV2(
    repetitionLevels: UnsafeRawBufferPointer, definitionLevels: UnsafeRawBufferPointer,
    values: UnsafeRawBufferPointer, numValues: Int, header: PageHeaderInfo.V2,
    dictionary: ParquetValues?
  ) throws(ParquetError) -> ParquetColumnData {
    guard repetitionLevels.isEmpty else {
      throw corrupt("repetition levels in a flat (unrepeated) column")
    }
    guard header.numRows == numValues else {
      throw corrupt("num_rows \(header.numRows) differs from num_values \(numValues)")
    }
    var presence: [Bool]?
    var present = numValues
    if column.nullable {
      (presence, present) = try self.definitionLevels(definitionLevels, count: numValues)
    } else {
      guard definitionLevels.isEmpty else {
        throw corrupt("definition levels in a REQUIRED column")
      }
    }
    guard numValues - present == header.numNulls else {
      throw corrupt(
        "num_nulls \(header.numNulls) differs from the \(numValues - present) nulls of the levels")
    }
    let decoded = try decodeValues(
      values, count: present, encoding: header.encoding, dictionary: dictionary)
    return ParquetColumnData(checkedValues: decoded, presence: presence)
  }

  /// Definition levels of a nullable flat column (maximum level 1) as presence flags, `nil` when all are
  /// present, and the count of present rows.
  private func definitionLevels(_ bytes: UnsafeRawBufferPointer, count: Int) throws(ParquetError)
    -> ([Bool]?, Int)
  {
    let levels: [UInt8] = try hybrid(bytes, bitWidth: 1, count: count, "definition levels")
    var present = 0
    for level in levels where level == 1 { present += 1 }
    return (present == count ? nil : levels.map { $0 == 1 }, present)
  }

  private func decodeValues(
    _ values: UnsafeRawBufferPointer, count: Int, encoding: Int32, dictionary: ParquetValues?
  ) throws(ParquetError) -> ParquetValues {
    switch encoding {
    case Encoding.plain:
      let (decoded, used) = try plain(values, count: count)
      guard used == values.count else {
        throw corrupt("\(values.count - used) unexpected bytes after the values")
      }
      return decoded
    case Encoding.plainDictionary, Encoding.rleDictionary:
      guard let dictionary else { throw corrupt("dictionary-encoded page without a dictionary") }
      if count == 0 { return try gather(dictionary, []) }
      guard let width = values.first else {
        throw corrupt("dictionary indices without a bit width")
      }
      guard width <= 32 else { throw corrupt("dictionary index bit width \(width) exceeds 32") }
      let indices: [UInt32] = try hybrid(
        UnsafeRawBufferPointer(rebasing: values[1...]), bitWidth: Int(width), count: count,
        "dictionary indices")
      return try gather(dictionary, indices)
    case Encoding.rle where column.physicalType == .boolean:
      guard values.count >= 4 else { throw corrupt("RLE booleans without their length") }
      let length = Int(values.loadUnaligned(as: UInt32.self).littleEndian)
      guard length <= values.count - 4 else {
        throw corrupt("RLE booleans of \(length) bytes run past the page")
      }
      let bits: [UInt8] = try hybrid(
        UnsafeRawBufferPointer(rebasing: values[4..<4 + length]), bitWidth: 1, count: count,
        "RLE booleans")
      return .boolean(bits.map { $0 == 1 })
    default:
      throw unsupported(
        "value encoding \(Encoding.name(of: encoding)) is not supported (only PLAIN, RLE booleans and dictionary encodings)"
      )
    }
  }

  /// The dictionary entries `indices` name, in order.
  private func gather(_ dictionary: ParquetValues, _ indices: [UInt32]) throws(ParquetError)
    -> ParquetValues
  {
    if let largest = indices.max(), Int(largest) >= dictionary.count {
      throw corrupt("dictionary index \(largest) is past the \(dictionary.count) entries")
    }
    switch dictionary {
    case .boolean(let entries): return .boolean(indices.map { entries[Int($0)] })
    case .int32(let entries): return .int32(indices.map { entries[Int($0)] })
    case .int64(let entries): return .int64(indices.map { entries[Int($0)] })
    case .float(let entries): return .float(indices.map { entries[Int($0)] })
    case .double(let entries): return .double(indices.map { entries[Int($0)] })
    case .byteArray(let entries):
      // Repeated entries can expand a small page enormously: bound the result like a page.
      var total = 0
      for index in indices {
        total += entries.offsets[Int(index) + 1] - entries.offsets[Int(index)]
        guard total <= ParquetReader.maximumPageSize else {
          throw corrupt(
            "dictionary values expand past the \(ParquetReader.maximumPageSize)-byte page limit")
        }
      }
      var result = ParquetByteArrays()
      result.reserveCapacity(count: indices.count, byteCount: total)
      for index in indices { result.append(entries[Int(index)]) }
      return .byteArray(result)
    }
  }

  /// `count` PLAIN values of the column's physical type, and the bytes they took.
  private func plain(_ values: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> (
    ParquetValues, Int
  ) {
    func need(_ bytes: Int) throws(ParquetError) {
      guard bytes <= values.count else {
        throw corrupt("\(count) values need \(bytes) bytes, the page has \(values.count)")
      }
    }
    func fixed<T>(_ type: T.Type) throws(ParquetError) -> ([T], Int) {
      let used = count * MemoryLayout<T>.size
      try need(used)
      let array = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: values[0..<used]))
        initialized = count
      }
      return (array, used)
    }
    #if _endian(big)
      #error("PLAIN decoding here assumes a little-endian machine")
    #endif
    switch column.physicalType {
    case .boolean:
      let used = (count + 7) / 8
      try need(used)
      var flags = [Bool](repeating: false, count: count)
      for index in 0..<count { flags[index] = values[index >> 3] & (1 << UInt8(index & 7)) != 0 }
      return (.boolean(flags), used)
    case .int32:
      let (array, used) = try fixed(Int32.self)
      return (.int32(array), used)
    case .int64:
      let (array, used) = try fixed(Int64.self)
      return (.int64(array), used)
    case .float:
      let (array, used) = try fixed(Float.self)
      return (.float(array), used)
    case .double:
      let (array, used) = try fixed(Double.self)
      return (.double(array), used)
    case .byteArray:
      // Each value takes at least its 4-byte length.
      try need(count * 4)
      var used = 0
      var bytes: [UInt8] = []
      bytes.reserveCapacity(values.count - count * 4)
      var offsets: [Int] = [0]
      offsets.reserveCapacity(count + 1)
      let validate = column.isString
      for index in 0..<count {
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
      return (.byteArray(ParquetByteArrays(bytes: bytes, offsets: offsets)), used)
    }
  }

  /// `count` values of the RLE/bit-packed hybrid encoding with `bitWidth` (0...32) bits each; both run
  /// kinds, in any order. Trailing bytes (padding of the last bit-packed group) are ignored.
  private func hybrid<T: FixedWidthInteger & UnsignedInteger>(
    _ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int, _ what: String
  ) throws(ParquetError) -> [T] {
    precondition(bitWidth >= 0 && bitWidth <= T.bitWidth, "bit width \(bitWidth) too wide")
    let mask: UInt64 = (1 << UInt64(bitWidth)) - 1
    let valueBytes = (bitWidth + 7) / 8
    var output = [T](repeating: 0, count: count)
    let failure = output.withUnsafeMutableBufferPointer { output -> String? in
      var filled = 0
      var position = 0
      while filled < count {
        guard position < bytes.count else {
          return "\(what) end after \(filled) of \(count) values"
        }
        var header: UInt64 = 0
        var shift: UInt64 = 0
        while true {
          guard position < bytes.count, shift < 35 else { return "bad \(what) run header" }
          let byte = bytes[position]
          position += 1
          header |= UInt64(byte & 0x7F) << shift
          if byte & 0x80 == 0 { break }
          shift += 7
        }
        if header & 1 == 1 {
          let groups = Int(header >> 1)
          let runBytes = groups * bitWidth
          guard runBytes <= bytes.count - position else {
            return "bit-packed \(what) run past their bytes"
          }
          let take = min(groups * 8, count - filled)
          if bitWidth > 0 {
            var accumulator: UInt64 = 0
            var bits = 0
            var next = position
            for index in 0..<take {
              while bits < bitWidth {
                accumulator |= UInt64(bytes[next]) << UInt64(bits)
                next += 1
                bits += 8
              }
              output[filled + index] = T(truncatingIfNeeded: accumulator & mask)
              accumulator >>= UInt64(bitWidth)
              bits -= bitWidth
            }
          }
          filled += take
          position += runBytes
        } else {
          let run = Int(header >> 1)
          guard valueBytes <= bytes.count - position else {
            return "RLE \(what) run without a value"
          }
          var value: UInt64 = 0
          for index in 0..<valueBytes {
            value |= UInt64(bytes[position + index]) << UInt64(8 * index)
          }
          position += valueBytes
          guard value <= mask else { return "\(what) value \(value) exceeds \(bitWidth) bits" }
          let take = min(run, count - filled)
          if value != 0 {
            for index in filled..<filled + take { output[index] = T(truncatingIfNeeded: value) }
          }
          filled += take
        }
      }
      return nil
    }
    if let failure { throw corrupt(failure) }
    return output
  }
}

/// Concatenates the pages of a column into one `ParquetColumnData`.
struct ColumnBuilder {
  let physicalType: ParquetPhysicalType
  private var booleans: [Bool] = []
  private var int32s: [Int32] = []
  private var int64s: [Int64] = []
  private var floats: [Float] = []
  private var doubles: [Double] = []
  private var byteArrays = ParquetByteArrays()
  private var presence: [Bool]?
  private var rows = 0

  init(physicalType: ParquetPhysicalType) {
    self.physicalType = physicalType
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
    case .float(let values): floats.append(contentsOf: values)
    case .double(let values): doubles.append(contentsOf: values)
    case .byteArray(let values): byteArrays.append(contentsOf: values, range: 0..<values.count)
    }
  }

  /// Appends rows `rows` of `page`, whose present values are `values` (the caller counted them).
  mutating func append(_ page: ParquetColumnData, rows: Range<Int>, values: Range<Int>) {
    if let pagePresence = page.presence, values.count < rows.count {
      if presence == nil { presence = [Bool](repeating: true, count: self.rows) }
      presence!.append(contentsOf: pagePresence[rows])
    } else if presence != nil {
      presence!.append(contentsOf: repeatElement(true, count: rows.count))
    }
    self.rows += rows.count
    switch page.values {
    case .boolean(let all): booleans.append(contentsOf: all[values])
    case .int32(let all): int32s.append(contentsOf: all[values])
    case .int64(let all): int64s.append(contentsOf: all[values])
    case .float(let all): floats.append(contentsOf: all[values])
    case .double(let all): doubles.append(contentsOf: all[values])
    case .byteArray(let all): byteArrays.append(contentsOf: all, range: values)
    }
  }

  func finish() -> ParquetColumnData {
    let values: ParquetValues
    switch physicalType {
    case .boolean: values = .boolean(booleans)
    case .int32: values = .int32(int32s)
    case .int64: values = .int64(int64s)
    case .float: values = .float(floats)
    case .double: values = .double(doubles)
    case .byteArray: values = .byteArray(byteArrays)
    }
    return ParquetColumnData(checkedValues: values, presence: presence)
  }
}
