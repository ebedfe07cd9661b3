public import TLogFS
import TinyFS

/// `pond reduce`: per input table (or series of tables) and resolution, the closed buckets of the rows
/// added since the last run, appended to the series of tables `<output>/res=<resolution>`, with the state
/// in `<output>/reduce-state`, all in one commit (docs/tables.md).
///
/// A bucket `[t, t+res)` is written once the input holds a time at or after `t+res`; the open one's partial
/// sums wait in the state file. A run reads only the input versions after the state's watermark; a row in
/// a bucket already written (late data), a replaced input or a changed configuration is refused, and
/// `rebuild` starts over. A plain table (not a series) is recomputed whenever it changes. Runs on the
/// calling thread, which may block.
public enum TableReduce {
  /// What one input gave.
  public struct InputReport: Sendable, Hashable, Encodable {
    public var input: String
    public var output: String
    /// Input versions read.
    public var versions: Int
    public var rows: Int64
    /// Buckets written per resolution (`1h`...), in the configuration's order.
    public var buckets: [String: Int]
    /// Why the output was recomputed from the start, when it was.
    public var rebuilt: String?
  }

  /// What a run did.
  public struct Report: Sendable, Hashable, Encodable {
    public var inputs: [InputReport]
    /// The pond version committed; nil when there was nothing new to read.
    public var version: Int64?
  }

  /// The state file's name in an output directory.
  public static let stateName = "reduce-state"

  /// Runs `configuration` on `store` (open for writing).
  public static func run(
    _ configuration: ReduceConfiguration, on store: PondStore, rebuild: Bool, commandLine: String
  ) throws -> Report {
    let fileSystem = try store.fileSystem()
    let matches = try fileSystem.glob(configuration.input).filter { $0.entryType.isTable }
    guard !matches.isEmpty else {
      throw TableError(
        .configuration,
        reason:
          "reduce.input: no table or series of tables matches \(configuration.input); list them with 'pond list'"
      )
    }
    var plans: [Plan] = []
    var outputs: [String: String] = [:]
    for match in matches {
      let output = try configuration.outputDirectory(captures: match.captures)
      if let other = outputs.updateValue(match.path, forKey: output) {
        throw TableError(
          .configuration,
          reason:
            "reduce.output: \(other) and \(match.path) both go to \(output); use the captures ($1...) to tell them apart"
        )
      }
      if let plan = try plan(
        match.path, output: output, configuration: configuration, store: store,
        fileSystem: fileSystem, rebuild: rebuild)
      {
        plans.append(plan)
      }
    }
    var reports = plans.map(\.report)
    guard !plans.isEmpty else { return Report(inputs: [], version: nil) }
    let local = store.root + "/" + PondLayout.localDirectory
    var results: [(plan: Plan, sinks: [ReduceSink], state: ReduceState)] = []
    for (index, plan) in plans.enumerated() {
      let (sinks, state, rows) = try compute(
        plan, configuration: configuration, store: store, local: local)
      reports[index].rows = rows
      for (resolution, sink) in zip(configuration.resolutions, sinks) {
        reports[index].buckets[resolution.description] = sink.buckets
      }
      results.append((plan, sinks, state))
    }
    var described: [(String, String, TableInfo)] = []
    for (plan, sinks, _) in results {
      for (resolution, sink) in zip(configuration.resolutions, sinks) where try sink.finish() {
        let info = try TableImport.checkParquet(at: sink.path, timeColumn: "time")
        described.append((sink.path, plan.output + "/res=\(resolution)", info))
      }
    }
    try store.change(commandLine: commandLine) { fileSystem in
      for (plan, _, state) in results {
        if plan.report.rebuilt != nil, try fileSystem.exists(plan.output) {
          for entry in try fileSystem.list(plan.output)
          where entry.name.hasPrefix("res=") || entry.name == stateName {
            try fileSystem.remove(plan.output + "/" + entry.name, recursive: true)
          }
        }
        if try !fileSystem.exists(plan.output) {
          try fileSystem.createDirectory(plan.output, withParents: true)
        }
        try fileSystem.writeFile(plan.output + "/" + stateName, contents: state.encoded())
      }
      for (host, target, info) in described {
        _ = try store.stageTable(
          parquetAt: host, describedBy: info, to: target, series: true, in: fileSystem)
      }
    }
    return Report(inputs: reports, version: store.head)
  }

  /// What one input needs: the versions to read, from which state.
  private struct Plan {
    var input: String
    var output: String
    var versions: [TableVersion]
    /// The schema the input is read with (its latest version's; older versions may lack columns).
    var schema: TableSchema
    var state: ReduceState?
    var report: InputReport
  }

