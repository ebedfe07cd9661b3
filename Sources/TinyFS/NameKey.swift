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
    utf8.elementsEqual(other.utf8)
  }

  /// True when the string orders before `other` by UTF-8 bytes, the order of every listing.
  func precedesByBytes(_ other: String) -> Bool {
    utf8.lexicographicallyPrecedes(other.utf8)
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
