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

  /// Copies the new files matching the glob, all in one commit with the record. Returns the paths copied.
  static func run(
    _ configuration: InboxConfiguration, resource: Resource, pondRoot: String, commandLine: String
  ) throws -> (copied: [String], version: Int64?) {
    let reading = try PondStore(root: pondRoot, mode: .read)
    let recordPath = recordPath(resource)
    var seen = Set<String>()
    let fileSystem = try reading.fileSystem()
    if try fileSystem.exists(recordPath) {
      let text = String(decoding: try fileSystem.readFile(recordPath), as: UTF8.self)
      seen = Set(text.split(separator: "\n").map(String.init))
    }
    var new: [(path: String, line: String)] = []
    for path in PondStore.hostGlob(configuration.source).sorted() {
      guard (try? LocalFiles.status(path)).flatMap({ $0 })?.isDirectory == false else { continue }
      let digest: String
      do {
        digest = Hex.encode(try SHA256.hash(fileAt: path))
      } catch {
        throw PipelineError(path, "cannot read: \(error)")
      }
      let line = digest + " " + path
      if !seen.contains(line) { new.append((path, line)) }
    }
    guard !new.isEmpty else { return ([], nil) }
    /// Records `lines` as copied, in the same commit as what copied them.
    func writeRecord(_ lines: [String], _ fileSystem: FileSystem) throws {
      seen.formUnion(lines)
      if !(try fileSystem.exists(resource.statePath)) {
        try fileSystem.createDirectory(resource.statePath, withParents: true)
      }
      try fileSystem.writeFile(
        recordPath, contents: Array((seen.sorted().joined(separator: "\n") + "\n").utf8))
    }
    switch configuration.mode {
    case .file:
      let store = try PondStore(root: pondRoot, mode: .write(wait: true))
      _ = try store.copyIn(
        hostSources: new.map(\.path), to: configuration.destination + "/", series: false,
        commandLine: commandLine, alongside: { try writeRecord(new.map(\.line), $0) })
      return (new.map(\.path), store.head)
    case .table:
      var prepared: [TableCopy.Prepared] = []
      for file in new {
        prepared.append(
          try TableCopy.prepare(
            file.path, to: configuration.destination + "/" + stem(of: file.path), series: false,
            schema: nil, timeColumn: configuration.timeColumn, reading: reading))
      }
      let store = try PondStore(root: pondRoot, mode: .write(wait: true))
      try store.change(commandLine: commandLine) { fileSystem in
        for table in prepared { _ = try table.stage(into: store, in: fileSystem) }
        try writeRecord(new.map(\.line), fileSystem)
      }
      return (new.map(\.path), store.head)
    case .tableSeries:
      // A series of tables takes one version per commit: one commit per file, each with the record of
      // the files copied so far (a run stopped between two leaves the record true).
      var store: PondStore?
      for file in new {
        let table = try TableCopy.prepare(
          file.path, to: configuration.destination, series: true, schema: nil,
          timeColumn: configuration.timeColumn, reading: store ?? reading)
        let writing = try store ?? PondStore(root: pondRoot, mode: .write(wait: true))
        store = writing
        try writing.change(commandLine: commandLine) { fileSystem in
          _ = try table.stage(into: writing, in: fileSystem)
          try writeRecord([file.line], fileSystem)
        }
      }
      return (new.map(\.path), store?.head)
    }
  }

  /// A host file's name without its directory and last extension.
  static func stem(of path: String) -> String {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = name.lastIndex(of: "."), dot > name.startIndex else { return name }
    return String(name[..<dot])
  }
}
