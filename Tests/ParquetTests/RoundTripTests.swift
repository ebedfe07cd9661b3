import Foundation
import PondFiles
import PondTestSupport
import Testing

@testable import Parquet

@Suite("Writer and reader round trips")
struct RoundTripTests {
  static let codecs: [ParquetCompression] = [.none, .zstd(level: 1), .zstd()]

  @Test(arguments: codecs)
  func mixedTableManyPages(compression: ParquetCompression) throws {
    let columns = MixedTable.columns(rows: 10_000)
    let options = ParquetWriterOptions(
      compression: compression, maximumPageRows: 777, maximumPageBytes: 4096, syncsOnFinish: false,
      spoolMemoryLimit: 20_000)
    let (bytes, summary, path) = try Fixtures.write(MixedTable.schema, columns, options: options)
    #expect(summary.size == Int64(bytes.count))
    #expect(summary.numRows == 10_000)
    for (index, column) in columns.enumerated() {
      #expect(summary.columns[index].nullCount == Int64(column.nullCount))
    }
    let fromFile = try ParquetReader(path: path)
    let fromBytes = try ParquetReader(bytes: bytes, name: path)
    #expect(fromFile.schema == MixedTable.schema)
    #expect(try fromFile.readAllColumns() == columns)
    #expect(try fromBytes.readAllColumns() == columns)
    // Pages are bounded: never more rows than the limit, and there are many of them.
    var pages = 0
    var rows = 0
    var cursor = fromFile.pages(ofColumn: 1)
    while let page = try cursor.next() {
      pages += 1
      rows += page.rowCount
      #expect(page.rowCount <= 777)
    }
    #expect(rows == 10_000)
    #expect(pages >= 13)
  }

  @Test func incrementalBatchesEqualOneBatch() throws {
    let columns = MixedTable.columns(rows: 3000, seed: 7)
    let directory = try TestSupport.makeTemporaryDirectory("parquet-batches")
    let path = directory.appendingPathComponent("batches.parquet").path
    let options = ParquetWriterOptions(
      maximumPageRows: 500, syncsOnFinish: false, spoolMemoryLimit: 1)
    let writer = try ParquetWriter(path: path, schema: MixedTable.schema, options: options)
    // Write the same rows in uneven batches (0, 1, 999, 2000 rows).
    var start = 0
    for count in [0, 1, 999, 2000] {
      try writer.write(columns.map { slice($0, start..<start + count) })
      start += count
    }
    let summary = try writer.finish()
    #expect(summary.numRows == 3000)
    #expect(try ParquetReader(path: path).readAllColumns() == columns)
  }

  /// Rows `range` of `column`.
  func slice(_ column: ParquetColumnData, _ range: Range<Int>) -> ParquetColumnData {
    let rows = Array(column.rows()[range])
    switch column.values {
    case .boolean: return .booleans(rows.map { if case .boolean(let v)? = $0 { v } else { nil } })
    case .int32: return .int32s(rows.map { if case .int32(let v)? = $0 { v } else { nil } })
    case .int64: return .int64s(rows.map { if case .int64(let v)? = $0 { v } else { nil } })
    case .float: return .floats(rows.map { if case .float(let v)? = $0 { v } else { nil } })
    case .double: return .doubles(rows.map { if case .double(let v)? = $0 { v } else { nil } })
    case .byteArray: return .binaries(rows.map { if case .bytes(let v)? = $0 { v } else { nil } })
    }
  }

  @Test func zeroRowFileReads() throws {
    let schema = try ParquetSchema([
      ParquetColumn(name: "a", type: .int64, nullable: true),
      ParquetColumn(name: "b", type: .string, nullable: false),
    ])
    let (bytes, summary, _) = try Fixtures.write(schema, [.int64s([]), .strings([])])
    #expect(summary.numRows == 0)
    #expect(summary.columns.allSatisfy { $0.min == nil && $0.max == nil && $0.nullCount == 0 })
    let reader = try ParquetReader(bytes: bytes)
    #expect(try reader.readAllColumns() == [.int64s([]), .strings([])])
  }

