import DeltaLog
import ObjectStore
import PondFiles
import Synchronization
import TLogFS

/// Where a pond and a remote stand.
public struct VerifyReport: Sendable, Codable, Equatable {
  public enum State: String, Sendable, Codable {
    case inSync = "in sync"
    case remoteBehind = "remote behind"
    case localBehind = "local behind"
    case diverged
  }

  public var remote: String
  public var localHead: Int64
  /// The remote's head (-1: no commit; with a gap, the last version before it).
  public var remoteHead: Int64
  public var state: State
  /// How many versions the side that is behind lacks.
  public var behind: Int64
  /// The first version at which the two differ, when they diverged.
  public var divergedAt: Int64?
  /// Each problem found on the remote (a gap, a missing or damaged object), naming its key.
  public var problems: [String]
  public var deep: Bool

  /// 0 healthy, 2 problems found, 3 diverged.
  public var exitCode: Int32 { state == .diverged ? 3 : problems.isEmpty ? 0 : 2 }
}

extension Replicator {
  /// Says where the pond and the remote stand, and what is wrong on the remote: a gap in its log, or an object
  /// of a shared version missing or of the wrong size. `deep` also re-downloads and re-hashes every object of
  /// every remote version (streaming, one object at a time per transfer) and checks the whole hash chain.
  public func verify(deep: Bool) async throws -> VerifyReport {
    try await LocalPond.with(pondRoot) { _, _ in
    } _: { pond in
      try await verify(pond, deep: deep)
    }
  }

  private func verify(_ pond: LocalPond, deep: Bool) async throws -> VerifyReport {
    var problems: [String] = []
    var remoteHead: Int64
    do {
      remoteHead = try await log.listedHead()
    } catch let error as ReplicationError where error.code == .damaged {
      problems.append(error.message)
      remoteHead = (error.version ?? 0) - 1
      // The next push lists the remote instead of trusting the head it saw, and so fills the gap.
      let url = store.url
      try await pond.run { $0.registry.forgetHead(of: url) }
    }
    let overlap = min(remoteHead, pond.head)
    let divergedAt = try await log.firstDifference(from: pond, through: overlap)
    let shared = divergedAt.map { $0 - 1 } ?? overlap
    if shared >= 0 {
      progress("checking the objects of versions 0...\(shared) on \(store.url)")
      var sizes: [String: Int64] = [:]
      for try await object in store.objects() { sizes[object.key] = object.size }
      var seen = Set<String>()
      let dataRoot = self.dataRoot
      for version in 0...shared {
        let objects = try await pond.run { try $0.pond.objects(ofVersion: version) }
        var expected: [(String, Int64)] = objects.dataFile.map { [($0.key, $0.size)] } ?? []
        for file in objects.largeFiles where seen.insert(file.key).inserted {
          let path = dataRoot + "/" + file.key
          expected.append(
            (
              file.key,
              try await BlockingPool.shared.run { try LocalFiles.existingStatus(path).size }
            ))
        }
        for (key, size) in expected {
          switch sizes[key] {
          case nil: problems.append("\(key) (version \(version)) is missing")
          case let found? where found != size:
            problems.append(
              "\(key) (version \(version)) has \(found) bytes; this pond's has \(size)")
          default: break
          }
        }
      }
    }
    if deep, remoteHead >= 0 { problems += try await deepProblems(through: remoteHead) }
    let state: VerifyReport.State =
      divergedAt != nil
      ? .diverged
      : remoteHead < pond.head ? .remoteBehind : remoteHead > pond.head ? .localBehind : .inSync
    return VerifyReport(
      remote: store.url, localHead: pond.head, remoteHead: remoteHead, state: state,
      behind: abs(pond.head - remoteHead), divergedAt: divergedAt, problems: problems, deep: deep)
  }

  /// Every problem of the remote's versions 0...`head`: commits that do not parse or chain, data and large
  /// files missing or not matching their hashes. Each object is fetched into a scratch file in `local/` and
  /// removed once checked.
  private func deepProblems(through head: Int64) async throws -> [String] {
    var problems: [String] = []
    let scratch = pondRoot + "/" + PondLayout.localDirectory
    let found = Mutex([String]())
    var previous: CommitHead?
    var checkedLargeFiles = Set<String>()
    for version in 0...head {
      progress("verifying version \(version) of \(head) on \(store.url)")
      let commit: CommitFile
      do {
        guard let fetched = try await log.commit(version) else {
          problems.append("\(PondLayout.commitKey(version: version)) is missing")
          previous = nil
          continue
        }
        commit = fetched
        if let previous { try commit.checkChain(onto: previous) }
      } catch {
        problems.append("\(PondLayout.commitKey(version: version)): \(error)")
        previous = nil
        continue
      }
      previous = commit.head
      guard let dataFile = try VersionObjects(commit: commit, rows: []).dataFile else { continue }
      let rows: [OplogRow]
      let staging = TemporaryName.make(in: scratch)
      do {
        defer { try? LocalFiles.remove(staging) }
        rows = try await transfers.fetch(.dataFile(dataFile, version: version), to: staging)
      } catch let error as ReplicationError where error.code == .damaged {
        problems.append("\(dataFile.key) (version \(version)): \(error.message)")
        continue
      }
      let largeFiles = try VersionObjects(commit: commit, rows: rows).largeFiles.filter {
        checkedLargeFiles.insert($0.key).inserted
      }
      let transfers = self.transfers
      try await transfers.forEach(largeFiles) { file in
        let staging = TemporaryName.make(in: scratch)
        defer { try? LocalFiles.remove(staging) }
        do {
          _ = try await transfers.fetch(.largeFile(file), to: staging)
        } catch let error as ReplicationError where error.code == .damaged {
          found.withLock { $0.append("\(file.key) (version \(version)): \(error.message)") }
        }
      }
    }
    return problems + found.withLock { $0 }
  }
}
