// ObjectStoreBench: uploads and downloads through pond's S3 client and through `aws s3` (the AWS CLI),
// side by side, against the same local S3 server (scripts/s3/with-s3-server.sh), on the same data.
//
//   large: N objects of M MiB (default 16 x 64 MiB = 1 GiB) with `aws s3 cp --recursive` as the peer
//   small: K objects of 4 KiB (default 10,000) with `aws s3 sync` as the peer
//
// Usage: ObjectStoreBench [--large-count N] [--large-mib M] [--small-count K] [--small-bytes B]
//                         [--concurrency C] [--aws PATH] [--work DIR]
import Foundation
import ObjectStore
import PondCrypto

struct BenchError: Error, CustomStringConvertible {
  var description: String
}

struct Settings {
  var largeCount = 16
  var largeMiB = 64
  var smallCount = 10_000
  var smallBytes = 4096
  var concurrency = 16
  var aws: String?
  var work: String?

  init(arguments: [String]) throws {
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
      func value() throws -> String {
        guard let next = iterator.next() else {
          throw BenchError(description: "\(argument) needs a value")
        }
        return next
      }
      func number() throws -> Int {
        let text = try value()
        guard let n = Int(text), n > 0 else {
          throw BenchError(description: "\(argument): bad number \(text)")
        }
        return n
      }
      switch argument {
      case "--large-count": largeCount = try number()
      case "--large-mib": largeMiB = try number()
      case "--small-count": smallCount = try number()
      case "--small-bytes": smallBytes = try number()
      case "--concurrency": concurrency = try number()
      case "--aws": aws = try value()
      case "--work": work = try value()
      default: throw BenchError(description: "unknown argument \(argument)")
      }
    }
  }
}

func environmentValue(_ name: String) throws -> String {
  guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
    throw BenchError(description: "\(name) is not set: run through scripts/s3/with-s3-server.sh")
  }
  return value
}

/// Runs `body` over `items` with at most `width` at a time.
func forEachConcurrently<T: Sendable>(
  _ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void
) async throws {
  try await withThrowingTaskGroup(of: Void.self) { group in
    var index = 0
    for _ in 0..<min(width, items.count) {
      let item = items[index]
      index += 1
      group.addTask { try await body(item) }
    }
    while try await group.next() != nil {
      if index < items.count {
        let item = items[index]
        index += 1
        group.addTask { try await body(item) }
      }
    }
  }
}

