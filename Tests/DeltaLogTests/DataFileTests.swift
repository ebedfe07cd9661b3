import Foundation
import PondCrypto
import PondFiles
import PondTestSupport
import Testing

@testable import DeltaLog

@Suite("Data files")
struct DataFileTests {
  @Test func streamingPutCopiesAndHashesLargeFilesExactly() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 1)
    let size = OpenFile.copyChunkSize * 2 + 12_345
    var bytes = [UInt8](repeating: 0, count: size)
    for i in 0..<size { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ i >> 11) }
    let source = f.directory.appendingPathComponent("source.dat")
    try Data(bytes).write(to: source)
    let add = try f.table.putDataFile(
      "big.parquet", contentsOf: source.path, statistics: FileStatistics(numRecords: 5),
      modificationTime: TableFixture.baseTime)
    #expect(add.size == Int64(size))
    #expect(add.sha256 == Hex.encode(SHA256.hash(bytes)))
    #expect(add.modificationTime == TableFixture.baseTime)
    #expect(try Data(contentsOf: URL(fileURLWithPath: f.path("big.parquet"))) == Data(bytes))
    #expect(try f.table.commit(on: try f.table.snapshot(), adds: [add]).isCommitted(version: 1))
    #expect(
      try f.table.verifyDataFiles()
        == DataFileVerification(filesChecked: 1, bytesChecked: Int64(size)))
    // An empty file, and one of exactly one chunk.
    let empty = f.directory.appendingPathComponent("empty.dat")
    try Data().write(to: empty)
    let emptyAdd = try f.table.putDataFile("empty.parquet", contentsOf: empty.path, statistics: nil)
    #expect(emptyAdd.size == 0 && emptyAdd.sha256 == Hex.encode(SHA256.hash([UInt8]())))
    let chunk = Array(bytes[0..<OpenFile.copyChunkSize])
    try Data(chunk).write(to: source)
    let chunkAdd = try f.table.putDataFile(
      "chunk.parquet", contentsOf: source.path, statistics: nil)
    #expect(
      chunkAdd.size == Int64(chunk.count) && chunkAdd.sha256 == Hex.encode(SHA256.hash(chunk)))
    // No temporary file is left behind.
    let names = try FileManager.default.contentsOfDirectory(atPath: f.directory.path)
    #expect(names.filter { TemporaryName.isTemporary($0) }.isEmpty, "\(names)")
  }

  @Test func streamingPutNamesAMissingSourceAndRejectsBadPaths() throws {
    let f = try TableFixture()
    defer { f.remove() }
    let missing = f.directory.appendingPathComponent("nope.dat").path
    do {
      _ = try f.table.putDataFile("x.parquet", contentsOf: missing, statistics: nil)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .storageFailure && error.path == "x.parquet", "\(error)")
      #expect(
        error.description.contains(
          "source file: cannot open for reading \(missing): No such file or directory"),
        "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: f.path("x.parquet")))
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try f.table.putDataFile("../escape.parquet", contentsOf: missing, statistics: nil)
    }
    // A directory as the source: reading it fails, and nothing is stored.
    do {
      _ = try f.table.putDataFile("dir.parquet", contentsOf: f.directory.path, statistics: nil)
      Issue.record("expected an error")
    } catch {
      #expect(
        error.kind == .storageFailure
          && error.description.contains(
            "source file: cannot read \(f.directory.path): Is a directory"),
        "\(error)")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: f.directory.path)
    #expect(
      names.filter { TemporaryName.isTemporary($0) || $0 == "dir.parquet" }.isEmpty, "\(names)")
  }

  @Test func checkDataFilesReportsEveryProblem() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 6)
    try f.overwrite("part-1.parquet", [9])  // same size, other bytes
    try f.overwrite("part-2.parquet", [2])  // truncated
    try FileManager.default.removeItem(atPath: f.path("part-4.parquet"))
    let report = try f.table.checkDataFiles()
    let found = report.problems.map { "\($0.kind)|\($0.version ?? -1)|\($0.path ?? "")" }
    #expect(
      found == [
        "data file hash mismatch|1|part-1.parquet", "data file size mismatch|2|part-2.parquet",
        "data file missing|4|part-4.parquet",
      ])
    #expect(report.verified == DataFileVerification(filesChecked: 2, bytesChecked: 3 + 5))
    // The convenience throws the first problem.
    do {
      _ = try f.table.verifyDataFiles()
      Issue.record("expected an error")
    } catch {
      #expect(error == report.problems[0])
    }
    // A clean table has no problems.
    #expect(try f.table.checkDataFiles(at: 0).problems.isEmpty)
  }
}
