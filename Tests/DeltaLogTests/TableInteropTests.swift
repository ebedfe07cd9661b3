import Foundation
import Parquet
import PondCrypto
import PondFiles
import PondTestSupport
import PondTime
import Testing

@testable import DeltaLog

/// A whole table written by pond's own Parquet writer and Delta log (several versions: adds, removes, nulls,
/// non-UTF-8 binary, empty strings, timestamps before and after 1970, and 100k rows spanning many pages), then
/// read at every version by four independent engines: deltalake's pyarrow path, deltalake's DataFusion path,
/// `pyarrow.parquet` and DuckDB `read_parquet` (scripts/interop/read_delta_table.py). Each engine's rows must equal,
/// as a multiset, what pond's own reader returns for the files live at that version.
@Suite("Parquet + Delta table read by deltalake, pyarrow and DuckDB")
struct TableInteropTests {
  static let schema:
    [(name: String, delta: DeltaSchema.FieldType, parquet: ParquetType, nullable: Bool)] = [
      ("seq", .long, .int64, false),
      ("ts", .timestamp, .timestamp, true),
      ("station", .string, .string, true),
      ("value", .long, .int64, true),
      ("small", .integer, .int32, true),
      ("flag", .boolean, .boolean, true),
      ("raw", .binary, .binary, true),
    ]

  static var columnNames: [String] { schema.map(\.name) }

  /// Rows `first ..< first + count` of a deterministic data set with every kind of awkward value.
  static func columns(first: Int, count: Int, allNull: Bool = false) -> [ParquetColumnData] {
    let rows = first..<(first + count)
    func cell<T>(_ i: Int, _ make: (Int) -> T?) -> T? { allNull ? nil : make(i) }
    let stations = ["", "Ålesund", "station-7", "湖", "a,b\nc", "x"]
    return [
      .int64s(rows.map { Int64($0) }),
      .int64s(
        rows.map { i in
          cell(i) { $0 % 7 == 0 ? nil : Int64(-86_400_000_000 * 400) + Int64($0) * 1_000_123_457 }
        }),
      .strings(rows.map { i in cell(i) { $0 % 5 == 0 ? nil : stations[$0 % stations.count] } }),
      .int64s(rows.map { i in cell(i) { $0 % 3 == 0 ? nil : Int64($0) * 1_000 - 500_000 } }),
      .int32s(rows.map { i in cell(i) { $0 % 9 == 0 ? nil : Int32($0 % 100_000) - 50_000 } }),
      .booleans(rows.map { i in cell(i) { $0 % 4 == 0 ? nil : $0 % 2 == 0 } }),
      .binaries(
        rows.map { i in
          cell(i) { $0 % 6 == 0 ? nil : $0 % 6 == 1 ? [] : [0xff, 0x00, UInt8($0 & 0xff), 0xc3] }
        }),
    ]
  }

  /// Writes a data file into the table directory with pond's writer and returns its `add`.
  static func writeDataFile(
    in root: URL, name: String, columns: [ParquetColumnData]
  ) throws -> AddFile {
    let schema = try ParquetSchema(
      Self.schema.map { ParquetColumn(name: $0.name, type: $0.parquet, nullable: $0.nullable) })
    let path = root.appendingPathComponent(name).path
    var options = ParquetWriterOptions()
    options.compression = .zstd(level: 3)
    options.maximumPageRows = 4096
    let summary = try ParquetWriter.write(
      path: path, schema: schema, columns: columns, options: options)
    return AddFile(
      path: name, size: summary.size, modificationTime: UTCMilliseconds.now().rawValue,
      statistics: FileStatistics(summary), sha256: Hex.encode(try SHA256.hash(fileAt: path)))
  }

  /// The canonical text of every row of `file`, in the encoding read_delta_table.py documents.
  static func canonicalRows(of file: String) throws -> [String] {
    let reader = try ParquetReader(path: file)
    var cells: [[String]] = []
    for column in schema {
      guard let data = try reader.readColumn(named: column.name) else {
        Issue.record("column \(column.name) missing from \(file)")
        return []
      }
      cells.append(
        data.rows().map { value in
          guard let value else { return "N" }
          switch (column.delta, value) {
          case (.timestamp, .int64(let v)): return "T\(v)"
          case (.long, .int64(let v)): return "I\(v)"
          case (.integer, .int32(let v)): return "I\(v)"
          case (.boolean, .boolean(let v)): return v ? "B1" : "B0"
          case (.string, .bytes(let v)): return "S" + Hex.encode(v)
          case (.binary, .bytes(let v)): return "X" + Hex.encode(v)
          default: return "?\(value)"
          }
        })
    }
    return (0..<Int(reader.numRows)).map { row in cells.map { $0[row] }.joined(separator: ",") }
  }

