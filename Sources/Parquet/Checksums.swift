/// CRC-32 with the zlib polynomial (0xEDB88320, reflected), as Parquet's optional page `crc` uses.
enum CRC32 {
  private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
    var crc = UInt32(index)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    return crc
  }

  static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    table.withUnsafeBufferPointer { table in
      for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
    return crc ^ 0xFFFF_FFFF
  }
}

/// Strict UTF-8 validation (no overlong forms, no surrogates, nothing above U+10FFFF), with an ASCII fast path.
enum UTF8Validation {
  static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let count = bytes.count
    var index = 0
    while index < count {
      if index + 8 <= count
        && bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
      {
        index += 8
        continue
      }
      let lead = bytes[index]
      if lead < 0x80 {
        index += 1
        continue
      }
      func continuation(_ offset: Int) -> UInt8? {
        guard index + offset < count else { return nil }
        let byte = bytes[index + offset]
        return byte & 0xC0 == 0x80 ? byte : nil
      }
      if lead < 0xC2 {
        return false
      } else if lead < 0xE0 {
        guard continuation(1) != nil else { return false }
        index += 2
      } else if lead < 0xF0 {
        guard let second = continuation(1), continuation(2) != nil else { return false }
        if lead == 0xE0 && second < 0xA0 { return false }
        if lead == 0xED && second > 0x9F { return false }
        index += 3
      } else if lead < 0xF5 {
        guard let second = continuation(1), continuation(2) != nil, continuation(3) != nil else {
          return false
        }
        if lead == 0xF0 && second < 0x90 { return false }
        if lead == 0xF4 && second > 0x8F { return false }
        index += 4
      } else {
        return false
      }
    }
    return true
  }
}