  /// The versions of `input` after its state's watermark, or nil when there is none.
  private static func plan(
    _ input: String, output: String, configuration: ReduceConfiguration, store: PondStore,
    fileSystem: FileSystem, rebuild: Bool
  ) throws -> Plan? {
    let all = try store.tableVersions(input, in: fileSystem)
    let statePath = output + "/" + stateName
    let signature = try Self.signature(configuration, timeColumn: all.last?.table.timeColumn)
    var state: ReduceState?
    var rebuilt: String? = rebuild ? "--rebuild" : nil
    if !rebuild, try fileSystem.exists(statePath) {
      state = try ReduceState.decode(try fileSystem.readFile(statePath), path: statePath)
    }
    if let previous = state {
      func refuse(_ why: String) -> TableError {
        TableError(
          .reduceState, path: input,
          reason: "\(why); nothing was written: run 'pond reduce --rebuild' to recompute \(output)")
      }
      guard previous.input == input else {
        throw refuse("\(output) was reduced from \(previous.input), not from \(input)")
      }
      guard previous.configuration == signature else {
        throw refuse(
          "the configuration differs from the one \(output) was made with (\(previous.configuration))"
        )
      }
      guard let first = all.first, "\(first.node)" == previous.node else {
        throw refuse("\(input) was replaced since the last run (another node)")
      }
      if try fileSystem.stat(input).entryType == .table {
        // A table's new version replaces its rows: nothing to continue from.
        if all.last?.version != previous.version {
          state = nil
          rebuilt = "\(input) is a table, and a new version replaces its rows"
        }
      }
    }
    if state == nil, rebuilt == nil, try fileSystem.exists(output),
      try fileSystem.list(output).contains(where: { $0.name.hasPrefix("res=") })
    {
      rebuilt = "\(output) holds output but no \(stateName)"
    }
    let versions = all.filter { $0.version > (state?.version ?? 0) }
    guard !versions.isEmpty, let schema = try TableSeries.schema(of: all, path: input) else {
      return nil
    }
    if let state, let maxTime = state.maxTime {
      let closedBefore = configuration.resolutions[0].bucketStart(of: maxTime)
      if let late = versions.first(where: {
        ($0.table.timeRange?.lowerBound ?? .max) < closedBefore
      }) {
        throw TableError(
          .reduceState, path: input,
          reason:
            "version \(late.version) has rows from \(PondStore.formatTime(late.table.timeRange!.lowerBound / 1000)), before \(PondStore.formatTime(closedBefore / 1000)), in buckets already written (late data); nothing was written: run 'pond reduce --rebuild' to recompute \(output)"
        )
      }
    }
    let report = InputReport(
      input: input, output: output, versions: versions.count, rows: 0, buckets: [:],
      rebuilt: rebuilt)
    return Plan(
      input: input, output: output, versions: versions, schema: schema, state: state, report: report
    )
  }

  /// Reads the plan's versions into buckets; the closed ones go to the sinks (one per resolution).
  private static func compute(
    _ plan: Plan, configuration: ReduceConfiguration, store: PondStore, local: String
  ) throws -> ([ReduceSink], ReduceState, Int64) {
    let resolutions = configuration.resolutions
    let columns = configuration.columns
    var sinks: [ReduceSink] = []
    for _ in resolutions { sinks.append(try ReduceSink(columns: columns, directory: local)) }
    var levels = ReduceLevels(resolutions: resolutions, columnCount: columns.count, sinks: sinks)
    var maxTime = plan.state?.maxTime
    if let state = plan.state {
      for bucket in state.open {
        guard let level = resolutions.firstIndex(where: { $0.description == bucket.resolution }),
          bucket.counts.count == columns.count, bucket.sums.count == columns.count,
          bucket.minimums.count == columns.count, bucket.maximums.count == columns.count
        else {
          throw TableError(
            .reduceState, path: plan.output + "/" + stateName,
            reason: "an open bucket does not fit the configuration; run 'pond reduce --rebuild'")
        }
        var partial = ReducePartial(start: bucket.start, columns: columns.count)
        partial.rows = bucket.rows
        partial.counts = bucket.counts
        let path = plan.output + "/" + stateName
        for column in columns.indices {
          partial.sums[column] = try ReduceState.double(bucket.sums[column], path: path)
          partial.minimums[column] = try ReduceState.double(bucket.minimums[column], path: path)
          partial.maximums[column] = try ReduceState.double(bucket.maximums[column], path: path)
        }
        if level == 0 {
          levels.finest[partial.start] = partial
        } else {
          levels.coarse[level] = partial
        }
      }
    }
    let closedBefore = maxTime.map { resolutions[0].bucketStart(of: $0) }
    // In order of their first time: a bucket closes once no later version can reach it.
    let versions = plan.versions.sorted {
      ($0.table.timeRange?.lowerBound ?? .max, $0.version)
        < ($1.table.timeRange?.lowerBound ?? .max, $1.version)
    }
    var rows: Int64 = 0
    for (index, version) in versions.enumerated() {
      let read = try ReduceInput.read(
        version, path: plan.input, schema: plan.schema, store: store, columns: columns,
        closedBefore: closedBefore, into: &levels)
      rows += read.rows
      if let time = read.maxTime { maxTime = Swift.max(maxTime ?? time, time) }
      guard let maxTime else { continue }
      let next = versions.dropFirst(index + 1).first?.table.timeRange?.lowerBound ?? .max
      try levels.close(endingBy: Swift.min(maxTime, next))
    }
    let last = plan.versions.max { $0.version < $1.version }!
    let state = ReduceState(
      input: plan.input, node: "\(last.node)", version: last.version,
      transaction: last.transaction, maxTime: maxTime,
      configuration: try signature(configuration, timeColumn: last.table.timeColumn),
      open: levels.openBuckets.map { level, bucket in
        ReduceState.Bucket(
          resolution: resolutions[level].description, start: bucket.start, rows: bucket.rows,
          counts: bucket.counts, sums: bucket.sums.map(ReduceState.hex),
          minimums: bucket.minimums.map(ReduceState.hex),
          maximums: bucket.maximums.map(ReduceState.hex))
      })
    return (levels.sinks, state, rows)
  }

  /// The parts of a configuration that the output and its state depend on, as one line.
  static func signature(_ configuration: ReduceConfiguration, timeColumn: String?) throws -> String
  {
    "time=\(timeColumn ?? "")|resolutions="
      + configuration.resolutions.map(\.description).joined(separator: ",") + "|columns="
      + configuration.columns.map {
        "\($0.name):" + $0.aggregations.map(\.rawValue).joined(separator: ",")
      }.joined(separator: ";")
  }
}
