import Foundation
import Parquet
import Testing

@Suite("Corrupt input gives an error, never a crash")
struct RobustnessTests {
  /// Small valid files of every shape the writer makes (uncompressed, zstd, multi-page, with CRCs, the
  /// newer types), and of other writers' (dictionary pages, v2 pages, snappy, gzip: `ForeignSeeds`).
  static func seeds() throws -> [[UInt8]] {
    let mixed = MixedTable.columns(rows: 60, seed: 3)
    let newTypes = try ParquetSchema([
      ParquetColumn(name: "f", physicalType: .float, nullable: true),
      ParquetColumn(name: "d", physicalType: .double, nullable: false),
      ParquetColumn(name: "day", physicalType: .int32, logicalType: .date, nullable: true),
      ParquetColumn(
        name: "ns", physicalType: .int64,
        logicalType: .timestamp(unit: .nanoseconds, isAdjustedToUTC: false), nullable: true),
    ])
    let newColumns: [ParquetColumnData] = [
      .floats([1.5, nil, -0.0, .infinity]), .doubles([0.1, 2, -3, .nan]),
      .int32s([nil, 19_000, -1, 0]), .int64s([1, nil, nil, 1_717_243_200_123_456_789]),
    ]
    return ForeignSeeds.all + [
      try Fixtures.write(newTypes, newColumns).bytes,
      try Fixtures.write(Fixtures.golden2Schema, Fixtures.golden2Columns).bytes,
      try Fixtures.write(
        MixedTable.schema, mixed,
        options: ParquetWriterOptions(compression: .none, maximumPageRows: 16, syncsOnFinish: false)
      ).bytes,
      try Fixtures.write(
        MixedTable.schema, mixed,
        options: ParquetWriterOptions(
          compression: .zstd(), maximumPageRows: 25, syncsOnFinish: false)
      ).bytes,
      try Fixtures.write(
        MixedTable.schema, mixed,
        options: ParquetWriterOptions(
          compression: .none, maximumPageRows: 30, writesPageChecksums: true, syncsOnFinish: false)
      ).bytes,
    ]
  }

  enum Outcome { case read, rejected }

  /// Reads everything; a success must be self-consistent.
  static func attempt(_ bytes: [UInt8]) -> Outcome {
    attemptWithReason(bytes).0
  }

  /// Reads everything, and says why a failure failed.
  static func attemptWithReason(_ bytes: [UInt8]) -> (Outcome, String) {
    do {
      let reader = try ParquetReader(bytes: bytes, name: "fuzz.parquet")
      for column in try reader.readAllColumns() {
        #expect(Int64(column.rowCount) == reader.numRows)
      }
      return (.read, "")
    } catch {
      #expect(error.path == "fuzz.parquet")
      #expect(!error.reason.isEmpty)
      return (.rejected, error.reason)
    }
  }

