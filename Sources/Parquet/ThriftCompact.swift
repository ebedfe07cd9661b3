// The Thrift compact protocol, written by hand: no Thrift library for Swift exists on this machine, and
// Parquet needs only a small part of it (delta-parquet.md §4.2). The writer emits exactly the fields the
// pond uses; the reader parses any compact struct into a generic tree, bounding every length and the
// nesting depth against the input, so corrupt footers and page headers fail cleanly.

/// Compact protocol type ids.
enum CompactType {
  static let boolTrue: UInt8 = 1
  static let boolFalse: UInt8 = 2
  static let i8: UInt8 = 3
  static let i16: UInt8 = 4
  static let i32: UInt8 = 5
  static let i64: UInt8 = 6
  static let double: UInt8 = 7
  static let binary: UInt8 = 8
  static let list: UInt8 = 9
  static let set: UInt8 = 10
  static let map: UInt8 = 11
  static let structure: UInt8 = 12
  static let uuid: UInt8 = 13
}

/// Appends compact-protocol structs to a byte buffer. Fields must be written in ascending id order.
struct CompactWriter {
  var bytes: [UInt8] = []
  /// The last field id of each open struct (the compact protocol encodes ids as deltas).
  private var lastFieldIDs: [Int16] = [0]

  mutating func varint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  mutating func zigzag(_ value: Int64) {
    varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }

  mutating func fieldHeader(_ id: Int16, _ type: UInt8) {
    let delta = Int(id) - Int(lastFieldIDs[lastFieldIDs.count - 1])
    if delta >= 1 && delta <= 15 {
      bytes.append(UInt8(delta) << 4 | type)
    } else {
      bytes.append(type)
      zigzag(Int64(id))
    }
    lastFieldIDs[lastFieldIDs.count - 1] = id
  }

  mutating func i32(_ id: Int16, _ value: Int32) {
    fieldHeader(id, CompactType.i32)
    zigzag(Int64(value))
  }

  mutating func i64(_ id: Int16, _ value: Int64) {
    fieldHeader(id, CompactType.i64)
    zigzag(value)
  }

  mutating func bool(_ id: Int16, _ value: Bool) {
    fieldHeader(id, value ? CompactType.boolTrue : CompactType.boolFalse)
  }

  mutating func binary(_ id: Int16, _ value: some Collection<UInt8>) {
    fieldHeader(id, CompactType.binary)
    varint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }

  mutating func string(_ id: Int16, _ value: String) {
    binary(id, Array(value.utf8))
  }

  /// Starts a struct-valued field; close it with `endStruct()`.
  mutating func beginStruct(_ id: Int16) {
    fieldHeader(id, CompactType.structure)
    lastFieldIDs.append(0)
  }

  /// Starts a struct that is a list element (no field header); close it with `endStruct()`.
  mutating func beginElementStruct() {
    lastFieldIDs.append(0)
  }

  mutating func endStruct() {
    bytes.append(0)
    lastFieldIDs.removeLast()
  }

  /// Ends the top-level struct.
  mutating func stop() {
    bytes.append(0)
  }

  /// Starts a list-valued field; the caller then writes `count` elements of `elementType`.
  mutating func beginList(_ id: Int16, elementType: UInt8, count: Int) {
    fieldHeader(id, CompactType.list)
    if count <= 14 {
      bytes.append(UInt8(count) << 4 | elementType)
    } else {
      bytes.append(0xF0 | elementType)
      varint(UInt64(count))
    }
  }

  /// An i32 list element.
  mutating func i32Element(_ value: Int32) { zigzag(Int64(value)) }

  /// A binary list element.
  mutating func binaryElement(_ value: some Collection<UInt8>) {
    varint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }
}

/// A decoded compact-protocol value.
indirect enum ThriftValue {
  case bool(Bool)
  /// i8, i16, i32 and i64 alike.
  case integer(Int64)
  case double(UInt64)
  case binary(ArraySlice<UInt8>)
  case list(elementType: UInt8, [ThriftValue])
  case structure(ThriftStruct)
  case map
  case uuid
}

/// A decoded struct: field id to value (a repeated id keeps the last value).
struct ThriftStruct {
  var fields: [Int16: ThriftValue] = [:]
}

/// Why compact decoding failed; the Parquet layer adds the file and context.
enum ThriftDecodeError: Error {
  /// The input ended inside a value: more bytes might complete it.
  case truncated
  case invalid(String)
}

/// Parses compact-protocol structs from a byte range, never reading outside it.
struct CompactReader {
  let bytes: [UInt8]
  private(set) var position: Int
  let end: Int
  static let maximumDepth = 24

