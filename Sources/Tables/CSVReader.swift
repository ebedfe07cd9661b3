import PondFiles

/// Reads the records of a CSV file (RFC 4180) one at a time, in chunks of `chunkSize` bytes, so memory is a
/// chunk plus the current record whatever the file's size.
///
/// Accepted: a UTF-8 byte order mark at the start (skipped); records ended by LF, CRLF or CR; a last record
/// without a line end; fields in double quotes holding commas, line ends and quotes doubled (`""`). Blank
/// lines are skipped. A quote inside an unquoted field is kept as text. Refused, with the 1-based line and
/// column: a quoted field that never ends, text after a closing quote, and (once `expectedFieldCount` is
/// set) a record with more or fewer fields than the header, and a record over `maximumRecordSize`.
///
/// Not `Sendable`: one reader belongs to one conversion, on one thread.
public final class CSVReader {
  /// The bytes read from the file at a time.
  public static let chunkSize = 1 << 16
  /// The largest record accepted (its fields' bytes): a quote that never closes would otherwise hold the
  /// rest of the file in memory before it is found.
  public static let maximumRecordSize = 64 << 20

  public let path: String
  /// When set, a record with another number of fields is refused (set it to the header's field count).
  public var expectedFieldCount: Int?
  /// The 1-based line where the current record starts.
  public private(set) var line = 0

  private let file: OpenFile
  private var chunk: [UInt8]
  private var chunkCount = 0
  private var chunkPosition = 0
  private var atEndOfFile = false
  private var startedFile = false
  /// The line the next byte is on.
  private var nextLine = 1
  /// The last record ended with CR: an LF right after it belongs to that line end.
  private var skipsLineFeed = false

  /// The current record's fields, back to back.
  public private(set) var fieldBytes: [UInt8] = []
  private var fieldEnds: [Int] = []
  private var fieldQuoted: [Bool] = []

  /// Opens `path` for reading.
  /// - Throws: `TableError` (`.io`) when it cannot be opened.
  public init(path: String) throws(TableError) {
    self.path = path
    do {
      file = try OpenFile(readingAt: path)
    } catch {
      throw TableError(.io, path: path, reason: "cannot open the CSV file: \(error)")
    }
    chunk = [UInt8](repeating: 0, count: Self.chunkSize)
  }

  /// The number of fields in the current record.
  public var fieldCount: Int { fieldEnds.count }

  /// Where field `index` of the current record lies in `fieldBytes`.
  public func range(ofField index: Int) -> Range<Int> {
    (index == 0 ? 0 : fieldEnds[index - 1])..<fieldEnds[index]
  }

  /// Whether field `index` of the current record was written in quotes (`""` is an empty quoted field).
  public func isQuoted(_ index: Int) -> Bool { fieldQuoted[index] }

  /// Field `index` of the current record as text (invalid UTF-8 repaired), for messages and tests.
  public func text(ofField index: Int) -> String {
    String(decoding: fieldBytes[range(ofField: index)], as: UTF8.self)
  }

  /// Reads the next record; false at the end of the file.
  /// - Throws: `TableError` (`.malformedCSV` with line and column, or `.io`).
  public func readRecord() throws(TableError) -> Bool {
    fieldBytes.removeAll(keepingCapacity: true)
    fieldEnds.removeAll(keepingCapacity: true)
    fieldQuoted.removeAll(keepingCapacity: true)
    var state = State.fieldStart
    var started = false
    var quoteLine = 0
    line = nextLine
    while true {
      // Runs of plain bytes are copied at once; only the bytes that end them go through the state machine.
      switch state {
      case .unquoted: try appendRun { $0 == 0x2C || $0 == 0x0A || $0 == 0x0D }
      case .quoted: try appendRun { $0 == 0x22 || $0 == 0x0A }
      case .fieldStart, .quoteInQuoted: break
      }
      guard let byte = try nextByte() else {
        switch state {
        case .quoted:
          throw malformed(
            line: quoteLine, column: fieldEnds.count + 1,
            "a quoted field starts here and never ends (a \" is missing)")
        case .fieldStart where !started:
          return false
        case .fieldStart, .unquoted, .quoteInQuoted:
          endField(quoted: state == .quoteInQuoted)
          try checkFieldCount()
          return true
        }
      }
      if skipsLineFeed {
        skipsLineFeed = false
        if byte == lineFeed { continue }
      }
      switch state {
      case .fieldStart:
        if !started && (byte == lineFeed || byte == carriageReturn) {
          skipsLineFeed = byte == carriageReturn
          nextLine += 1
          line = nextLine
          continue
        }
        started = true
        switch byte {
        case quote:
          state = .quoted
          quoteLine = nextLine
        case comma:
          endField(quoted: false)
        case lineFeed, carriageReturn:
          endField(quoted: false)
          return try endRecord(byte)
        default:
          try append(byte)
          state = .unquoted
        }
      case .unquoted:
        switch byte {
        case comma:
          endField(quoted: false)
          state = .fieldStart
        case lineFeed, carriageReturn:
          endField(quoted: false)
          return try endRecord(byte)
        default:
          try append(byte)
        }
      case .quoted:
        if byte == quote {
          state = .quoteInQuoted
        } else {
          if byte == lineFeed { nextLine += 1 }
          try append(byte)
        }
      case .quoteInQuoted:
        switch byte {
        case quote:
          try append(quote)
          state = .quoted
        case comma:
          endField(quoted: true)
          state = .fieldStart
        case lineFeed, carriageReturn:
          endField(quoted: true)
          return try endRecord(byte)
        default:
          throw malformed(
            line: nextLine, column: fieldEnds.count + 1,
            "text after the closing quote of a quoted field (a quote inside quotes is written \"\")"
          )
        }
      }
    }
  }