  @Test func allNullColumnAndStatistics() throws {
    let schema = try ParquetSchema([
      ParquetColumn(name: "n", type: .int32, nullable: true),
      ParquetColumn(name: "s", type: .string, nullable: true),
      ParquetColumn(name: "b", type: .binary, nullable: true),
      ParquetColumn(name: "t", type: .timestamp, nullable: true),
    ])
    let long = "ü" + String(repeating: "z", count: 33)
    let columns: [ParquetColumnData] = [
      .int32s([nil, nil, nil]),
      // Byte order, not Swift String order: "é" (C3 A9) sorts after "z".
      .strings(["é", "Z", long]),
      .binaries([[1], [0], nil]),
      .int64s([-1, 1_717_243_200_123_999, nil]),
    ]
    let (bytes, summary, _) = try Fixtures.write(schema, columns)
    #expect(
      summary.columns[0] == ParquetColumnStatistics(name: "n", nullCount: 3, min: nil, max: nil))
    #expect(summary.columns[1].min == .string("Z"))
    #expect(summary.columns[1].max == nil)  // the maximum is 33 bytes long: omitted
    #expect(summary.columns[2].min == nil && summary.columns[2].max == nil)  // never for binary
    #expect(summary.columns[3].min == .timestamp(microseconds: -1))
    #expect(summary.columns[3].max == .timestamp(microseconds: 1_717_243_200_123_999))
    #expect(try ParquetReader(bytes: bytes).readAllColumns() == columns)
    #expect(summary.numRows == 3)
  }

  @Test func pageChecksumsAreWrittenAndVerified() throws {
    let columns = MixedTable.columns(rows: 500)
    let options = ParquetWriterOptions(
      maximumPageRows: 100, writesPageChecksums: true, syncsOnFinish: false)
    var (bytes, _, _) = try Fixtures.write(MixedTable.schema, columns, options: options)
    #expect(try ParquetReader(bytes: bytes).readAllColumns() == columns)
    // Corrupt one byte of the first page body (the page header of column 0 is well under 40 bytes long).
    bytes[60] ^= 0x40
    let error = #expect(throws: ParquetError.self) {
      try ParquetReader(bytes: bytes).readAllColumns()
    }
    #expect(error?.kind == .corrupt)
  }
}

@Suite("Writer input checks")
struct WriterInputTests {
  let schema = try! ParquetSchema([
    ParquetColumn(name: "id", type: .int64, nullable: false),
    ParquetColumn(name: "s", type: .string, nullable: true),
  ])

  func newWriter() throws -> (ParquetWriter, String) {
    let path = try TestSupport.makeTemporaryDirectory("parquet-input").appendingPathComponent(
      "f.parquet"
    ).path
    return (try ParquetWriter(path: path, schema: schema, options: Fixtures.uncompressed), path)
  }

  @Test func rejectsBadBatchesAndStaysUsable() throws {
    let (writer, path) = try newWriter()
    let cases: [([ParquetColumnData], String)] = [
      ([.int64s([1])], "batch has 1 columns"),
      ([.int64s([1]), .strings(["a", "b"])], "has 2 rows"),
      ([.int32s([1]), .strings(["a"])], "is int64"),
      ([.int64s([nil]), .strings(["a"])], "not nullable"),
      (
        [.int64s([1]), ParquetColumnData(values: .byteArray(ParquetByteArrays([[0xC3, 0x28]])))],
        "not valid UTF-8"
      ),
      (
        [
          .int64s([1]),
          ParquetColumnData(values: .byteArray(ParquetByteArrays([[0xED, 0xA0, 0x80]]))),
        ], "not valid UTF-8"
      ),
    ]
    for (batch, text) in cases {
      let error = #expect(throws: ParquetError.self) { try writer.write(batch) }
      #expect(error?.kind == .invalidInput)
      #expect(error?.reason.contains(text) == true, "\(error?.reason ?? "") should mention \(text)")
      #expect(error?.path == path)
    }
    try writer.write([.int64s([5]), .strings([nil])])
    let summary = try writer.finish()
    #expect(summary.numRows == 1)
    #expect(try ParquetReader(path: path).readAllColumns() == [.int64s([5]), .strings([nil])])
  }

