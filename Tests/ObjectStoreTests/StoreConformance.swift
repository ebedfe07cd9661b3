import Foundation
import PondCrypto
import PondTestSupport
import Testing

@testable import ObjectStore
@testable import PondFiles

/// Keys that stress URL encoding and signing; each must round-trip unchanged.
let oddKeys: [String] = [
  "plain.txt",
  "with space/and more spaces.csv",
  "unicode/Zürich-température-水位-🌊.parquet",
  "plus+sign/a+b=c.json",
  "tilde~/x~y",
  "percent%/100%25.txt",
  "bang/!*'().dat",
  "deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/leaf",
  "_delta_log/00000000000000000000.json",
  "semi;colon,comma&amp$dollar@at#hash",
]

/// The behaviour every `ObjectStore` must have, run against each implementation.
enum StoreConformance {
  static func payload(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
  }

  static func putGetHeadListDelete(_ store: any ObjectStore, prefix: String) async throws {
    let key = prefix + "basic/object.bin"
    let body = payload(100_000)
    try await store.put(key, bytes: body)
    #expect(try await store.get(key) == body)
    let info = try #require(try await store.head(key))
    #expect(info.size == 100_000)
    #expect(info.key == key)

    // Replace.
    try await store.put(key, bytes: [1, 2, 3])
    #expect(try await store.get(key) == [1, 2, 3])

    // Empty object.
    try await store.put(prefix + "basic/empty", bytes: [])
    #expect(try await store.get(prefix + "basic/empty") == [])
    #expect(try await store.head(prefix + "basic/empty")?.size == 0)

    // Missing object.
    #expect(try await store.head(prefix + "basic/missing") == nil)
    let missing = try await #require(throws: ObjectStoreError.self) {
      try await store.get(prefix + "basic/missing")
    }
    #expect(missing.kind == .notFound)
    #expect(missing.description.contains("basic/missing"))

