import Foundation
import Parquet
import PondTestSupport

/// Shared helpers for the Parquet tests.
enum Fixtures {
  static let uncompressed = ParquetWriterOptions(
    compression: .none, createdBy: "swiftfs", syncsOnFinish: false)

  static func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
      let next = digits.index(index, offsetBy: 2)
      bytes.append(UInt8(digits[index..<next], radix: 16)!)
      index = next
    }
    return bytes
  }

  /// Writes `columns` to a new file in a fresh temporary directory and returns its bytes and summary.
  static func write(
    _ schema: ParquetSchema, _ columns: [ParquetColumnData],
    options: ParquetWriterOptions = uncompressed
  ) throws -> (bytes: [UInt8], summary: ParquetFileSummary, path: String) {
    let directory = try TestSupport.makeTemporaryDirectory("parquet-test")
    let path = directory.appendingPathComponent("data.parquet").path
    let summary = try ParquetWriter.write(
      path: path, schema: schema, columns: columns, options: options)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    return (bytes, summary, path)
  }

  /// The 6-column schema of golden vector 2 (delta-parquet.md §5.3).
  static let golden2Schema = try! ParquetSchema([
    ParquetColumn(name: "id", type: .int64, nullable: false),
    ParquetColumn(name: "name", type: .string, nullable: true),
    ParquetColumn(name: "mode", type: .int32, nullable: true),
    ParquetColumn(name: "ok", type: .boolean, nullable: true),
    ParquetColumn(name: "blob", type: .binary, nullable: true),
    ParquetColumn(name: "ts", type: .timestamp, nullable: true),
  ])

  static let golden2Columns: [ParquetColumnData] = [
    .int64s([1, 2]),
    .strings(["hi", nil]),
    .int32s([nil, -1]),
    .booleans([true, false]),
    .binaries([[], [0x00, 0xFF]]),
    .int64s([1_717_243_200_123_456, nil]),
  ]

  /// Runs a Python script with the interop venv. The suites that call this are enabled only when the venv
  /// exists or under CI (`TestSupport.interopEnabled`), so a missing venv throws `Unavailable` only under CI,
  /// where it must fail the run.
  static func python(_ script: String, _ arguments: [String] = []) throws -> TestSupport
    .ProcessResult?
  {
    try TestSupport.runPython(script, arguments)
  }

}

/// The end of every Python script of these tests: runs its `main()`, prints the traceback of a failure, and
/// leaves with `os._exit` (after flushing), so that the engines' threads (DuckDB, polars) cannot hang or abort
/// the interpreter's shutdown.
let runPythonMain = TestSupport.pythonMainTrailer
