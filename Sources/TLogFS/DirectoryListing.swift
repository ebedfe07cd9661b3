public import TinyFS

/// The binary encoding of a directory listing snapshot, stored in the `content` column of a directory row.
///
/// Version 1 (docs/format.md, "Directory listings"): the 4 bytes `PDL1`, then an unsigned LEB128 entry count,
/// then per entry, sorted by the names' UTF-8 bytes: LEB128 name length, the UTF-8 name, the 16-byte node id
/// (RFC 9562 big-endian), and one entry-type byte (1 directory, 2 file, 3 symlink, 4 series, 5 dynamic, 6
/// table, 7 table-series).
public enum DirectoryListing {
  static let magic: [UInt8] = Array("PDL1".utf8)

  /// The type byte of each entry type.
  static func code(_ type: EntryType) -> UInt8 {
    switch type {
    case .directory: 1
    case .file: 2
    case .symlink: 3
    case .series: 4
    case .dynamic: 5
    case .table: 6
    case .tableSeries: 7
    }
  }

  static func type(_ code: UInt8) -> EntryType? {
    switch code {
    case 1: .directory
    case 2: .file
    case 3: .symlink
    case 4: .series
    case 5: .dynamic
    case 6: .table
    case 7: .tableSeries
    default: nil
    }
  }

  /// Encodes `entries`, which must be sorted by the names' UTF-8 bytes and have unique names.
  public static func encode(_ entries: [DirectoryEntry]) -> [UInt8] {
    var output = magic
    appendVarint(UInt64(entries.count), to: &output)
    for entry in entries {
      let name = Array(entry.name.utf8)
      appendVarint(UInt64(name.count), to: &output)
      output += name
      output += entry.id.bytes
      output.append(code(entry.entryType))
    }
    return output
  }

  /// Appends `value` as an unsigned LEB128 varint.
  private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  /// Decodes a listing; throws naming `node` when the bytes are not a valid version-1 listing.
  public static func decode(_ bytes: [UInt8], node: String) throws -> [DirectoryEntry] {
    func corrupt(_ why: String) -> PondError {
      PondError(
        .corrupt, path: node, "the directory listing is not valid (\(why))",
        hint: "run 'pond fsck' and restore the pond from a replica")
    }
    var input = ByteReader(bytes)
    guard let head = input.read(4), head == magic else {
      throw corrupt("it does not start with PDL1")
    }
    guard let count = input.readVarint(), count <= UInt64(bytes.count) else {
      throw corrupt("bad entry count")
    }
    var entries: [DirectoryEntry] = []
    entries.reserveCapacity(Int(count))
    var previous: [UInt8]?
    for _ in 0..<count {
      guard let length = input.readVarint(), length > 0, length <= 4096,
        let name = input.read(Int(length)), let idBytes = input.read(16),
        let id = NodeID(bytes: idBytes), let typeByte = input.read(1),
        let entryType = type(typeByte[0])
      else { throw corrupt("truncated or invalid entry") }
      if let previous, !previous.lexicographicallyPrecedes(name) {
        throw corrupt("names are not sorted and unique")
      }
      previous = name
      guard let text = String(validating: name, as: UTF8.self) else {
        throw corrupt("a name is not UTF-8")
      }
      entries.append(DirectoryEntry(name: text, id: id, entryType: entryType))
    }
    guard input.isAtEnd else { throw corrupt("trailing bytes") }
    return entries
  }
}

/// Reads a listing's bytes; every read returns nil past the end instead of trapping.
struct ByteReader {
  let bytes: [UInt8]
  var offset = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var isAtEnd: Bool { offset == bytes.count }

  mutating func read(_ count: Int) -> [UInt8]? {
    guard count >= 0, bytes.count - offset >= count else { return nil }
    defer { offset += count }
    return Array(bytes[offset..<offset + count])
  }

  mutating func readVarint() -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while offset < bytes.count, shift < 64 {
      let byte = bytes[offset]
      offset += 1
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
    return nil
  }
}