  @Test func refusesToOverwrite() throws {
    let (first, path) = try newWriter()
    try first.write([.int64s([1]), .strings(["a"])])
    _ = try first.finish()
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let error = #expect(throws: ParquetError.self) {
      _ = try ParquetWriter(path: path, schema: schema)
    }
    #expect(error?.kind == .io)
    #expect(error?.reason.contains("already exists") == true)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test func theSecondOfTwoWritersToOnePathFailsAtFinishAndLeavesTheFirstFile() throws {
    let (first, path) = try newWriter()
    let second = try ParquetWriter(path: path, schema: schema)
    try first.write([.int64s([1]), .strings(["first"])])
    try second.write([.int64s([2]), .strings(["second"])])
    _ = try first.finish()
    let error = #expect(throws: ParquetError.self) { _ = try second.finish() }
    #expect(error?.reason.contains("already exists") == true)
    #expect(try ParquetReader(path: path).readAllColumns() == [.int64s([1]), .strings(["first"])])
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory) == [
        URL(fileURLWithPath: path).lastPathComponent
      ])
  }

  @Test func theFinalNameAppearsOnlyAtFinishAndADroppedWriterLeavesNothing() throws {
    var path = ""
    var directory = ""
    do {
      let (writer, writerPath) = try newWriter()
      path = writerPath
      directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
      try writer.write([.int64s([1]), .strings(["a"])])
      // Until finish() the bytes live under a temporary name, so a killed writer never leaves a torn `path`.
      #expect(!FileManager.default.fileExists(atPath: path))
      let names = try FileManager.default.contentsOfDirectory(atPath: directory)
      #expect(names.count == 1 && TemporaryName.isTemporary(names[0]), "\(names)")
    }
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
  }

  @Test func schemaRejectsDuplicateAndEmptyNames() {
    #expect(throws: ParquetError.self) { _ = try ParquetSchema([]) }
    #expect(throws: ParquetError.self) {
      _ = try ParquetSchema([ParquetColumn(name: "", type: .int32, nullable: true)])
    }
    #expect(throws: ParquetError.self) {
      _ = try ParquetSchema([
        ParquetColumn(name: "a", type: .int32, nullable: true),
        ParquetColumn(name: "a", type: .int64, nullable: true),
      ])
    }
  }
}

@Suite("Reader API")
struct ReaderAPITests {
  @Test func columnsByExactName() throws {
    let (bytes, _, _) = try Fixtures.write(Fixtures.golden2Schema, Fixtures.golden2Columns)
    let reader = try ParquetReader(bytes: bytes)
    #expect(try reader.readColumn(named: "mode") == .int32s([nil, -1]))
    #expect(try reader.readColumn(named: "MODE") == nil)
    #expect(try reader.readColumn(named: "missing") == nil)
  }
}

@Suite("Spooling")
struct SpoolTests {
  @Test func spilledAndInMemoryPagesGiveIdenticalFiles() throws {
    let columns = MixedTable.columns(rows: 5000, seed: 11)
    var files: [[UInt8]] = []
    for limit in [1, 10_000, 1 << 30] {
      let options = ParquetWriterOptions(
        compression: .zstd(), maximumPageRows: 300, syncsOnFinish: false, spoolMemoryLimit: limit)
      files.append(try Fixtures.write(MixedTable.schema, columns, options: options).bytes)
    }
    #expect(files[0] == files[2])
    #expect(files[1] == files[2])
    #expect(try ParquetReader(bytes: files[0]).readAllColumns() == columns)
  }
}

@Suite("The newer types: FLOAT, DOUBLE, DATE, TIMESTAMP in ms, µs, ns")
struct NewTypeRoundTripTests {
  static let schema = try! ParquetSchema([
    ParquetColumn(name: "f32", physicalType: .float, nullable: true),
    ParquetColumn(name: "f64", physicalType: .double, nullable: false),
    ParquetColumn(name: "day", physicalType: .int32, logicalType: .date, nullable: true),
    ParquetColumn(
      name: "ms", physicalType: .int64,
      logicalType: .timestamp(unit: .milliseconds, isAdjustedToUTC: true), nullable: true),
    ParquetColumn(
      name: "us_local", physicalType: .int64,
      logicalType: .timestamp(unit: .microseconds, isAdjustedToUTC: false), nullable: false),
    ParquetColumn(
      name: "ns", physicalType: .int64,
      logicalType: .timestamp(unit: .nanoseconds, isAdjustedToUTC: true), nullable: true),
    ParquetColumn(
      name: "ms_local", physicalType: .int64,
      logicalType: .timestamp(unit: .milliseconds, isAdjustedToUTC: false), nullable: true),
  ])

  static func columns(rows: Int) -> [ParquetColumnData] {
    var random = SeededGenerator(seed: 5)
    let specials: [Float] = [
      .nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
    ]
    var floats: [Float?] = []
    var doubles: [Double?] = []
    var days: [Int32?] = []
    var milliseconds: [Int64?] = []
    var local: [Int64?] = []
    var nanoseconds: [Int64?] = []
    var localMilliseconds: [Int64?] = []
    for row in 0..<rows {
      let r = random.next()
      floats.append(
        r % 5 == 0
          ? nil
          : row % 97 == 0
            ? specials[row % specials.count]
            : Float(bitPattern: UInt32(truncatingIfNeeded: r >> 7) & 0x7F7F_FFFF))
      doubles.append(
        row % 89 == 0 ? -Double.nan : Double(bitPattern: r >> 2) * (r % 2 == 0 ? 1 : -1))
      days.append(r % 3 == 0 ? nil : Int32(truncatingIfNeeded: Int64(bitPattern: random.next())))
      milliseconds.append(r % 4 == 0 ? nil : 1_717_243_200_123 + Int64(row) * 997 - 1_000_000)
      local.append(Int64(bitPattern: random.next()))
      nanoseconds.append(r % 7 == 0 ? nil : Int64.max - Int64(row) * 1_000_000_007)
      localMilliseconds.append(r % 2 == 0 ? nil : -62_135_596_800_000 + Int64(row))
    }
    return [
      .floats(floats), .doubles(doubles), .int32s(days), .int64s(milliseconds), .int64s(local),
      .int64s(nanoseconds), .int64s(localMilliseconds),
    ]
  }

