import Foundation
import PondTestSupport
import Synchronization
import Testing

@Suite("pond with concurrent processes")
struct PondConcurrencyTests {
  /// Runs each closure on its own thread (a blocked subprocess wait must not hold back the others) and
  /// waits for all of them.
  private func runConcurrently(_ bodies: [@Sendable () -> Void]) {
    let group = DispatchGroup()
    for body in bodies {
      group.enter()
      Thread {
        body()
        group.leave()
      }.start()
    }
    group.wait()
  }

  @Test("readers beside a writer and racing index rebuilds always see a complete version")
  func readersBesideWriter() throws {
    let pond = try CLIPond()
    defer { pond.cleanup() }
    try pond.ok("init")
    for index in 0..<10 {
      try pond.ok("copy", pond.hostFile("v\(index)", Array("\(index)".utf8)), "/f-\(index)")
    }
    let sources = (10..<20).map { pond.hostFile("v\($0)", Array("\($0)".utf8)) }
    // No index: the first readers race each other (and the writer) to rebuild it.
    for suffix in ["", "-wal", "-shm"] {
      try? FileManager.default.removeItem(atPath: pond.root + "/local/index.sqlite" + suffix)
    }
    let results = Mutex<[(reader: Bool, result: PondBinary.Result)]>([])
    let root = pond.root
    let writer: @Sendable () -> Void = {
      var environment = ProcessInfo.processInfo.environment
      environment["POND"] = root
      for (offset, source) in sources.enumerated() {
        let result = try? PondBinary.run(
          ["copy", "--wait", source, "/f-\(offset + 10)"], environment: environment)
        results.withLock {
          $0.append((false, result ?? PondBinary.Result(status: -1, stdout: "", stderr: "no run")))
        }
      }
    }
    let reader: @Sendable () -> Void = {
      var environment = ProcessInfo.processInfo.environment
      environment["POND"] = root
      for _ in 0..<6 {
        let result = try? PondBinary.run(["list", "/**"], environment: environment)
        results.withLock {
          $0.append((true, result ?? PondBinary.Result(status: -1, stdout: "", stderr: "no run")))
        }
      }
    }
    runConcurrently([writer, reader, reader, reader])
    let all = results.withLock { $0 }
    #expect(all.count == 10 + 3 * 6)
    for (isReader, result) in all {
      #expect(result.status == 0, "\(result.stderr)")
      guard isReader, result.status == 0 else { continue }
      // A complete version holds exactly /f-0 ... /f-(k-1) for some k from 10 to 20.
      let numbers = result.stdout.split(separator: "\n").compactMap { Int($0.dropFirst(3)) }
      #expect(Set(numbers) == Set(0..<numbers.count), "\(result.stdout)")
      #expect((10...20).contains(numbers.count), "\(result.stdout)")
    }
    #expect(try pond.run("fsck").status == 0)
    let status = try pond.ok("status")
    #expect(status.contains("up to date (local/index.sqlite)"), "\(status)")
    #expect(try pond.ok("cat", "/f-19") == "19")
  }
}