func time(_ body: () async throws -> Void) async throws -> Double {
  let start = ContinuousClock.now
  try await body()
  let elapsed = ContinuousClock.now - start
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The peer's side of the comparison: the AWS CLI against the same server, with its own credentials.
struct AWSCLI {
  let path: String
  let endpoint: String
  let accessKey: String
  let secretKey: String

  func run(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["--endpoint-url", endpoint, "--only-show-errors"] + arguments
    process.environment = [
      "PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "AWS_ACCESS_KEY_ID": accessKey,
      "AWS_SECRET_ACCESS_KEY": secretKey, "AWS_DEFAULT_REGION": "us-east-1",
      "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    ]
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
      throw BenchError(
        description: "aws \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
  }
}

func sameFiles(_ a: URL, _ b: URL, names: [String]) throws {
  for name in names {
    let left = try Data(contentsOf: a.appendingPathComponent(name), options: .alwaysMapped)
    let right = try Data(contentsOf: b.appendingPathComponent(name), options: .alwaysMapped)
    if left != right {
      throw BenchError(description: "downloaded \(name) differs from the original")
    }
  }
}

/// One result line: a workload, pond's and aws's seconds, and the bytes moved.
typealias Row = (name: String, pond: Double, peer: Double, bytes: Int64)

/// Uploads the files `names` of `source` and downloads them back, through pond (`width` transfers at a time
/// each way) and through `aws s3 <verb>`, checking every download byte for byte; returns the upload and
/// download rows. With `listing`, pond's download first lists the objects, as `aws s3 sync` does.
func compare(
  _ label: String, names: [String], in source: URL, bytes: Int64, store: S3ObjectStore,
  width: (up: Int, down: Int), listing: Bool, aws: AWSCLI, verb: [String], awsURL: String,
  work: URL
) async throws -> [Row] {
  let pondUp = try await time {
    try await forEachConcurrently(names, width: width.up) { name in
      try await store.put(name, contentsOf: source.appendingPathComponent(name))
    }
  }
  let pondBack = work.appendingPathComponent("pond-\(source.lastPathComponent)-back")
  try FileManager.default.createDirectory(at: pondBack, withIntermediateDirectories: true)
  let pondDown = try await time {
    var keys = names
    if listing {
      keys = try await store.list().map(\.key)
      guard keys.count == names.count else {
        throw BenchError(description: "listed \(keys.count) objects, expected \(names.count)")
      }
    }
    try await forEachConcurrently(keys, width: width.down) { name in
      try await store.get(name, to: pondBack.appendingPathComponent(name))
    }
  }
  try sameFiles(source, pondBack, names: names)
  try FileManager.default.removeItem(at: pondBack)
  let awsUp = try await time { try aws.run(["s3"] + verb + [source.path, awsURL]) }
  let awsBack = work.appendingPathComponent("aws-\(source.lastPathComponent)-back")
  let awsDown = try await time { try aws.run(["s3"] + verb + [awsURL, awsBack.path]) }
  try sameFiles(source, awsBack, names: names)
  try FileManager.default.removeItem(at: awsBack)
  try FileManager.default.removeItem(at: source)
  return [
    ("upload " + label, pondUp, awsUp, bytes), ("download " + label, pondDown, awsDown, bytes),
  ]
}

func main() async throws {
  let settings = try Settings(arguments: Array(CommandLine.arguments.dropFirst()))
  let endpoint = try environmentValue("POND_TEST_S3_ENDPOINT")
  let accessKey = try environmentValue("POND_TEST_S3_ACCESS_KEY")
  let secretKey = try environmentValue("POND_TEST_S3_SECRET_KEY")
  let bucket = try environmentValue("POND_TEST_S3_BUCKET")
  let awsPath = settings.aws ?? FileManager.default.currentDirectoryPath + "/.venv/bin/aws"
  guard FileManager.default.isExecutableFile(atPath: awsPath) else {
    throw BenchError(description: "\(awsPath) not found: run make deps, or pass --aws PATH")
  }
  let aws = AWSCLI(path: awsPath, endpoint: endpoint, accessKey: accessKey, secretKey: secretKey)
  let work = URL(fileURLWithPath: settings.work ?? NSTemporaryDirectory())
    .appendingPathComponent("pond-objectstore-bench-\(UUID().uuidString.prefix(8))")
  try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: work) }
  let run = "bench-\(UUID().uuidString.prefix(8))"
  let credentials = AWSCredentials(accessKeyID: accessKey, secretAccessKey: secretKey)
  let options = S3Options(
    endpoint: endpoint, region: "us-east-1", allowHTTP: true, multipartThreshold: 16 << 20,
    partSize: 16 << 20,
    partConcurrency: 4)
  func store(_ name: String) throws -> S3ObjectStore {
    try S3ObjectStore(
      bucket: bucket, prefix: "\(run)/\(name)", credentials: credentials, options: options)
  }

  print(
    "ObjectStoreBench: pond (libcurl, SigV4 with payload SHA-256) vs aws-cli, same local S3 server")
  print("  server \(endpoint) (moto behind the signature-verifying proxy), work dir \(work.path)")

  // Large objects.
  let largeDir = work.appendingPathComponent("large")
  try FileManager.default.createDirectory(at: largeDir, withIntermediateDirectories: true)
  let largeNames = (0..<settings.largeCount).map { String(format: "large-%03d.bin", $0) }
  var chunk = [UInt8](repeating: 0, count: 1 << 20)
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15
  for name in largeNames {
    _ = FileManager.default.createFile(
      atPath: largeDir.appendingPathComponent(name).path, contents: nil)
    let handle = try FileHandle(forWritingTo: largeDir.appendingPathComponent(name))
    for _ in 0..<settings.largeMiB {
      for i in stride(from: 0, to: chunk.count, by: 8) {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        withUnsafeBytes(of: state.littleEndian) { chunk.replaceSubrange(i..<(i + 8), with: $0) }
      }
      try handle.write(contentsOf: chunk)
    }
    try handle.close()
  }
  var rows = try await compare(
    "\(settings.largeCount) x \(settings.largeMiB) MiB", names: largeNames, in: largeDir,
    bytes: Int64(settings.largeMiB << 20) * Int64(settings.largeCount),
    store: try store("pond-large"),
    width: (max(1, settings.concurrency / 8), max(1, settings.concurrency / 4)), listing: false,
    aws: aws, verb: ["cp", "--recursive"], awsURL: "s3://\(bucket)/\(run)/aws-large/", work: work)

  // Small objects.
  let smallDir = work.appendingPathComponent("small")
  try FileManager.default.createDirectory(at: smallDir, withIntermediateDirectories: true)
  let smallNames = (0..<settings.smallCount).map { String(format: "small-%05d.bin", $0) }
  for (index, name) in smallNames.enumerated() {
    var bytes = [UInt8](repeating: 0, count: settings.smallBytes)
    for i in 0..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: index &* 31 &+ i &* 7) }
    _ = FileManager.default.createFile(
      atPath: smallDir.appendingPathComponent(name).path, contents: Data(bytes))
  }
  rows += try await compare(
    "\(settings.smallCount) x \(settings.smallBytes) B", names: smallNames, in: smallDir,
    bytes: Int64(settings.smallBytes) * Int64(settings.smallCount), store: try store("pond-small"),
    width: (settings.concurrency, settings.concurrency), listing: true, aws: aws, verb: ["sync"],
    awsURL: "s3://\(bucket)/\(run)/aws-small/", work: work)

  print("")
  print("  workload                        pond s    MB/s   aws s    MB/s   aws/pond")
  for (name, pond, peer, bytes) in rows {
    let figures = String(
      format: "%7.2f %7.1f %7.2f %7.1f %8.2fx", pond, Double(bytes) / pond / 1e6, peer,
      Double(bytes) / peer / 1e6,
      peer / pond)
    print("  " + name.padding(toLength: 30, withPad: " ", startingAt: 0) + " " + figures)
  }
  print(
    "  (aws/pond > 1 means pond was faster; every download was compared byte for byte with its source)"
  )
}

do {
  try await main()
} catch {
  FileHandle.standardError.write(Data("ObjectStoreBench: \(error)\n".utf8))
  exit(1)
}
