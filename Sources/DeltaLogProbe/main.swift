// DeltaLogProbe: a child process for the Delta log tests. It writes commits with pond's own `CommitFile` and
// `DeltaTable.write` over `DirectoryStore` in a separate process so that the tests can race several writers,
// kill a writer at any moment, and run a writer under a file-size limit or as an unprivileged user.
//
//   race --table DIR --versions N --barrier DIR --id X --racers A,B[,C]
//       For each version v in 1...N: read the head at v-1, wait until every racer has reached v at the
//       file barrier (DIR/<v>-<racer> markers), commit one add; prints "<v> won" or "<v> taken".
//   commit-loop --table DIR [--max-bytes N] [--source FILE]
//       Commits forever, each commit adding one new data file (stored with putIfAbsent) of 0...N bytes; with
//       --source, every other data file is FILE, copied in by the streaming put. Prints
//       "committed <v> <path>" after each commit.
//   commit-one --table DIR --path NAME (--data-bytes N | --source FILE)
//              [--fsize-limit BYTES] [--uid UID] [--report-rss yes]
//       Optionally sets RLIMIT_FSIZE (with SIGXFSZ ignored, so writes fail with EFBIG) and drops to UID,
//       then stores one data file and commits it; prints "committed <v>", or "failed <stage>: <error>" on
//       stderr with exit status 1. With --report-rss, also prints "maxrss <KiB>" (peak resident memory)
//       on stderr.
import DeltaLog
import Foundation
import PondCrypto
import PondFiles
import PondTime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct ProbeFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// `--name value` options.
struct Options {
  var values: [String: String] = [:]

  init(_ arguments: ArraySlice<String>) throws {
    var rest = arguments
    while let name = rest.popFirst() {
      guard name.hasPrefix("--"), let value = rest.popFirst() else {
        throw ProbeFailure("expected --option value, got '\(name)'")
      }
      values[String(name.dropFirst(2))] = value
    }
  }

  func string(_ name: String) throws -> String {
    guard let value = values[name] else { throw ProbeFailure("missing --\(name)") }
    return value
  }

  func int(_ name: String) throws -> Int {
    guard let value = Int(try string(name)) else {
      throw ProbeFailure("--\(name) is not an integer")
    }
    return value
  }
}

func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Deterministic bytes of `count`, different for every `seed`: a pseudo-random 4 KiB block repeated, with
/// the seed in front (cheap to make, so the writer spends its time writing).
func payload(count: Int, seed: UInt64) -> [UInt8] {
  var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  var block = [UInt8](repeating: 0, count: 4096)
  for index in block.indices {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    block[index] = UInt8(truncatingIfNeeded: state >> 33)
  }
  var bytes: [UInt8] = []
  bytes.reserveCapacity(count)
  while bytes.count < count { bytes.append(contentsOf: block.prefix(count - bytes.count)) }
  return bytes
}

/// Stores a data file under `path` (the bytes of `source` when given, else `bytes`) and returns its add.
func putDataFile(_ store: DirectoryStore, _ path: String, source: String?, bytes: [UInt8]) throws
  -> AddFile
{
  let hasher = SHA256Hasher()
  var size = Int64(bytes.count)
  if let source {
    size = try store.put(path, contentsOf: source) { hasher.update($0) }
  } else {
    guard try store.putIfAbsent(path, bytes: bytes) == .created else {
      throw ProbeFailure("data file \(path) exists")
    }
    hasher.update(bytes)
  }
  return AddFile(
    path: path, size: size, modificationTime: UTCMilliseconds.now().rawValue,
    statistics: FileStatistics(numRecords: 1), sha256: Hex.encode(hasher.finalize()))
}

/// The next commit after `head`, adding `adds`, stamped now.
func next(after head: CommitHead, adds: [AddFile], parameters: [String: String] = [:]) throws
  -> CommitFile
{
  try CommitFile.next(
    after: head, adds: adds, operationParameters: parameters,
    timestamp: UTCMilliseconds.now().rawValue)
}

