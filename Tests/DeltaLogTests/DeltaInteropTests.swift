import Foundation
import PondCrypto
import PondTestSupport
import Testing

@testable import DeltaLog

/// Tables written by the Swift log layer, read back by deltalake (delta-rs 1.6.6).
///
/// The data files are written by pyarrow (zstd), since the Swift Parquet writer lives in another layer; the
/// Swift code commits each one with the size and SHA-256 it computes itself. deltalake must then load every
/// version, list our commitInfo timestamps in `history()`, resolve `load_as_version(datetime)` to the same
/// version as pond's rule (the latest version whose `commitInfo.timestamp` is at most the time), and read exactly
/// the rows of the files live at each version.
@Suite("deltalake interop")
struct DeltaInteropTests {
  static let writeParquet = #"""
    import os, sys
    import pyarrow as pa, pyarrow.parquet as pq
    root = sys.argv[1]
    for spec in sys.argv[2:]:
        name, first, count = spec.split(":")
        first, count = int(first), int(count)
        table = pa.table({
            "seq": pa.array(range(first, first + count), pa.int64()),
            "op": pa.array(["put" if i % 2 else "delete" for i in range(count)], pa.string()),
        }, schema=pa.schema([pa.field("seq", pa.int64(), nullable=False), pa.field("op", pa.string())]))
        pq.write_table(table, os.path.join(root, name), compression="zstd")
    sys.stdout.flush()
    os._exit(0)
    """#

  static let inspect = #"""
    import json, os, sys, traceback
    from datetime import datetime, timezone
    try:
        from deltalake import DeltaTable
        root, latest = sys.argv[1], int(sys.argv[2])
        queries = [int(q) for q in sys.argv[3].split(",")]
        out = {"versions": [], "asOf": []}
        for n in range(latest + 1):
            dt = DeltaTable(root, version=n)
            table = dt.to_pyarrow_table()
            out["versions"].append({"version": dt.version(), "rows": table.num_rows,
                                    "seqSum": int(sum(table.column("seq").to_pylist())),
                                    "files": len(dt.file_uris())})
        dt = DeltaTable(root)
        out["latest"] = dt.version()
        out["protocol"] = [dt.protocol().min_reader_version, dt.protocol().min_writer_version]
        out["id"] = dt.metadata().id
        out["history"] = [{"version": h.get("version"), "timestamp": h["timestamp"],
                           "operation": h.get("operation")} for h in dt.history()]
        for q in queries:
            try:
                dt = DeltaTable(root)
                dt.load_as_version(datetime.fromtimestamp(q / 1000, tz=timezone.utc))
                out["asOf"].append(dt.version())
            except Exception:
                out["asOf"].append(-1)
        print(json.dumps(out), flush=True)
        rc = 0
    except Exception:
        traceback.print_exc()
        sys.stderr.flush()
        rc = 1
    os._exit(rc)
    """#

  @Test(.enabled(if: TestSupport.interopEnabled, "needs .venv with deltalake: run `make deps`"))
  func deltalakeReadsEveryVersionWeWrite() throws {
    let f = try TableFixture()
    defer { f.remove() }
    let base = TableFixture.baseTime
    // name, first seq, row count, commit time
    let files: [(String, Int64, Int64)] = [
      ("part-00001-a.zstd.parquet", 100, 3), ("part-00002-b.zstd.parquet", 200, 2),
      ("part-00003-c.zstd.parquet", 300, 4), ("part-00004-d.zstd.parquet", 400, 1),
    ]
    let written = try TestSupport.runPython(
      Self.writeParquet, [f.directory.path] + files.map { "\($0.0):\($0.1):\($0.2)" })
    try #require(written.status == 0, "pyarrow failed: \(written.stderrText)")

    #expect(try f.create(configuration: ["pond.formatVersion": "1"]).isCommitted(version: 0))
    var times: [Int64] = [base]
    var adds: [AddFile] = []
    for (index, (name, first, count)) in files.enumerated() {
      let bytes = try f.storage.read(name)
      let add = AddFile(
        path: name, size: Int64(bytes.count), modificationTime: base,
        statistics: FileStatistics(
          numRecords: count, minValues: ["seq": .integer(first)],
          maxValues: ["seq": .integer(first + count - 1)],
          nullCount: ["seq": 0]),
        sha256: Hex.encode(SHA256.hash(bytes)))
      let time = base + Int64(index + 1) * 60_000
      // The last version rewrites history: it removes the first file.
      let head = try f.table.head()
      let commit =
        index == files.count - 1
        ? try rewrite(
          after: head, removing: [adds[0]], adding: [add], operation: "DELETE", timestamp: time)
        : try CommitFile.next(after: head, adds: [add], timestamp: time)
      #expect(try f.table.write(commit).isCommitted(version: Int64(index + 1)))
      adds.append(add)
      times.append(time)
    }
    let commits = try f.table.chainedCommits()
    #expect(commits.flatMap(\.adds).count == 4 && f.badDataFiles(commits).isEmpty)

    var queries: [Int64] = [base - 1]
    for time in times { queries += [time - 1, time, time + 30_000] }
    let result = try TestSupport.runPython(
      Self.inspect, [f.directory.path, "4", queries.map(String.init).joined(separator: ",")])
    try #require(result.status == 0, "deltalake failed: \(result.stderrText)")
    let report = try JSONValue.parse(result.stdoutText)

    for version in Int64(0)...4 {
      // The files live at `version`: the first `version` files, less the first once version 4 removed it.
      let live = files.prefix(Int(version)).filter { version < 4 || $0.0 != files[0].0 }
      let expectedRows = live.reduce(Int64(0)) { $0 + $1.2 }
      let expectedSum = live.reduce(Int64(0)) { sum, file in
        sum + (file.1..<(file.1 + file.2)).reduce(0, +)
      }
      let seen = try #require(report["versions"]?.arrayValue?[Int(version)])
      #expect(seen["version"] == .int(version))
      #expect(seen["rows"] == .int(expectedRows), "rows at version \(version)")
      #expect(seen["seqSum"] == .int(expectedSum), "seq sum at version \(version)")
      #expect(seen["files"] == .int(Int64(live.count)))
    }
    #expect(report["latest"] == .int(4))
    #expect(report["protocol"] == .array([.int(1), .int(2)]))
    #expect(report["id"]?.stringValue == commits[0].metadata?.id)

    // history(): newest first, with our commitInfo timestamps and operations.
    let history = try #require(report["history"]?.arrayValue)
    #expect(history.count == 5)
    for entry in history {
      let version = try #require(entry["version"]?.int64Value)
      #expect(entry["timestamp"] == .int(times[Int(version)]), "history timestamp of \(version)")
      #expect(entry["operation"]?.stringValue == commits[Int(version)].info?.operation)
    }

    // load_as_version(datetime) (by commit-file mtime) agrees with pond's rule on the commitInfo timestamps:
    // the latest version whose timestamp is at most the query.
    let theirs = try #require(report["asOf"]?.arrayValue)
    #expect(theirs.count == queries.count)
    let stamps = commits.map { $0.info?.timestamp ?? .max }
    for (query, answer) in zip(queries, theirs) {
      guard let ours = stamps.lastIndex(where: { $0 <= query }) else {
        // Before the first commit pond refuses (the table did not exist), while delta-rs clamps to the
        // earliest version: the one known, deliberate difference.
        #expect(query < base && answer == .int(0))
        continue
      }
      #expect(
        answer == .int(Int64(ours)), "as of \(query): deltalake \(answer.serialized), pond \(ours)")
    }
  }

  static let appendWithDeltalake = #"""
    import os, sys, traceback
    try:
        import pyarrow as pa
        from deltalake import write_deltalake
        table = pa.table({"seq": pa.array([7, 8], pa.int64()), "op": pa.array(["put", None], pa.string())},
                         schema=pa.schema([pa.field("seq", pa.int64(), nullable=False), pa.field("op", pa.string())]))
        write_deltalake(sys.argv[1], table, mode="append")
        rc = 0
    except Exception:
        traceback.print_exc()
        sys.stderr.flush()
        rc = 1
    os._exit(rc)
    """#

  /// delta-rs accepts our table as a writer too; its commit carries no chain link, which pond detects.
  @Test(.enabled(if: TestSupport.interopEnabled, "needs .venv with deltalake: run `make deps`"))
  func aForeignAppendIsAcceptedByDeltaRsAndDetectedByTheChain() throws {
    let f = try TableFixture()
    defer { f.remove() }
    try f.build(versions: 2)
    let result = try TestSupport.runPython(Self.appendWithDeltalake, [f.directory.path])
    try #require(result.status == 0, "deltalake append failed: \(result.stderrText)")
    #expect(try f.table.latestVersion() == 2)
    do {
      _ = try f.table.chainedCommits()
      Issue.record("expected a broken chain")
    } catch {
      #expect(error.kind == .brokenHashChain && error.version == 2, "\(error)")
    }
    let commits = try (Int64(0)...2).map { try f.table.commit($0) }
    #expect(commits.flatMap(\.adds).count == 2)
    #expect(commits[2].info?.engineInfo?.hasPrefix("delta-rs") == true)
    // delta-rs kept our history-preserving configuration and wrote no checkpoint.
    let metadata = commits.compactMap(\.metadata).last
    #expect(metadata?.configuration["delta.enableExpiredLogCleanup"] == "false")
    #expect(
      try f.storage.list(prefix: "_delta_log/", recursive: false).entries.allSatisfy {
        !$0.key.contains("checkpoint")
      })
  }
}
