/// Deterministic test data that compresses like sensor CSV (roughly 2-3x), cheap to generate.
enum TestData {
  /// `count` bytes of comma-separated digits and newlines from an xorshift generator seeded by
  /// `seed`.
  static func sensorLike(count: Int, seed: UInt64 = 0x9e37_79b9_7f4a_7c15) -> [UInt8] {
    let alphabet = Array("0123456789.,-\n0123".utf8)
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { buffer in
      var i = 0
      while i < count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        var word = state
        for _ in 0..<8 where i < count {
          buffer[i] = alphabet[Int(word & 0x0f)]
          word >>= 8
          i += 1
        }
      }
    }
    return out
  }

  /// `count` bytes that zstd cannot compress.
  static func random(count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { buffer in
      var i = 0
      while i < count {
        let word = generator.next()
        withUnsafeBytes(of: word) { bytes in
          for j in 0..<min(8, count - i) { buffer[i + j] = bytes[j] }
        }
        i += 8
      }
    }
    return out
  }
}