func race(_ options: Options) throws {
  let table = DeltaTable(storage: DirectoryStore(root: try options.string("table")))
  let versions = try options.int("versions")
  let barrier = try options.string("barrier")
  let id = try options.string("id")
  let racers = try options.string("racers").split(separator: ",").map(String.init)
  for version in 1...versions {
    let head = try table.commit(Int64(version - 1)).head
    let add = AddFile(
      path: "race-\(id)-\(version).parquet", size: 1,
      modificationTime: UTCMilliseconds.now().rawValue,
      sha256: String(repeating: "0", count: 64))
    let commit = try next(after: head, adds: [add], parameters: ["racer": id])
    let marker = "\(barrier)/\(version)-\(id)"
    guard FileManager.default.createFile(atPath: marker, contents: nil) else {
      throw ProbeFailure("cannot create barrier marker \(marker)")
    }
    let deadline = Date().addingTimeInterval(60)
    while !racers.allSatisfy({ access("\(barrier)/\(version)-\($0)", F_OK) == 0 }) {
      guard Date() < deadline else { throw ProbeFailure("barrier timeout at version \(version)") }
      usleep(50)
    }
    switch try table.write(commit) {
    case .committed(let committed, _):
      guard committed == Int64(version) else {
        throw ProbeFailure("committed \(committed) instead of \(version)")
      }
      say("\(version) won")
    case .versionTaken(let taken):
      guard taken == Int64(version) else {
        throw ProbeFailure("refused \(taken) instead of \(version)")
      }
      say("\(version) taken")
    }
  }
}

func commitLoop(_ options: Options) throws -> Never {
  let store = DirectoryStore(root: try options.string("table"))
  let table = DeltaTable(storage: store)
  let maxBytes = options.values["max-bytes"].flatMap { Int($0) } ?? 65_536
  let pid = getpid()
  var head = try table.commit(try table.latestVersion()).head
  var counter: UInt64 = 0
  while true {
    counter += 1
    let seed = UInt64(pid) << 32 | counter
    let size = Int(seed &* 2_654_435_761 % UInt64(maxBytes + 1))
    let path = "loop-\(pid)-\(counter).bin"
    let source = counter % 2 == 0 ? options.values["source"] : nil
    let add = try putDataFile(
      store, path, source: source, bytes: source == nil ? payload(count: size, seed: seed) : [])
    while true {
      let commit = try next(after: head, adds: [add])
      if case .committed(let version, _) = try table.write(commit) {
        say("committed \(version) \(path)")
        head = commit.head
        break
      }
      // Another writer took the version: move on to its commit and retry on top of it.
      head = try table.commit(head.version + 1).head
    }
  }
}

func commitOne(_ options: Options) throws {
  let store = DirectoryStore(root: try options.string("table"))
  let table = DeltaTable(storage: store)
  let path = try options.string("path")
  if let limit = options.values["fsize-limit"] {
    guard let bytes = UInt64(limit) else { throw ProbeFailure("--fsize-limit is not an integer") }
    // Ignore SIGXFSZ so that a write past the limit fails with EFBIG instead of killing the process.
    signal(SIGXFSZ, SIG_IGN)
    var limits = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
    guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limits) == 0 else {
      throw ProbeFailure("setrlimit RLIMIT_FSIZE: \(String(cString: strerror(errno)))")
    }
  }
  if let uid = options.values["uid"] {
    guard let value = UInt32(uid) else { throw ProbeFailure("--uid is not an integer") }
    guard setgid(value) == 0, setuid(value) == 0 else {
      throw ProbeFailure("cannot drop to uid \(value): \(String(cString: strerror(errno)))")
    }
  }
  let add: AddFile
  do {
    let source = options.values["source"]
    let count = source == nil ? try options.int("data-bytes") : 0
    add = try putDataFile(
      store, path, source: source, bytes: payload(count: count, seed: UInt64(count)))
  } catch {
    throw ProbeFailure("failed put: \(error)")
  }
  do {
    switch try table.write(
      try next(after: try table.commit(try table.latestVersion()).head, adds: [add]))
    {
    case .committed(let version, _):
      say("committed \(version)")
      if options.values["report-rss"] == "yes" {
        // VmHWM: this process image's peak resident memory (getrusage's ru_maxrss would include the
        // parent's memory from before exec).
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? "VmHWM: -1 kB"
        let kib =
          line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "-1"
        FileHandle.standardError.write(Data("maxrss \(kib)\n".utf8))
      }
    case .versionTaken(let version): throw ProbeFailure("failed commit: version \(version) taken")
    }
  } catch let error as ProbeFailure {
    throw error
  } catch {
    throw ProbeFailure("failed commit: \(error)")
  }
}

let arguments = CommandLine.arguments
do {
  guard arguments.count >= 2 else {
    throw ProbeFailure("usage: DeltaLogProbe race|commit-loop|commit-one ...")
  }
  let options = try Options(arguments.dropFirst(2))
  switch arguments[1] {
  case "race": try race(options)
  case "commit-loop": try commitLoop(options)
  case "commit-one": try commitOne(options)
  default: throw ProbeFailure("unknown subcommand '\(arguments[1])'")
  }
} catch {
  FileHandle.standardError.write(Data("\(error)\n".utf8))
  exit(1)
}