  struct Summary: Equatable, CustomStringConvertible {
    var count: Int
    var sha256: String
    var description: String { "\(count) rows, sha256 \(sha256)" }
  }

  static func summary(of rows: [String]) -> Summary {
    let hasher = SHA256Hasher()
    for row in rows.map({ Array($0.utf8) }).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      hasher.update(row)
      hasher.update([0x0a])
    }
    return Summary(count: rows.count, sha256: Hex.encode(hasher.finalize()))
  }

  @Test(
    .enabled(
      if: TestSupport.interopEnabled, "needs .venv with deltalake, pyarrow, duckdb: run `make deps`"
    ))
  func everyVersionReadsTheSameInEveryEngine() throws {
    guard let python = TestSupport.python else {
      Issue.record("the interop venv is missing under CI: run `make deps`")
      return
    }
    let root = try TestSupport.makeTemporaryDirectory("pond-table-interop")
    defer { try? FileManager.default.removeItem(at: root) }
    let table = DeltaTable(storage: DirectoryStore(root: root.path))
    let deltaSchema = try DeltaSchema(
      Self.schema.map { DeltaSchema.Field($0.name, $0.delta, nullable: $0.nullable) })

    // Version 0: 1000 awkward rows. 1: 100k rows (about 25 pages per column). 2: file A rewritten (remove + add).
    // 3: a file whose columns are all null but seq. 4: the big file removed.
    let fileA = try Self.writeDataFile(
      in: root, name: "part-0-a.zstd.parquet", columns: Self.columns(first: 0, count: 1000))
    let now = UTCMilliseconds.now().rawValue
    let versionZero = try CommitFile.first(
      schema: deltaSchema, configuration: ["pond.birthplace": "interop-test"],
      id: UUID().uuidString.lowercased(), adds: [fileA], timestamp: now)
    #expect(try table.write(versionZero).isCommitted(version: 0))
    let fileB = try Self.writeDataFile(
      in: root, name: "part-1-b.zstd.parquet", columns: Self.columns(first: 1000, count: 100_000))
    let versionOne = try CommitFile.next(after: versionZero.head, adds: [fileB], timestamp: now)
    #expect(try table.write(versionOne).isCommitted(version: 1))
    let fileA2 = try Self.writeDataFile(
      in: root, name: "part-2-a2.zstd.parquet", columns: Self.columns(first: 0, count: 10))
    let versionTwo = try rewrite(
      after: versionOne.head, removing: [fileA], adding: [fileA2], operation: "REWRITE",
      timestamp: now)
    #expect(try table.write(versionTwo).isCommitted(version: 2))
    let fileC = try Self.writeDataFile(
      in: root, name: "part-3-c.zstd.parquet",
      columns: Self.columns(first: 200_000, count: 50, allNull: true))
    let versionThree = try CommitFile.next(after: versionTwo.head, adds: [fileC], timestamp: now)
    #expect(try table.write(versionThree).isCommitted(version: 3))
    let versionFour = try rewrite(
      after: versionThree.head, removing: [fileB], adding: [], operation: "DELETE", timestamp: now)
    #expect(try table.write(versionFour).isCommitted(version: 4))

    let expectedLive: [[String]] = [
      [fileA.path], [fileA.path, fileB.path], [fileA2.path, fileB.path],
      [fileA2.path, fileB.path, fileC.path], [fileA2.path, fileC.path],
    ]
    let script = TestSupport.repositoryRoot.appendingPathComponent(
      "scripts/interop/read_delta_table.py"
    ).path
    for version in 0...4 {
      let live = expectedLive[version].sorted()
      let rows = try live.flatMap {
        try Self.canonicalRows(of: root.appendingPathComponent($0).path)
      }
      let ours = Self.summary(of: rows)
      #expect(
        ours.count == [1000, 101_000, 100_010, 100_060, 60][version],
        "pond's rows at version \(version)")

      let result = try TestSupport.run(
        python,
        [script, root.path, String(version), Self.columnNames.joined(separator: ",")] + live)
      #expect(
        result.status == 0, "reader script failed at version \(version): \(result.stderrText)")
      guard result.status == 0,
        let json = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
      else { continue }
      #expect(json["deltalake_version"] as? Int == version)
      for engine in ["deltalake_pyarrow", "deltalake_datafusion", "pyarrow_parquet", "duckdb"] {
        let entry = json[engine] as? [String: Any]
        let theirs = Summary(
          count: entry?["count"] as? Int ?? -1, sha256: entry?["sha256"] as? String ?? "")
        #expect(theirs == ours, "\(engine) at version \(version): \(theirs) vs pond's \(ours)")
      }
    }
  }
}
