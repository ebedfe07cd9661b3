#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A name compared, hashed and ordered by its exact UTF-8 bytes.
///
/// Swift's `String` compares by canonical equivalence, so `"caf\u{E9}"` (NFC) and `"cafe\u{301}"` (NFD) are
/// `==` and hash alike. A POSIX directory holds both as two entries, and so does a pond; every map or set
/// keyed by a name uses `NameKey` so that neither ever replaces or finds the other.
struct NameKey: Hashable, CustomStringConvertible {
  let name: String

  init(_ name: String) { self.name = name }

  static func == (lhs: NameKey, rhs: NameKey) -> Bool {
    lhs.name.hasSameBytes(as: rhs.name)
  }

  func hash(into hasher: inout Hasher) {
    // One `combine(bytes:)` over the same bytes whichever way they are stored, so equal keys hash alike.
    let hashed: Void? = name.utf8.withContiguousStorageIfAvailable {
      hasher.combine(bytes: UnsafeRawBufferPointer($0))
    }
    if hashed == nil {
      Array(name.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
    }
  }

  var description: String { name }
}

extension String {
  /// True when both strings are the same UTF-8 bytes (`==` is canonical equivalence, which is weaker).
  func hasSameBytes(as other: String) -> Bool {
    compareBytes(with: other) == 0
  }

  /// True when the string orders before `other` by UTF-8 bytes, the order of every listing.
  func precedesByBytes(_ other: String) -> Bool {
    compareBytes(with: other) < 0
  }

  /// Negative, zero or positive as the string's UTF-8 bytes order before, equal to or after `other`'s.
  /// Native strings are compared with `memcmp` (globs sort every match this way); others byte by byte.
  private func compareBytes(with other: String) -> Int {
    let fast: Int?? = utf8.withContiguousStorageIfAvailable { left in
      other.utf8.withContiguousStorageIfAvailable { right in
        let common = min(left.count, right.count)
        if common > 0, let a = left.baseAddress, let b = right.baseAddress {
          let order = memcmp(a, b, common)
          if order != 0 { return Int(order) }
        }
        return left.count - right.count
      }
    }
    if let fast, let fast { return fast }
    var left = utf8.makeIterator()
    var right = other.utf8.makeIterator()
    while true {
      switch (left.next(), right.next()) {
      case (nil, nil): return 0
      case (nil, _): return -1
      case (_, nil): return 1
      case (let a?, let b?) where a != b: return a < b ? -1 : 1
      default: continue
      }
    }
  }
}

/// Optional strings compared by bytes, for the `Equatable` conformances of public types that hold names.
func sameBytes(_ lhs: String?, _ rhs: String?) -> Bool {
  switch (lhs, rhs) {
  case (nil, nil): true
  case (let lhs?, let rhs?): lhs.hasSameBytes(as: rhs)
  default: false
  }
}