  @Test func foreignSeedsReadCleanly() throws {
    let rows = try ForeignSeeds.all.map { try ParquetReader(bytes: $0).numRows }
    #expect(rows == [40, 40, 40, 30])
    for seed in ForeignSeeds.all {
      #expect(Self.attempt(seed) == .read)
    }
    let reader = try ParquetReader(bytes: ForeignSeeds.pyarrowDefaults)
    #expect(
      try reader.readColumn(named: "s")
        == .strings((0..<40).map { $0 % 5 == 0 ? nil : ["ab", "cé", ""][$0 % 3] }))
    #expect(
      try reader.readColumn(named: "f")
        == .floats((0..<40).map { $0 % 7 == 0 ? nil : Float($0) * 0.5 }))
  }

  /// Mutations of the page bodies of other writers' files: dictionary pages, v2 pages, snappy and gzip
  /// bodies are decoded from corrupt bytes, and each failure is a clear error.
  @Test func mutatedDictionaryV2SnappyAndGzipPagesFailCleanly() throws {
    var random = SeededGenerator(seed: 0xFACE_FEED)
    var outcomes: [Outcome: Int] = [:]
    var reasons: [String] = []
    for iteration in 0..<12_000 {
      let seed = ForeignSeeds.all[iteration % ForeignSeeds.all.count]
      var bytes = seed
      // Aim at the pages (everything before the footer), one to three edits.
      let footerLength = Int(UInt32(seed[seed.count - 8]) | UInt32(seed[seed.count - 7]) << 8)
      let pagesEnd = seed.count - 8 - footerLength
      for _ in 0..<(1 + Int(random.next() % 3)) {
        let position = 4 + Int(random.next() % UInt64(pagesEnd - 4))
        switch random.next() % 4 {
        case 0: bytes[position] ^= 1 << UInt8(random.next() % 8)
        case 1: bytes[position] = UInt8(truncatingIfNeeded: random.next())
        case 2: bytes[position] = 0xFF
        default: bytes[position] = 0
        }
      }
      let (outcome, reason) = Self.attemptWithReason(bytes)
      outcomes[outcome, default: 0] += 1
      if outcome == .rejected { reasons.append(reason) }
    }
    print(
      "page mutations: \(outcomes[.rejected, default: 0]) rejected, \(outcomes[.read, default: 0]) read"
    )
    #expect(outcomes[.rejected, default: 0] > 3_000)
    #expect(outcomes[.read, default: 0] > 0)
    // Every new path met corrupt input: the codecs, the dictionaries and the v2 pages' levels.
    for evidence in ["snappy", "gzip", "dictionary", "num_nulls", "definition levels"] {
      #expect(reasons.contains { $0.contains(evidence) }, "no failure mentions \(evidence)")
    }
  }

  @Test func truncationsAtEveryLength() throws {
    for seed in try Self.seeds() {
      for length in 0..<seed.count {
        #expect(Self.attempt(Array(seed[..<length])) == .rejected)
      }
    }
  }

  @Test func thousandsOfSeededMutations() throws {
    let seeds = try Self.seeds()
    var random = SeededGenerator(seed: 0xD0C_B0D)
    var outcomes: [Outcome: Int] = [:]
    for iteration in 0..<20_000 {
      var bytes = seeds[iteration % seeds.count]
      let edits = 1 + Int(random.next() % 3)
      for _ in 0..<edits {
        // Half the edits aim at the footer (the last ~300 bytes), where the lengths and counts live.
        let window = random.next() % 2 == 0 ? min(bytes.count, 300) : bytes.count
        let position = bytes.count - 1 - Int(random.next() % UInt64(window))
        switch random.next() % 7 {
        case 0:  // flip one bit
          bytes[position] ^= 1 << UInt8(random.next() % 8)
        case 1:  // random byte
          bytes[position] = UInt8(truncatingIfNeeded: random.next())
        case 2:  // truncate (keep the tail magic sometimes, so the footer is still found)
          let cut = Int(random.next() % UInt64(bytes.count))
          bytes = Array(bytes[..<cut]) + (random.next() % 2 == 0 ? Array("PAR1".utf8) : [])
        case 3:  // an absurd varint where a length or count might be
          let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
          bytes.replaceSubrange(position..<min(position + huge.count, bytes.count), with: huge)
        case 4:  // edit the footer length field
          if bytes.count >= 8 {
            let value = UInt32(
              truncatingIfNeeded: random.next() % 3 == 0 ? random.next() : random.next() % 600)
            withUnsafeBytes(of: value.littleEndian) {
              bytes.replaceSubrange(bytes.count - 8..<bytes.count - 4, with: $0)
            }
          }
        case 5:  // insert bytes
          bytes.insert(
            contentsOf: (0..<(1 + random.next() % 4)).map { _ in
              UInt8(truncatingIfNeeded: random.next())
            }, at: position)
        default:  // delete bytes
          bytes.removeSubrange(position..<min(position + 1 + Int(random.next() % 4), bytes.count))
        }
        if bytes.isEmpty { break }
      }
      outcomes[Self.attempt(bytes), default: 0] += 1
    }
    // Both outcomes occur: mutations of page values read as other values, most others are refused.
    print(
      "mutations: \(outcomes[.rejected, default: 0]) rejected, \(outcomes[.read, default: 0]) read")
    #expect(outcomes[.rejected, default: 0] > 10_000)
    #expect(outcomes[.read, default: 0] > 0)
    #expect(outcomes.values.reduce(0, +) == 20_000)
  }

  @Test func aPageCursorStaysFailedAfterACorruptPage() throws {
    var bytes = ForeignSeeds.pyarrowDefaults
    let reader = try ParquetReader(bytes: bytes)
    var pages = reader.pages(ofColumn: 0)
    #expect(try pages.next()?.rowCount == 40)
    #expect(try pages.next() == nil)
    // Flip bits until the first column's pages fail, then check the cursor repeats that failure.
    var random = SeededGenerator(seed: 17)
    var checked = false
    for _ in 0..<2000 where !checked {
      bytes = ForeignSeeds.pyarrowDefaults
      bytes[4 + Int(random.next() % 60)] ^= 1 << UInt8(random.next() % 8)
      guard let mutated = try? ParquetReader(bytes: bytes) else { continue }
      var cursor = mutated.pages(ofColumn: 0)
      var first: ParquetError?
      do {
        while try cursor.next() != nil {}
      } catch {
        first = error
      }
      guard let first else { continue }
      let again = #expect(throws: ParquetError.self) { _ = try cursor.next() }
      #expect(again == first)
      checked = true
    }
    #expect(checked)
  }

  @Test func truncatedFilesOnDiskAreRejected() throws {
    let (bytes, _, path) = try Fixtures.write(
      MixedTable.schema, MixedTable.columns(rows: 200),
      options: ParquetWriterOptions(maximumPageRows: 50, syncsOnFinish: false))
    for length in stride(from: 0, to: bytes.count, by: 97) {
      let truncated = path + ".\(length)"
      try Data(bytes[..<length]).write(to: URL(fileURLWithPath: truncated))
      let error = #expect(throws: ParquetError.self) {
        _ = try ParquetReader(path: truncated).readAllColumns()
      }
      #expect(error?.path == truncated)
    }
  }

  @Test func encryptedFooterMagicIsNamed() throws {
    var bytes = try Fixtures.write(Fixtures.golden2Schema, Fixtures.golden2Columns).bytes
    bytes.replaceSubrange(bytes.count - 4..<bytes.count, with: Array("PARE".utf8))
    let error = #expect(throws: ParquetError.self) {
      try ParquetReader(bytes: bytes, name: "enc.parquet")
    }
    #expect(error?.kind == .unsupported)
    #expect(error?.reason.contains("encrypted") == true)
    #expect(error?.description.contains("enc.parquet") == true)
  }

  @Test func absurdFooterLengthIsRejected() throws {
    var bytes = try Fixtures.write(Fixtures.golden2Schema, Fixtures.golden2Columns).bytes
    bytes.replaceSubrange(bytes.count - 8..<bytes.count - 4, with: [0xFF, 0xFF, 0xFF, 0x7F])
    let error = #expect(throws: ParquetError.self) { try ParquetReader(bytes: bytes) }
    #expect(error?.kind == .corrupt)
    #expect(error?.reason.contains("footer length") == true)
  }

  @Test func notParquetAtAll() {
    for bytes in [[], Array("PAR1PAR1".utf8), Array("hello, this is not parquet".utf8)] {
      let error = #expect(throws: ParquetError.self) { try ParquetReader(bytes: bytes) }
      #expect(error?.kind == .notParquet)
    }
  }

  @Test func missingFileIsAnIOError() {
    let error = #expect(throws: ParquetError.self) {
      try ParquetReader(path: "/nonexistent/x.parquet")
    }
    #expect(error?.kind == .io)
    #expect(error?.path == "/nonexistent/x.parquet")
  }
}