  init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
    self.bytes = bytes
    self.position = start
    self.end = end ?? bytes.count
  }

  var remaining: Int { end - position }

  mutating func byte() throws(ThriftDecodeError) -> UInt8 {
    guard position < end else { throw .truncated }
    defer { position += 1 }
    return bytes[position]
  }

  mutating func varint() throws(ThriftDecodeError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let byte = try byte()
      if shift == 63 && byte > 1 { throw .invalid("varint overflows 64 bits") }
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { throw .invalid("varint longer than 10 bytes") }
    }
  }

  mutating func zigzag() throws(ThriftDecodeError) -> Int64 {
    let raw = try varint()
    return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
  }

  /// A length or count that must fit in what is left of the input (each element takes at least
  /// `minimumElementSize` bytes), so no allocation can exceed the input.
  private mutating func boundedCount(minimumElementSize: Int) throws(ThriftDecodeError) -> Int {
    let raw = try varint()
    guard raw <= UInt64(Int32.max) else { throw .invalid("length \(raw) is absurd") }
    let count = Int(raw)
    guard count <= remaining / max(minimumElementSize, 1) || count == 0 else { throw .truncated }
    return count
  }

  mutating func readStruct(depth: Int = 0) throws(ThriftDecodeError) -> ThriftStruct {
    guard depth < Self.maximumDepth else { throw .invalid("structs nested too deeply") }
    var result = ThriftStruct()
    var lastID: Int16 = 0
    while true {
      let header = try byte()
      if header == 0 { return result }
      let type = header & 0x0F
      let delta = header >> 4
      let id: Int16
      if delta == 0 {
        let raw = try zigzag()
        guard raw >= Int64(Int16.min) && raw <= Int64(Int16.max) else {
          throw .invalid("field id \(raw) out of range")
        }
        id = Int16(raw)
      } else {
        let sum = Int(lastID) + Int(delta)
        guard sum <= Int(Int16.max) else { throw .invalid("field id out of range") }
        id = Int16(sum)
      }
      lastID = id
      let value: ThriftValue
      switch type {
      case CompactType.boolTrue: value = .bool(true)
      case CompactType.boolFalse: value = .bool(false)
      default: value = try readValue(type: type, depth: depth)
      }
      result.fields[id] = value
    }
  }

  private mutating func readValue(type: UInt8, depth: Int) throws(ThriftDecodeError) -> ThriftValue
  {
    switch type {
    case CompactType.boolTrue, CompactType.boolFalse:
      // Only list elements get here: one byte each (1 = true; 0 or 2 = false).
      let raw = try byte()
      guard raw <= 2 else { throw .invalid("bool element \(raw)") }
      return .bool(raw == 1)
    case CompactType.i8:
      return .integer(Int64(Int8(bitPattern: try byte())))
    case CompactType.i16, CompactType.i32, CompactType.i64:
      return .integer(try zigzag())
    case CompactType.double:
      guard remaining >= 8 else { throw .truncated }
      var raw: UInt64 = 0
      for index in 0..<8 { raw |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
      position += 8
      return .double(raw)
    case CompactType.binary:
      let count = try boundedCount(minimumElementSize: 1)
      defer { position += count }
      return .binary(bytes[position..<position + count])
    case CompactType.list, CompactType.set:
      guard depth + 1 < Self.maximumDepth else { throw .invalid("lists nested too deeply") }
      let header = try byte()
      let elementType = header & 0x0F
      var count = Int(header >> 4)
      if count == 15 { count = try boundedCount(minimumElementSize: 1) }
      guard count <= remaining else { throw .truncated }
      var elements: [ThriftValue] = []
      elements.reserveCapacity(count)
      for _ in 0..<count {
        if elementType == CompactType.structure {
          elements.append(.structure(try readStruct(depth: depth + 1)))
        } else {
          elements.append(try readValue(type: elementType, depth: depth + 1))
        }
      }
      return .list(elementType: elementType, elements)
    case CompactType.map:
      guard depth + 1 < Self.maximumDepth else { throw .invalid("maps nested too deeply") }
      let count = try boundedCount(minimumElementSize: 2)
      if count > 0 {
        let types = try byte()
        for _ in 0..<count {
          for elementType in [types >> 4, types & 0x0F] {
            if elementType == CompactType.structure {
              _ = try readStruct(depth: depth + 1)
            } else {
              _ = try readValue(type: elementType, depth: depth + 1)
            }
          }
        }
      }
      return .map
    case CompactType.structure:
      return .structure(try readStruct(depth: depth + 1))
    case CompactType.uuid:
      guard remaining >= 16 else { throw .truncated }
      position += 16
      return .uuid
    default:
      throw .invalid("unknown compact type \(type)")
    }
  }
}