  /// Bit-exact comparison (NaN != NaN under `==`).
  static func canonical(_ columns: [ParquetColumnData]) -> [[String]] {
    zip(schema.columns, columns).map { MixedTable.canonical($1, as: $0) }
  }

  @Test(arguments: RoundTripTests.codecs)
  func everyNewTypeRoundTripsBitExactly(compression: ParquetCompression) throws {
    let columns = Self.columns(rows: 5000)
    let options = ParquetWriterOptions(
      compression: compression, maximumPageRows: 701, maximumPageBytes: 3000, syncsOnFinish: false)
    let (bytes, summary, _) = try Fixtures.write(Self.schema, columns, options: options)
    let reader = try ParquetReader(bytes: bytes)
    #expect(reader.schema == Self.schema)
    #expect(reader.schema.columns.map(\.type) == [nil, nil, nil, nil, nil, nil, nil])
    #expect(reader.numRows == 5000)
    #expect(Self.canonical(try reader.readAllColumns()) == Self.canonical(columns))
    // Statistics only where Delta can use them exactly: ms UTC timestamps (as µs); none for floating
    // point, dates, local or nanosecond timestamps.
    #expect(summary.columns.map(\.nullCount) == columns.map { Int64($0.nullCount) })
    let ms: [Int64] = columns[3].rows().compactMap {
      if case .int64(let v)? = $0 { v } else { nil }
    }
    #expect(summary.columns[3].min == .timestamp(microseconds: ms.min()! * 1000))
    #expect(summary.columns[3].max == .timestamp(microseconds: ms.max()! * 1000))
    for index in [0, 1, 2, 4, 5, 6] {
      #expect(summary.columns[index].min == nil && summary.columns[index].max == nil, "\(index)")
    }
  }

  @Test func pagesStreamWithTheColumnsTypeAndBoundedRows() throws {
    let columns = Self.columns(rows: 2000)
    let options = ParquetWriterOptions(maximumPageRows: 300, syncsOnFinish: false)
    let (_, _, path) = try Fixtures.write(Self.schema, columns, options: options)
    let reader = try ParquetReader(path: path)
    #expect(reader.rowGroupRowCounts == [2000])
    for (index, column) in Self.schema.columns.enumerated() {
      var pages = reader.pages(ofColumn: index, rowGroup: 0)
      #expect(pages.column == column)
      var rows = 0
      var count = 0
      while let page = try pages.next() {
        #expect(page.rowCount <= 300)
        rows += page.rowCount
        count += 1
      }
      #expect(rows == 2000 && count == 7, "\(column.name)")
      #expect(try pages.next() == nil)
    }
  }

  @Test func theSchemaRefusesALogicalTypeOnTheWrongPhysicalType() {
    for (physical, logical) in [
      (ParquetPhysicalType.int64, ParquetLogicalType.date),
      (.int32, .timestamp(unit: .milliseconds, isAdjustedToUTC: true)),
      (.double, .string), (.float, .date),
    ] {
      let error = #expect(throws: ParquetError.self) {
        _ = try ParquetSchema([
          ParquetColumn(name: "x", physicalType: physical, logicalType: logical, nullable: true)
        ])
      }
      #expect(error?.kind == .invalidInput)
    }
  }

  @Test func theWriterRefusesValuesOfAnotherPhysicalType() throws {
    let path = try TestSupport.makeTemporaryDirectory("parquet-types").appendingPathComponent(
      "t.parquet"
    ).path
    let schema = try ParquetSchema([ParquetColumn(name: "f", physicalType: .float, nullable: false)]
    )
    let writer = try ParquetWriter(path: path, schema: schema, options: Fixtures.uncompressed)
    for batch in [ParquetColumnData.doubles([1]), .int32s([1])] {
      let error = #expect(throws: ParquetError.self) { try writer.write([batch]) }
      #expect(error?.reason.contains("is FLOAT") == true)
    }
    try writer.write([.floats([2.5])])
    _ = try writer.finish()
    #expect(try ParquetReader(path: path).readAllColumns() == [.floats([2.5])])
  }
}
