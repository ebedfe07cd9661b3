import Foundation
import Testing
import TinyFS

@testable import TLogFS

@Suite("TLogFS fsck")
struct CheckTests {
  /// A pond with three versions of content, one of them a large file.
  func makePond() throws -> TestPond {
    let pond = try TestPond()
    let store = try pond.writer()
    try store.change(commandLine: "1") { fs in
      try fs.createDirectory("/d")
      try fs.writeFile("/d/small", contents: Array("small".utf8))
    }
    let big = try pond.hostFile("big", pseudoRandomBytes(200_000, seed: 5))
    _ = try store.copyIn(hostSources: [big], to: "/d/big", series: false, commandLine: "2")
    try store.change(commandLine: "3") { try $0.writeFile("/e", contents: [1, 2, 3]) }
    return pond
  }

  func dataFile(_ pond: TestPond, version: Int) throws -> String {
    let store = try pond.reader()
    return pond.root + "/data/" + store.persistence.index.commits[version].dataFile!
  }

  @Test("a healthy pond has no problems")
  func clean() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems == [])
    #expect(report.versions == 4)
    #expect(report.dataFiles == 4)
    #expect(report.largeFiles == 1)
  }

  @Test("a flipped byte in a data file is found")
  func flippedDataFile() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let path = try dataFile(pond, version: 1)
    try TestPond.flipByte(path)
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(URL(fileURLWithPath: path).lastPathComponent) })
  }

  @Test("a flipped byte in a large file is found")
  func flippedLargeFile() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let name = try #require(try pond.largeFiles().first)
    try TestPond.flipByte(pond.root + "/data/_large_files/" + name)
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(name) })
    // Reading it fails too, naming the large file.
    let store = try pond.reader()
    #expect { try pond.readAll(store, "/d/big") } throws: { "\($0)".contains(name) }
  }

  @Test("a missing large file is found")
  func missingLargeFile() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let name = try #require(try pond.largeFiles().first)
    try FileManager.default.removeItem(atPath: pond.root + "/data/_large_files/" + name)
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems.contains { $0.contains(name) && $0.contains("missing") })
  }

  @Test("a flipped byte in a commit is found", arguments: [1, 2])
  func flippedCommit(version: Int) throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    let path = pond.root + "/data/_delta_log/" + String(format: "%020d.json", version)
    try TestPond.flipByte(path)
    let report = try PondStore.check(root: pond.root)
    #expect(!report.problems.isEmpty)
    #expect(
      report.problems.contains {
        $0.contains(String(format: "%020d.json", version + 1))
          || $0.contains(String(format: "%020d.json", version))
      })
  }

  @Test("orphan files of interrupted commands are notes, not problems")
  func orphans() throws {
    let pond = try makePond()
    defer { pond.cleanup() }
    _ = FileManager.default.createFile(
      atPath: pond.root + "/data/part-00000000000000000009-x.zstd.parquet", contents: Data([1]))
    _ = FileManager.default.createFile(
      atPath: pond.root + "/data/_large_files/.tmp-abc.zst", contents: Data([1]))
    let report = try PondStore.check(root: pond.root)
    #expect(report.problems == [])
    #expect(report.notes.count == 2)
  }
}
