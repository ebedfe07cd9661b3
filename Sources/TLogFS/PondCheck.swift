import DeltaLog
import Foundation
import PondCrypto
import TinyFS

/// What `pond fsck` found.
public struct CheckReport: Sendable, Codable, Equatable {
  /// Versions replayed.
  public var versions: Int64 = 0
  public var dataFiles = 0
  public var rows = 0
  public var largeFiles = 0
  /// Each problem, naming the file (relative to the pond) and what is wrong.
  public var problems: [String] = []
  /// Harmless findings: orphan files left by interrupted commands.
  public var notes: [String] = []

  public var isClean: Bool { problems.isEmpty }

  public init() {}
}

extension PondStore {
  /// Checks the pond without trusting the index: replays the log and its hash chain, re-hashes every commit's
  /// data file against its `add`, re-hashes inline content against each row's `sha256`, decompresses and
  /// re-hashes every large file a row refers to, and checks that directory listings and parents agree.
  ///
  /// Opens nothing for writing and takes no lock. Throws only when `root` is not a pond at all.
  public static func check(root: String) throws -> CheckReport {
    let dataRoot = root + "/data"
    let storage = LocalStorage(root: dataRoot)
    let log = LogReader(dataRoot: dataRoot)
    var report = CheckReport()
    let latest = try log.latestVersion()
    var previousSHA: String?
    var referencedFiles = Set<String>()
    var blobs: [String: Int64] = [:]  // sha -> expected size
    var latestRow: [NodeID: OplogRow] = [:]
    var listings: [(version: Int64, directory: NodeID, entries: [DirectoryEntry])] = []
    let largeFiles = LargeFiles(dataRoot: dataRoot)

    versions: for version in 0...latest {
      let key = DeltaTable.commitKey(version: version)
      let bytes: [UInt8]
      do {
        bytes = try storage.read(key)
      } catch {
        report.problems.append("data/\(key): cannot be read: \(error.message)")
        break versions
      }
      let sha = Hex.encode(SHA256.hash(bytes))
      defer { previousSHA = sha }
      report.versions = version + 1
      let actions: [DeltaAction]
      do {
        actions = try DeltaAction.decodeCommit(bytes, version: version, path: key)
      } catch {
        report.problems.append("data/\(key): the commit is not valid: \(error.message)")
        continue
      }
      var info: CommitInfo?
      var adds: [AddFile] = []
      for action in actions {
        if case .commitInfo(let value) = action, info == nil { info = value }
        if case .add(let add) = action { adds.append(add) }
      }
      if version > 0, info?.previousCommitSHA256 != previousSHA {
        report.problems.append(
          "data/\(key): the hash chain is broken: it names previous commit "
            + "\(info?.previousCommitSHA256 ?? "none") but version \(version - 1) hashes to "
            + (previousSHA ?? "?"))
      }
      for add in adds {
        referencedFiles.insert(add.path)
        report.dataFiles += 1
        let path = dataRoot + "/" + add.path
        guard let fileBytes = try? HostIO.readFile(path) else {
          report.problems.append("data/\(add.path): missing (added by version \(version))")
          continue
        }
        if Int64(fileBytes.count) != add.size {
          report.problems.append(
            "data/\(add.path): holds \(fileBytes.count) bytes, its add (version \(version)) says \(add.size)"
          )
        }
        if Hex.encode(SHA256.hash(fileBytes)) != add.sha256 {
          report.problems.append(
            "data/\(add.path): its sha256 does not match the add of version \(version)")
          continue
        }
        let rows: [OplogRow]
        do {
          rows = try Oplog.read(path: path, key: "data/" + add.path)
        } catch {
          report.problems.append("\(error)")
          continue
        }
        for (position, row) in rows.enumerated() {
          report.rows += 1
          let location =
            "data/\(add.path) row \(position) (node \(row.nodeID) version \(row.version))"
          if row.transaction != version {
            report.problems.append("\(location): txn is \(row.transaction), expected \(version)")
          }
          let previous = latestRow[row.nodeID]
          if row.version != (previous?.version ?? 0) + 1 {
            report.problems.append(
              "\(location): version does not follow \(previous?.version ?? 0)")
          }
          if let content = row.content {
            if Hex.encode(SHA256.hash(content)) != row.sha256 {
              report.problems.append("\(location): the inline content does not match its sha256")
            }
            if row.entryType == .directory {
              do {
                let entries = try DirectoryListing.decode(content, node: location)
                listings.append((version, row.nodeID, entries))
              } catch {
                report.problems.append("\(error)")
              }
            }
          } else if let blob = row.blob {
            guard LargeFiles.sha256(ofKey: blob) == row.sha256 else {
              report.problems.append("\(location): blob \(blob) is not named by the row's sha256")
              continue
            }
            let base: Int64 =
              row.entryType == .series && previous?.entryType == .series ? previous!.size : 0
            blobs[row.sha256] = row.size - base
          } else {
            report.problems.append("\(location): has neither inline content nor a blob")
          }
          latestRow[row.nodeID] = row
        }
      }
    }
    // Every listing entry must exist, with the type the listing says, when the listing was written.
    for listing in listings {
      for entry in listing.entries {
        guard let row = latestRow[entry.id] else {
          report.problems.append(
            "directory \(listing.directory) at version \(listing.version): entry '\(entry.name)' names "
              + "node \(entry.id), which no row defines")
          continue
        }
        if row.entryType != entry.entryType {
          report.problems.append(
            "directory \(listing.directory): entry '\(entry.name)' says \(entry.entryType) but node "
              + "\(entry.id) is a \(row.entryType)")
        }
      }
    }
    for (sha, size) in blobs.sorted(by: { $0.key < $1.key }) {
      report.largeFiles += 1
      do {
        try largeFiles.stream(sha256: sha, expectedSize: size) { _ in }
      } catch {
        report.problems.append("\(error)")
      }
    }
    // Orphans: data files no commit added (a crash before the commit), temporary files.
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dataRoot)) ?? []
    for name in names.sorted() where name.hasPrefix("part-") && !referencedFiles.contains(name) {
      report.notes.append("data/\(name): orphan data file (an interrupted command); harmless")
    }
    let largeNames =
      (try? FileManager.default.contentsOfDirectory(atPath: dataRoot + "/" + LargeFiles.directory))
      ?? []
    for name in largeNames.sorted() where name.hasPrefix(".tmp-") {
      report.notes.append("data/_large_files/\(name): unfinished large file; harmless")
    }
    return report
  }
}
