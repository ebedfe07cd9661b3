import PondCrypto
import PondFiles
public import TLogFS
import Tables
import TinyFS

/// An `Inbox` resource: host files matching a glob, each copied into the pond once (a file seen before with
/// the same content is not copied again; the same path with new content is a new file).
public struct InboxConfiguration: Sendable, Equatable {
  /// How a new host file goes into the pond.
  public enum Mode: String, Sendable, CaseIterable {
    /// As a file `<destination>/<its name>`.
    case file
    /// As a table `<destination>/<its name without extension>` (CSV converted, Parquet stored as it is).
    case table
    /// Appended to the series of tables at `destination`.
    case tableSeries = "table-series"
  }

  /// An absolute host glob (`/var/spool/logger/*.csv`).
  public var source: String
  /// An absolute pond path: a directory (`file`, `table`) or a series of tables (`table-series`).
  public var destination: String
  public var mode: Mode
  /// The time column of tables (inferred when nil).
  public var timeColumn: String?

  public init(source: String, destination: String, mode: Mode, timeColumn: String? = nil) {
    self.source = source
    self.destination = destination
    self.mode = mode
    self.timeColumn = timeColumn
  }

  init(_ reader: inout SpecReader) throws(PipelineError) {
    try reader.only(["source", "destination", "as", "time_column"])
    source = try reader.absolutePath("source", hint: "a host glob such as /var/spool/logger/*.csv")
    destination = try reader.absolutePath("destination", hint: "a pond path such as /inbox/logger")
    let modeText = try reader.string("as") ?? Mode.file.rawValue
    guard let mode = Mode(rawValue: modeText) else {
      throw reader.refuse(
        "as", "'\(modeText)' is not a way to copy",
        hint: "one of " + Mode.allCases.map(\.rawValue).joined(separator: ", "))
    }
    self.mode = mode
    timeColumn = try reader.string("time_column")
    if timeColumn != nil && mode == .file {
      throw reader.refuse(
        "time_column", "only tables have a time column (as: table or table-series)")
    }
  }
}

/// Runs an Inbox.
enum Inbox {
  /// The record of copied files, `<state>/inbox`: one line per file, `<sha256> <host path>`.
  static func recordPath(_ resource: Resource) -> String { resource.statePath + "/inbox" }

  /// An Inbox appending to a series of tables failed at a file after committing the ones before it.
  struct PartialFailure: Error, CustomStringConvertible {
    var copied: Int
    var version: Int64
    var failure: any Error
    var description: String {
      "\(failure) (the \(copied) file(s) before it were copied and recorded, up to version \(version))"
    }
  }

  /// Copies the new files matching the glob, with the record of copied files, in one commit (one per file
  /// for a series of tables). The writer lock is held from reading the record to the last commit, so two
  /// runs at once never copy a file twice. Returns the paths copied and the last version committed.
  static func run(
    _ configuration: InboxConfiguration, resource: Resource, pondRoot: String, commandLine: String
  ) throws -> (copied: [String], version: Int64?) {
    let store = try PondStore(root: pondRoot, mode: .write(wait: true))
    let recordPath = recordPath(resource)
    var seen = Set<String>()
    let live = try store.fileSystem()
    if try live.exists(recordPath) {
      let text = String(decoding: try live.readFile(recordPath), as: UTF8.self)
      seen = Set(text.split(separator: "\n").map(String.init))
    }
    let seenPaths = Dictionary(
      seen.compactMap { line in
        line.firstIndex(of: " ").map { (String(line[line.index(after: $0)...]), line) }
      },
      uniquingKeysWith: { first, _ in first })
    var new: [(path: String, line: String)] = []
    for path in try hostFiles(configuration.source) {
      let line = try digest(path) + " " + path
      guard !seen.contains(line) else { continue }
      if configuration.mode == .tableSeries, seenPaths[path] != nil {
        throw PipelineError(
          path, "was appended to \(configuration.destination) before with other content",
          hint:
            "a file must be complete when it appears in the spool (write it elsewhere, then move it "
            + "in); move this one out, or give it a new name if it holds new readings only")
      }
      new.append((path, line))
    }
    guard !new.isEmpty else { return ([], nil) }
    /// Records `lines` as copied, in the same commit as what copied them, once each file still has the
    /// content it had when it was chosen (a file still being written is copied on a later run).
    func record(_ files: [(path: String, line: String)], _ fileSystem: FileSystem) throws {
      for file in files where try digest(file.path) + " " + file.path != file.line {
        throw PipelineError(
          file.path, "changed while it was copied; nothing of this run was committed",
          hint: "it is copied by a later run once it stops changing")
      }
      seen.formUnion(files.map(\.line))
      if !(try fileSystem.exists(resource.statePath)) {
        try fileSystem.createDirectory(resource.statePath, withParents: true)
      }
      try fileSystem.writeFile(
        recordPath, contents: Array((seen.sorted().joined(separator: "\n") + "\n").utf8))
    }
    switch configuration.mode {
    case .file:
      _ = try store.copyIn(
        hostSources: new.map(\.path), to: configuration.destination + "/", series: false,
        commandLine: commandLine, alongside: { try record(new, $0) })
      return (new.map(\.path), store.head)
    case .table:
      var prepared: [TableCopy.Prepared] = []
      for file in new {
        prepared.append(
          try TableCopy.prepare(
            file.path, to: configuration.destination + "/" + stem(of: file.path), series: false,
            schema: nil, timeColumn: configuration.timeColumn, reading: store))
      }
      try store.change(commandLine: commandLine) { fileSystem in
        for table in prepared { _ = try table.stage(into: store, in: fileSystem) }
        try record(new, fileSystem)
      }
      return (new.map(\.path), store.head)
    case .tableSeries:
      // A series of tables takes one version per commit: one commit per file, each with the record of
      // the files copied so far (a run stopped between two leaves the record true).
      let before = store.head
      for (index, file) in new.enumerated() {
        do {
          let table = try TableCopy.prepare(
            file.path, to: configuration.destination, series: true, schema: nil,
            timeColumn: configuration.timeColumn, reading: store)
          try store.change(commandLine: commandLine) { fileSystem in
            _ = try table.stage(into: store, in: fileSystem)
            try record([file], fileSystem)
          }
        } catch {
          guard index > 0 else { throw error }
          throw PartialFailure(copied: index, version: store.head, failure: error)
        }
      }
      return (new.map(\.path), store.head == before ? nil : store.head)
    }
  }

  /// The regular files the host glob matches, sorted.
  static func hostFiles(_ pattern: String) throws -> [String] {
    let matches: [String]
    do {
      matches = try PondStore.hostGlob(pattern)
    } catch {
      throw PipelineError(pattern, "\(error)", hint: "check the directory's permissions")
    }
    return matches.filter { (try? LocalFiles.status($0)).flatMap({ $0 })?.isDirectory == false }
      .sorted()
  }

  /// The SHA-256 of a host file, as hex.
  static func digest(_ path: String) throws -> String {
    do {
      return Hex.encode(try SHA256.hash(fileAt: path))
    } catch {
      throw PipelineError(path, "cannot read: \(error)")
    }
  }

  /// A host file's name without its directory and last extension.
  static func stem(of path: String) -> String {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = name.lastIndex(of: "."), dot > name.startIndex else { return name }
    return String(name[..<dot])
  }
}