  private enum State {
    case fieldStart, unquoted, quoted, quoteInQuoted
  }

  private var lineFeed: UInt8 { 0x0A }
  private var carriageReturn: UInt8 { 0x0D }
  private var quote: UInt8 { 0x22 }
  private var comma: UInt8 { 0x2C }

  /// Appends to the field the bytes of the current chunk before the next one `isSpecial` picks.
  private func appendRun(until isSpecial: (UInt8) -> Bool) throws(TableError) {
    let start = chunkPosition
    let end = chunk.withUnsafeBufferPointer { buffer in
      var end = start
      while end < chunkCount && !isSpecial(buffer[end]) { end += 1 }
      return end
    }
    guard end > start else { return }
    try checkRecordSize(adding: end - start)
    fieldBytes.append(contentsOf: chunk[start..<end])
    chunkPosition = end
  }

  private func append(_ byte: UInt8) throws(TableError) {
    try checkRecordSize(adding: 1)
    fieldBytes.append(byte)
  }

  private func checkRecordSize(adding count: Int) throws(TableError) {
    guard fieldBytes.count + count > Self.maximumRecordSize else { return }
    throw TableError(
      .malformedCSV, path: path, line: line, column: String(fieldEnds.count + 1),
      reason:
        "the record starting here holds more than \(Self.maximumRecordSize >> 20) MiB (is a closing quote missing?)"
    )
  }

  private func endField(quoted: Bool) {
    fieldEnds.append(fieldBytes.count)
    fieldQuoted.append(quoted)
  }

  private func endRecord(_ byte: UInt8) throws(TableError) -> Bool {
    skipsLineFeed = byte == carriageReturn
    nextLine += 1
    try checkFieldCount()
    return true
  }

  private func checkFieldCount() throws(TableError) {
    guard let expected = expectedFieldCount, fieldEnds.count != expected else { return }
    throw malformed(
      line: line, column: min(fieldEnds.count, expected) + 1,
      "the record has \(fieldEnds.count) field\(fieldEnds.count == 1 ? "" : "s"), the header \(expected)"
    )
  }

  private func malformed(line: Int, column: Int, _ reason: String) -> TableError {
    TableError(.malformedCSV, path: path, line: line, column: String(column), reason: reason)
  }

  private func nextByte() throws(TableError) -> UInt8? {
    if chunkPosition == chunkCount {
      guard !atEndOfFile else { return nil }
      do {
        chunkCount = try chunk.withUnsafeMutableBytes { buffer throws(FileIOError) in
          try file.read(into: buffer)
        }
      } catch {
        throw TableError(.io, path: path, reason: "cannot read the CSV file: \(error)")
      }
      chunkPosition = 0
      atEndOfFile = chunkCount < chunk.count
      if !startedFile {
        startedFile = true
        if chunkCount >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF {
          chunkPosition = 3
        }
      }
      guard chunkPosition < chunkCount else { return nil }
    }
    defer { chunkPosition += 1 }
    return chunk[chunkPosition]
  }
}

@available(*, unavailable)
extension CSVReader: Sendable {}
