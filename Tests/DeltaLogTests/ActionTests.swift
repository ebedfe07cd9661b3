import Parquet
import PondTime
import Testing

@testable import DeltaLog

/// Recursively sorts object members so that two JSON texts can be compared regardless of key order.
func normalized(_ value: JSONValue) -> JSONValue {
  switch value {
  case .object(let members):
    return .object(members.map { ($0.0, normalized($0.1)) }.sorted { $0.0 < $1.0 })
  case .array(let items): return .array(items.map(normalized))
  default: return value
  }
}

func decode(_ text: String, version: Int64 = 1) throws(DeltaLogError) -> [DeltaAction] {
  try DeltaAction.decodeCommit(Array(text.utf8), version: version, path: "test.json")
}

func expectKind(_ kind: DeltaLogError.Kind, _ body: () throws(DeltaLogError) -> Void) {
  do {
    try body()
    Issue.record("expected a \(kind) error")
  } catch {
    #expect(error.kind == kind, "\(error)")
  }
}

@Suite("Delta actions")
struct ActionTests {
  static let specSchema = try! DeltaSchema([
    .init("seq", .long, nullable: false), .init("op", .string, nullable: false),
    .init("path", .string), .init("mode", .integer), .init("is_dir", .boolean),
    .init("content", .binary), .init("mtime", .timestamp),
  ])

  @Test func protocolLineIsExactlyTheSpecs() {
    #expect(
      DeltaAction.protocol(.pond).jsonLine
        == #"{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}"#)
  }

  @Test func metaDataLineMatchesSpecWithSchemaDoubleEncoded() {
    let metadata = TableMetadata(
      id: "89c7abc4-5d51-4424-8bf0-0ba2fb8bee17", schema: Self.specSchema,
      configuration: [
        "delta.logRetentionDuration": "interval 36500 days",
        "delta.deletedFileRetentionDuration": "interval 36500 days",
        "delta.enableExpiredLogCleanup": "false",
      ], createdTime: 1_767_225_600_000)
    // delta-parquet.md §2.3, with the configuration keys in sorted order (pond sorts map keys).
    let expected =
      #"{"metaData":{"id":"89c7abc4-5d51-4424-8bf0-0ba2fb8bee17","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"seq\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},{\"name\":\"op\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},{\"name\":\"path\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},{\"name\":\"mode\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},{\"name\":\"is_dir\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}},{\"name\":\"content\",\"type\":\"binary\",\"nullable\":true,\"metadata\":{}},{\"name\":\"mtime\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{"delta.deletedFileRetentionDuration":"interval 36500 days","delta.enableExpiredLogCleanup":"false","delta.logRetentionDuration":"interval 36500 days"},"createdTime":1767225600000}}"#
    #expect(DeltaAction.metaData(metadata).jsonLine == expected)
  }

  static let specStats =
    #"{"numRecords":3,"minValues":{"seq":100,"op":"delete","path":"/d1/f0","mode":420,"mtime":"2024-06-01T12:00:01.123Z"},"maxValues":{"seq":102,"op":"put","path":"/d1/f2","mode":422,"mtime":"2024-06-01T12:00:01.123Z"},"nullCount":{"seq":0,"op":0,"path":1,"mode":1,"is_dir":1,"content":1,"mtime":1}}"#

  @Test func addLineMatchesSpec() {
    let add = AddFile(
      path: "part-00000-48860be9-2623-46e0-a120-2768ff2a7412-c000.zstd.parquet",
      partitionValues: [:],
      size: 689, modificationTime: 1_767_225_660_000, dataChange: true, stats: Self.specStats,
      tags: [:])
    let expected =
      #"{"add":{"path":"part-00000-48860be9-2623-46e0-a120-2768ff2a7412-c000.zstd.parquet","partitionValues":{},"size":689,"modificationTime":1767225660000,"dataChange":true,"stats":"{\"numRecords\":3,\"minValues\":{\"seq\":100,\"op\":\"delete\",\"path\":\"/d1/f0\",\"mode\":420,\"mtime\":\"2024-06-01T12:00:01.123Z\"},\"maxValues\":{\"seq\":102,\"op\":\"put\",\"path\":\"/d1/f2\",\"mode\":422,\"mtime\":\"2024-06-01T12:00:01.123Z\"},\"nullCount\":{\"seq\":0,\"op\":0,\"path\":1,\"mode\":1,\"is_dir\":1,\"content\":1,\"mtime\":1}}"}}"#
    #expect(DeltaAction.add(add).jsonLine == expected)
  }