    try await store.delete(key)
    #expect(try await store.head(key) == nil)
    // Deleting again is fine.
    try await store.delete(key)
    try await store.delete(prefix + "basic/empty")
  }

  static func putIfAbsent(_ store: any ObjectStore, prefix: String) async throws {
    let key = prefix + "_delta_log/00000000000000000001.json"
    #expect(try await store.putIfAbsent(key, bytes: Array("first".utf8)) == .created)
    #expect(try await store.putIfAbsent(key, bytes: Array("second".utf8)) == .alreadyExists)
    #expect(try await store.get(key) == Array("first".utf8))
    // Many writers racing for one key: exactly one wins.
    let race = prefix + "_delta_log/00000000000000000002.json"
    let results = try await withThrowingTaskGroup(of: PutIfAbsentResult.self) { group in
      for writer in 0..<6 {
        group.addTask { try await store.putIfAbsent(race, bytes: Array("writer \(writer)".utf8)) }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.filter { $0 == .created }.count == 1)
    #expect(results.filter { $0 == .alreadyExists }.count == 5)
    try await store.delete(key)
    try await store.delete(race)
  }

  static func files(_ store: any ObjectStore, prefix: String, size: Int = 3_000_000) async throws {
    let dir = try TestSupport.makeTemporaryDirectory("pond-store-files")
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = dir.appendingPathComponent("source.bin")
    let body = payload(size, seed: 7)
    try Data(body).write(to: source)
    let key = prefix + "files/big.bin"
    try await store.put(key, contentsOf: source)
    #expect(try await store.head(key)?.size == Int64(size))

    let target = dir.appendingPathComponent("download.bin")
    let info = try await store.get(key, to: target)
    #expect(info.size == Int64(size))
    #expect(try Data(contentsOf: target) == Data(body))

    // A failed download leaves an existing target untouched.
    let part = dir.appendingPathComponent("part.bin")
    try Data("keep".utf8).write(to: part)
    await #expect(throws: ObjectStoreError.self) {
      try await store.get(prefix + "files/missing", to: part)
    }
    #expect(try Data(contentsOf: part) == Data("keep".utf8))

    // Uploading a missing file is a clear error.
    let error = try await #require(throws: (any Error).self) {
      try await store.put(prefix + "files/nothing", contentsOf: dir.appendingPathComponent("nope"))
    }
    #expect("\(error)".contains("nope"))
    try await store.delete(key)
  }

  static func listing(_ store: any ObjectStore, prefix: String) async throws {
    let keys = ["l/a", "l/b/1", "l/b/2", "l/c", "l/b2", "lz"].map { prefix + $0 }
    for key in keys { try await store.put(key, bytes: Array(key.utf8)) }
    let all = try await store.list(prefix: prefix + "l")
    #expect(all.map(\.key) == ["l/a", "l/b/1", "l/b/2", "l/b2", "l/c", "lz"].map { prefix + $0 })
    #expect(all.first?.size == Int64((prefix + "l/a").utf8.count))
    let underB = try await store.list(prefix: prefix + "l/b")
    #expect(underB.map(\.key) == ["l/b/1", "l/b/2", "l/b2"].map { prefix + $0 })
    let after = try await store.list(prefix: prefix + "l/", startAfter: prefix + "l/b/1")
    #expect(after.map(\.key) == ["l/b/2", "l/b2", "l/c"].map { prefix + $0 })
    #expect(try await store.list(prefix: prefix + "nothing-here/").isEmpty)
    for key in keys { try await store.delete(key) }
    #expect(try await store.list(prefix: prefix + "l").isEmpty)
  }

  static func oddKeysRoundTrip(_ store: any ObjectStore, prefix: String) async throws {
    for (index, odd) in oddKeys.enumerated() {
      let key = prefix + "odd/" + odd
      let body = Array("body \(index) of \(odd)".utf8)
      try await store.put(key, bytes: body)
      #expect(try await store.get(key) == body, "get \(key)")
      #expect(try await store.head(key)?.size == Int64(body.count), "head \(key)")
    }
    let listed = try await store.list(prefix: prefix + "odd/").map(\.key)
    let expected = oddKeys.map { prefix + "odd/" + $0 }.sorted {
      Array($0.utf8).lexicographicallyPrecedes($1.utf8)
    }
    #expect(listed == expected)
    // Listing with an odd prefix and start-after.
    let plus = try await store.list(prefix: prefix + "odd/plus+sign/", startAfter: nil).map(\.key)
    #expect(plus == [prefix + "odd/plus+sign/a+b=c.json"])
    let afterSpace = try await store.list(
      prefix: prefix + "odd/", startAfter: prefix + "odd/with space/"
    ).map(\.key)
    #expect(
      afterSpace
        == expected.filter {
          Array((prefix + "odd/with space/").utf8).lexicographicallyPrecedes($0.utf8)
        })
    for odd in oddKeys { try await store.delete(prefix + "odd/" + odd) }
  }

  /// 2,500 objects, some in subdirectories ("0-x" sorts before "0/…"), listed a page of at most 1000 at
  /// a time: each exactly once, in key order; with a prefix and start-after through the sequence.
  static func pagedListing(_ store: any ObjectStore, prefix: String) async throws {
    let keys = ((0..<2_499).map { "many/\($0 % 7)/k\($0)" } + ["many/0-x"]).map { prefix + $0 }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for (index, key) in keys.enumerated() {
        if index >= 8 { try await group.next() }
        group.addTask { try await store.put(key, bytes: [UInt8(truncatingIfNeeded: index)]) }
      }
      try await group.waitForAll()
    }
    try await store.put(prefix + "many-not", bytes: [1])
    let expected = keys.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    var listed: [String] = []
    var continuation: String?
    var pages = 0
    repeat {
      let page = try await store.listPage(
        prefix: prefix + "many/", startAfter: nil, continuation: continuation)
      #expect(page.objects.count <= 1000)
      listed += page.objects.map(\.key)
      continuation = page.continuation
      pages += 1
    } while continuation != nil
    #expect(listed == expected)
    #expect(pages == 3)
    let after = expected[1_234]
    var rest: [String] = []
    for try await object in store.objects(prefix: prefix + "many/", startAfter: after) {
      rest.append(object.key)
    }
    #expect(rest == Array(expected[1_235...]))
    let underThree = try await store.list(prefix: prefix + "many/3/").map(\.key)
    #expect(underThree == expected.filter { $0.hasPrefix(prefix + "many/3/") })
    #expect(underThree.count == 357)
  }

  /// A download is written under a temporary name and published with the file and its directory flushed.
  static func durableDownload(_ store: any ObjectStore, prefix: String) async throws {
    let key = prefix + "durable/object"
    let body = payload(300_000, seed: 3)
    try await store.put(key, bytes: body)
    let dir = try ScratchDirectory("pond-durable-download")
    let target = dir.path("object")
    DirectorySyncLog.watch(LocalFiles.parentDirectory(of: target))
    try await store.get(key, to: URL(fileURLWithPath: target))
    #expect(try dir.read(target) == body)
    #expect(try LocalFiles.names(inDirectory: dir.root) == ["object"])
    #expect(DirectorySyncLog.count(LocalFiles.parentDirectory(of: target)) == 1)
    try await store.delete(key)
  }

  static func invalidKeys(_ store: any ObjectStore) async throws {
    for key in ["", "/abs", "a//b", "a/../b", "./a", "a/."] {
      let error = try await #require(throws: ObjectStoreError.self) {
        try await store.put(key, bytes: [1])
      }
      #expect(error.kind == .invalidArgument)
    }
  }
}
