import FoundationEssentials
import ObjectStore
import PondFiles
import TLogFS

/// An object of a version with what it must hold: a data file (its add's size and SHA-256) or a large file's
/// body (its name's SHA-256 of the raw bytes).
enum ExpectedObject: Sendable {
  case dataFile(VersionObjects.DataFile, version: Int64)
  case largeFile(VersionObjects.LargeFile)

  var key: String {
    switch self {
    case .dataFile(let file, _): file.key
    case .largeFile(let file): file.key
    }
  }

  /// Checks the local file at `path` against what the object must hold; returns a data file's rows (none
  /// for a large file). Blocking work: runs on the shared pool.
  func check(fileAt path: String) async throws -> [OplogRow] {
    try await BlockingPool.shared.run {
      switch self {
      case .dataFile(let file, let version): return try file.check(fileAt: path, version: version)
      case .largeFile(let file):
        try file.check(fileAt: path)
        return []
      }
    }
  }
}

/// Moving objects between a remote and local files, with bounded concurrency and every fetched object checked.
struct Transfers {
  let store: any ObjectStore
  let concurrency: Int

  /// Downloads `object` into `path` (replacing it once complete) and checks it; a body that does not hold what
  /// it must is fetched again (it may have been damaged on the way) up to `attempts` times in all, then removed
  /// and reported as `.damaged`, naming the key. Returns a data file's rows.
  func fetch(_ object: ExpectedObject, to path: String, attempts: Int = 3) async throws
    -> [OplogRow]
  {
    for attempt in 1...attempts {
      do {
        try await store.get(object.key, to: URL(fileURLWithPath: path))
      } catch let error as ObjectStoreError where error.kind == .notFound {
        throw ReplicationError(
          .damaged, "\(store.url): \(object.key) is missing",
          hint: "push again from the pond that wrote it, or restore from another remote")
      } catch let error as ObjectStoreError where error.kind == .integrity {
        // The store's own check (S3: the SHA-256 recorded at upload) failed on every attempt it made.
        throw ReplicationError(
          .damaged, "\(store.url): \(object.key) is damaged: \(error.message)",
          hint: "push again from the pond that wrote it, or restore from another remote")
      }
      do {
        return try await object.check(fileAt: path)
      } catch let error as PondError where error.code == .corrupt {
        try? LocalFiles.remove(path)
        if attempt == attempts {
          throw ReplicationError(
            .damaged, "\(store.url): \(object.key) is damaged: \(error.message)",
            hint: "push again from the pond that wrote it, or restore from another remote")
        }
      }
    }
    preconditionFailure("unreachable: the last attempt returns or throws")
  }

  /// Runs `body` for every item, at most `concurrency` at a time; the first failure cancels the rest.
  func forEach<Item: Sendable>(
    _ items: some Sequence<Item>, _ body: @escaping @Sendable (Item) async throws -> Void
  ) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      var running = 0
      for item in items {
        if running >= max(1, concurrency) {
          try await group.next()
          running -= 1
        }
        group.addTask { try await body(item) }
        running += 1
      }
      try await group.waitForAll()
    }
  }
}