  @Test func addCarriesSha256TagAfterStats() {
    let add = AddFile(
      path: "a.parquet", size: 10, modificationTime: 5, stats: #"{"numRecords":1}"#,
      sha256: String(repeating: "ab", count: 32))
    #expect(
      DeltaAction.add(add).jsonLine
        == #"{"add":{"path":"a.parquet","partitionValues":{},"size":10,"modificationTime":5,"dataChange":true,"stats":"{\"numRecords\":1}","tags":{"sha256":"\#(String(repeating: "ab", count: 32))"}}}"#
    )
  }

  @Test func statisticsEncodeToTheSpecsStatsSemantically() throws {
    let micros: Int64 = 1_717_243_201_123_456  // 2024-06-01T12:00:01.123456Z
    let stats = FileStatistics(
      numRecords: 3,
      minValues: [
        "seq": .integer(100), "op": .string("delete"), "path": .string("/d1/f0"),
        "mode": .integer(420),
        "mtime": .timestamp(microseconds: micros),
      ],
      maxValues: [
        "seq": .integer(102), "op": .string("put"), "path": .string("/d1/f2"),
        "mode": .integer(422),
        "mtime": .timestamp(microseconds: micros),
      ],
      nullCount: ["seq": 0, "op": 0, "path": 1, "mode": 1, "is_dir": 1, "content": 1, "mtime": 1])
    #expect(
      normalized(try JSONValue.parse(stats.jsonString))
        == normalized(try JSONValue.parse(Self.specStats)))
    #expect(!stats.jsonString.contains(#"\/"#))
  }

  /// What the Parquet writer reports (RoundTripTests checks these values) becomes Delta's stats.
  @Test func parquetStatisticsBecomeDeltaStats() throws {
    let summary = ParquetFileSummary(
      path: "f.parquet", size: 100, numRows: 3,
      columns: [
        ParquetColumnStatistics(name: "n", nullCount: 3, min: nil, max: nil),
        ParquetColumnStatistics(name: "s", nullCount: 0, min: .string("Z"), max: nil),
        ParquetColumnStatistics(name: "b", nullCount: 1, min: nil, max: nil),
        ParquetColumnStatistics(
          name: "t", nullCount: 1, min: .timestamp(microseconds: -1),
          max: .timestamp(microseconds: 1_717_243_200_123_999)),
      ])
    #expect(
      normalized(try JSONValue.parse(FileStatistics(summary).jsonString))
        == normalized(
          try JSONValue.parse(
            #"{"numRecords":3,"minValues":{"s":"Z","t":"1969-12-31T23:59:59.999Z"},"#
              + #""maxValues":{"t":"2024-06-01T12:00:00.123Z"},"nullCount":{"n":3,"s":0,"b":1,"t":1}}"#
          )))
    let escaped = FileStatistics(
      numRecords: 1, minValues: ["s": .string("a\"b\\c\n\u{01}"), "i": .integer(Int64.min)])
    #expect(escaped.jsonString.contains(#""s":"a\"b\\c\n\u0001""#))
    #expect(escaped.jsonString.contains(#""i":-9223372036854775808"#))
  }

  @Test func longStringsAreLeftOutOfMinMax() throws {
    let stats = FileStatistics(
      numRecords: 1,
      minValues: ["a": .string(String(repeating: "x", count: 33)), "b": .string("ok")])
    #expect(stats.jsonString == #"{"numRecords":1,"minValues":{"b":"ok"}}"#)
  }

  @Test(arguments: [
    (Int64(1_717_243_200_123_456), "2024-06-01T12:00:00.123Z"),
    (Int64(0), "1970-01-01T00:00:00.000Z"),
    (Int64(-1), "1969-12-31T23:59:59.999Z"),
    (Int64(951_782_400_000_000), "2000-02-29T00:00:00.000Z"),
    (Int64(253_402_300_799_999_999), "9999-12-31T23:59:59.999Z"),
  ])
  func timestampsTruncateDownToMilliseconds(_ micros: Int64, _ text: String) {
    #expect(UTCMilliseconds(UTCMicroseconds(rawValue: micros)).iso8601 == text)
  }

  @Test func timestampsOutsideFourDigitYearsAreOmitted() {
    #expect(UTCMilliseconds(UTCMicroseconds(rawValue: 253_402_300_800_000_000)).iso8601 == nil)
    #expect(UTCMilliseconds(UTCMicroseconds(rawValue: Int64.min)).iso8601 == nil)
  }

  @Test func removeLineMatchesSpec() {
    let remove = RemoveFile(
      path: "part-00000-44a94d1e-5fd4-48ac-a2e3-873c77473acb-c000.zstd.parquet",
      deletionTimestamp: 1_767_225_780_000, size: 689)
    #expect(
      DeltaAction.remove(remove).jsonLine
        == #"{"remove":{"path":"part-00000-44a94d1e-5fd4-48ac-a2e3-873c77473acb-c000.zstd.parquet","deletionTimestamp":1767225780000,"dataChange":true,"extendedFileMetadata":true,"partitionValues":{},"size":689}}"#
    )
  }

  @Test func commitInfoHasIntegerTimestampAndChainLink() throws {
    let info = CommitInfo(
      timestamp: 1_767_225_780_000, operation: "WRITE", operationParameters: ["mode": "Append"],
      engineInfo: "pond/0.1", readVersion: 4,
      previousCommitSHA256: String(repeating: "0f", count: 32))
    let line = DeltaAction.commitInfo(info).jsonLine
    #expect(
      line
        == #"{"commitInfo":{"timestamp":1767225780000,"operation":"WRITE","operationParameters":{"mode":"Append"},"readVersion":4,"engineInfo":"pond/0.1","pond.prevCommitSha256":"\#(String(repeating: "0f", count: 32))"}}"#
    )
    #expect(try decode(line) == [.commitInfo(info)])
  }

  @Test func everyActionRoundTrips() throws {
    let actions: [DeltaAction] = [
      .commitInfo(CommitInfo(timestamp: 7, operation: "CREATE TABLE")),
      .protocol(.pond),
      .metaData(
        TableMetadata(
          id: "x", schema: Self.specSchema, configuration: ["pond.a": "1"], createdTime: 3)),
      .remove(RemoveFile(path: "old.parquet", deletionTimestamp: 9, size: 4)),
      .add(
        AddFile(
          path: "d/new.parquet", size: 1 << 40, modificationTime: 8,
          statistics: FileStatistics(numRecords: 2),
          sha256: String(repeating: "1", count: 64))),
    ]
    let bytes = DeltaAction.encodeCommit(actions)
    #expect(bytes.last == 0x0A)
    #expect(bytes.filter { $0 == 0x0A }.count == actions.count)
    #expect(try DeltaAction.decodeCommit(bytes, version: 0, path: "p") == actions)
  }

  @Test func unknownActionsFieldsAndBlankLinesAreIgnored() throws {
    let text = """
      {"txn":{"appId":"a","version":1}}

      {"domainMetadata":{"domain":"d","configuration":"{}","removed":false}}
      {"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":2,"dataChange":true,"future":{"x":[1]},"tags":null,"baseRowId":null}}
      {"somethingNew":{}}
      """
    let actions = try decode(text)
    #expect(actions.count == 1)
    guard case .add(let add) = actions.first else { return }
    #expect(add.path == "a" && add.size == 1 && add.tags.isEmpty && add.stats == nil)
  }

  @Test func deltaRsReferenceLogDecodes() throws {
    var adds = 0
    var removes = 0
    for (version, text) in DeltaRsReferenceLog.commits.enumerated() {
      for action in try decode(text, version: Int64(version)) {
        if case .add(let add) = action {
          adds += 1
          #expect(add.numRecords == 3 || add.numRecords == 2)
        }
        if case .remove = action { removes += 1 }
      }
    }
    #expect(adds == 4 && removes == 1)
  }

  // MARK: - Rejections

  @Test func emptyCommitIsAnError() {
    expectKind(.emptyCommit) { () throws(DeltaLogError) in _ = try decode("", version: 3) }
  }

  @Test func truncatedLineIsUnparsableWithVersionAndPath() {
    do {
      _ = try decode(#"{"add":{"path":"a","partitionValues":{},"si"#, version: 5)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .unparsableCommit)
      #expect(error.version == 5 && error.path == "test.json")
      #expect(error.description.contains("line 1"))
    }
  }

  @Test(arguments: [
    #"{"add":{"partitionValues":{},"size":1,"modificationTime":2,"dataChange":true}}"#,
    #"{"add":{"path":"a","size":1,"modificationTime":2,"dataChange":true}}"#,
    #"{"add":{"path":"a","partitionValues":{},"size":"1","modificationTime":2,"dataChange":true}}"#,
    #"{"add":{"path":"a","partitionValues":{},"size":1,"dataChange":true}}"#,
    #"{"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":2}}"#,
    #"{"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":2,"dataChange":true,"stats":{"numRecords":1}}}"#,
    #"{"remove":{"path":"a","deletionTimestamp":1}}"#,
    #"{"commitInfo":{"timestamp":"2024-01-01"}}"#,
    #"{"protocol":{"minReaderVersion":1}}"#,
    #"{"metaData":{"id":"x","schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{}}}"#,
    #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{"delta.appendOnly":true}}}"#,
    #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true}]}","partitionColumns":[],"configuration":{}}}"#,
    "[1,2]",
  ])
  func missingOrMistypedRequiredFieldsAreInvalid(_ line: String) {
    do {
      _ = try decode(line)
      Issue.record("expected an error for \(line)")
    } catch {
      #expect(error.kind == .invalidAction || error.kind == .unparsableCommit, "\(error)")
    }
  }

  @Test(arguments: [
    #"{"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":2,"dataChange":true,"deletionVector":{"storageType":"u","pathOrInlineDv":"x","sizeInBytes":1,"cardinality":1}}}"#,
    #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["p"],"configuration":{}}}"#,
    #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{"delta.columnMapping.mode":"name"}}}"#,
    #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"p\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}}"#,
    #"{"metaData":{"id":"x","format":{"provider":"orc","options":{}},"schemaString":"{}","partitionColumns":[],"configuration":{}}}"#,
  ])
  func unsupportedFeaturesAreRejected(_ line: String) {
    expectKind(.unsupportedFeature) { () throws(DeltaLogError) in _ = try decode(line) }
  }

  @Test func protocolSupportChecks() throws {
    #expect(DeltaProtocol.pond.readProblem == nil)
    #expect(
      DeltaProtocol(minReaderVersion: 3, minWriterVersion: 7, readerFeatures: []).readProblem == nil
    )
    #expect(DeltaProtocol(minReaderVersion: 2, minWriterVersion: 5).readProblem != nil)
    #expect(
      DeltaProtocol(minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors"])
        .readProblem?
        .contains("deletionVectors") == true)
  }

  @Test func schemaRejectsBadColumnNames() {
    for name in ["Mode", "a b", "", "1x", "é"] {
      expectKind(.invalidArgument) { () throws(DeltaLogError) in
        _ = try DeltaSchema([.init(name, .long)])
      }
    }
    expectKind(.invalidArgument) { () throws(DeltaLogError) in
      _ = try DeltaSchema([.init("a", .long), .init("a", .string)])
    }
  }

  @Test func schemaStringRoundTrips() throws {
    #expect(try DeltaSchema(parsing: Self.specSchema.jsonString) == Self.specSchema)
  }
}
