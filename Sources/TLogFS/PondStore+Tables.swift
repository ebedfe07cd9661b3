import PondFiles
public import TinyFS

extension PondStore {
  /// Stores the Parquet file at `hostPath`, which `info` describes (the Tables layer checked it), at the pond
  /// path `target`, as one transaction: a new version of the table there (`series` false), or a version
  /// appended to the series of tables there (`series` true); either is created when missing.
  ///
  /// `check` runs under the writer lock, in the transaction, with the description of the latest version
  /// already at `target` (nil when there is none): it throws to refuse the new one (a schema that does not
  /// match the series'), and then nothing is written.
  public func storeTable(
    parquetAt hostPath: String, describedBy info: TableInfo, to target: String, series: Bool,
    commandLine: String, check: (TableInfo?) throws -> Void
  ) throws -> CopyReport {
    var report = CopyReport()
    try change(commandLine: commandLine) { fileSystem in
      report.bytes = try stageTable(
        parquetAt: hostPath, describedBy: info, to: target, series: series, in: fileSystem,
        check: check)
      report.written.append(target)
    }
    return report
  }

  /// `storeTable` inside a transaction of `change(commandLine:_:)`, whose file system is `fileSystem`:
  /// several tables (and other changes) then make one commit. Returns the bytes stored.
  public func stageTable(
    parquetAt hostPath: String, describedBy info: TableInfo, to target: String, series: Bool,
    in fileSystem: FileSystem, check: (TableInfo?) throws -> Void = { _ in }
  ) throws -> Int64 {
    var previous: TableInfo?
    if try fileSystem.exists(target) {
      let existing = try fileSystem.stat(target)
      let wanted: EntryType = series ? .tableSeries : .table
      guard existing.entryType == wanted, let id = existing.id else {
        throw PondError(
          .invalidArgument, path: target,
          "is a \(existing.entryType), not a \(wanted == .table ? "table" : "series of tables")",
          hint: existing.entryType.isTable
            ? (series
              ? "copy without --series to replace the table" : "add --series to append to it")
            : "remove it first or choose another name")
      }
      // Written earlier in this transaction: nothing committed describes it yet.
      previous =
        try persistence.node(id, at: nil) == nil
        ? nil : try persistence.tableVersions(id, at: nil).last?.table
    }
    try check(previous)
    let size = try HostIO.status(hostPath)?.size ?? 0
    let content =
      size >= Int64(LargeFiles.threshold)
      ? try persistence.stageLargeFile(hostPath: hostPath).content
      : try HostIO.converting { try OpenFile(readingAt: hostPath).readToEnd() }
    if series {
      try fileSystem.appendTable(target, contents: content)
    } else {
      try fileSystem.writeTable(target, contents: content)
    }
    guard let id = try fileSystem.stat(target).id else {
      preconditionFailure("the table just written at \(target) has no node id")
    }
    persistence.describeTable(id, as: info)
    return size
  }

  /// The versions of the table or series of tables at `path` in `fileSystem` (a final symbolic link is
  /// followed) that a query reads, oldest first.
  public func tableVersions(_ path: String, in fileSystem: FileSystem) throws -> [TableVersion] {
    let info = try fileSystem.stat(path)
    guard info.entryType.isTable, let id = info.id else {
      throw PondError(
        .invalidArgument, path: path, "is a \(info.entryType), not a table or a series of tables",
        hint: "store tables with 'pond copy --table'")
    }
    return try persistence.tableVersions(id, at: fileSystem.snapshotTransaction)
  }

  /// Where the Parquet bytes of `version` can be read.
  public func tableContent(_ version: TableVersion) throws -> TableContent {
    try persistence.tableContent(version)
  }

  /// Streams the Parquet bytes of `version` to `sink` in bounded chunks.
  public func streamTableContent(
    _ version: TableVersion, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    try persistence.streamTableContent(version, to: sink)
  }
}
