import ArgumentParser
import Foundation
import TLogFS
import TinyFS

struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Create a pond: version 0 holds an empty root directory.",
    discussion: "The directory (--pond or POND) is created if needed and must not hold a pond.")

  @OptionGroup var location: PondLocation

  @Option(help: "Where this pond was born (recorded in the pond's metadata; default: host name).")
  var birthplace: String?

  func run() throws {
    try reportingFailures("init") { output in
      let path = try location.path()
      let pond = try PondStore.create(
        root: path, birthplace: birthplace, commandLine: Invocation.commandLine)
      // Read before confirming: a failure here must not turn a created pond into exit 1.
      let id = (try? pond.metadata().id) ?? "(id unreadable: run 'pond status')"
      output.confirm(
        "Created pond \(id) at \(pond.root)", command: "init", done: "the pond was created")
    }
  }
}

struct Mkdir: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mkdir", abstract: "Create pond directories.")

  @OptionGroup var pond: WritablePond

  @Flag(name: .short, help: "Create missing parent directories; an existing directory is fine.")
  var parents = false

  @Argument(help: "Pond paths of the directories to create.")
  var paths: [String]

  func validate() throws {
    if paths.isEmpty { throw ValidationError("name at least one directory to create") }
  }

  func run() throws {
    try reportingFailures("mkdir") { _ in
      let store = try pond.open()
      try store.change(commandLine: Invocation.commandLine) { fileSystem in
        for path in paths { try fileSystem.createDirectory(path, withParents: parents) }
      }
    }
  }
}

struct Copy: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "copy",
    abstract: "Copy host files into the pond, or pond files out to a host directory.",
    discussion: """
      In: pond copy HOST_PATH... POND_PATH copies host files, directories (recursively) and \
      globs into the pond in one commit. With one source the pond path is the new name unless it \
      is an existing directory; with several it must be an existing directory.
      Out: pond copy --out POND_PATH_OR_GLOB... HOST_DIR writes pond files, directories and \
      glob matches (at --at) into an existing host directory.
      Files of 64 KiB or more are streamed into data/_large_files (stored once per content); so \
      are smaller ones once a command holds 32 MiB of them. A symbolic link named as a source is \
      followed; one inside a copied directory is copied as a link. One command appends to a \
      given series once. Copying out, two sources with the same host name, or a named link \
      that points nowhere, are refused before anything is written.
      """)

  @OptionGroup var pond: WritablePond
  @OptionGroup var at: AtOption

  @Flag(help: "Append each host file to the series of the same name (created if missing).")
  var series = false

  @Flag(help: "Copy from the pond out to a host directory.")
  var out = false

  @Argument(help: "Sources, then the destination.")
  var paths: [String]

  func validate() throws {
    if paths.count < 2 { throw ValidationError("give at least one source and a destination") }
    if out && series { throw ValidationError("--series only applies when copying into the pond") }
    if !out && at.at != nil { throw ValidationError("--at only applies to 'copy --out'") }
    if out && pond.wait {
      throw ValidationError(
        "--wait only applies when copying into the pond ('copy --out' only reads)")
    }
  }

  func run() throws {
    try reportingFailures("copy") { output in
      let sources = Array(paths.dropLast())
      let destination = paths.last!
      if out {
        let store = try pond.location.openForReading()
        let report = try store.copyOut(
          patterns: sources, to: destination, at: try at.version(in: store))
        try output.line(
          "Copied \(report.written.count) file(s), \(report.bytes) bytes, to \(destination)")
      } else {
        let store = try pond.open()
        let before = store.head
        let report = try store.copyIn(
          hostSources: sources, to: destination, series: series,
          commandLine: Invocation.commandLine)
        if store.head == before {
          try output.line(
            "Nothing to copy: the pond already holds what \(sources.count == 1 ? "the source holds" : "the sources hold"); "
              + "no new version, the pond stays at version \(before)")
        } else {
          output.confirm(
            "Copied \(report.written.count) file(s), \(report.bytes) bytes, as version \(store.head)",
            command: "copy", done: "the copy was committed as version \(store.head)")
        }
      }
    }
  }
}

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List pond paths matching globs (* ? [..] and ** for any depth).",
    discussion: """
      A directory is listed by its entries; a pattern lists its matches, sorted by their bytes \
      (a pattern that matches nothing is an error, exit 1). Names compare by their exact UTF-8 \
      bytes; ? matches one Unicode scalar.
      """)

  @OptionGroup var location: PondLocation
  @OptionGroup var at: AtOption

  @Flag(name: .short, help: "Long format: type, size, version, node id.")
  var long = false

  @Flag(help: "Print JSON.")
  var json = false

  @Argument(help: "Pond paths or glob patterns (default: /).")
  var patterns: [String] = []

  struct Entry: Encodable {
    var path: String
    var type: String
    var size: UInt64
    var version: UInt64
    /// Null for an entry of a dynamic directory (it has no node of its own).
    var nodeID: String?
    /// Null for anything but a symbolic link.
    var symlinkTarget: String?

    enum CodingKeys: String, CodingKey {
      case path, type, size, version, nodeID, symlinkTarget
    }

    /// Every key, with an explicit null when absent (synthesized encoding would omit it).
    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(path, forKey: .path)
      try container.encode(type, forKey: .type)
      try container.encode(size, forKey: .size)
      try container.encode(version, forKey: .version)
      try container.encode(nodeID, forKey: .nodeID)
      try container.encode(symlinkTarget, forKey: .symlinkTarget)
    }
  }

  func run() throws {
    try reportingFailures("list") { output in
      let store = try location.openForReading()
      let fileSystem = try store.fileSystem(at: try at.version(in: store))
      // Each entry is printed as soon as it is known, so memory holds the matched paths, not the output.
      var array = json ? JSONArrayPrinter(to: output) : nil
      for pattern in patterns.isEmpty ? ["/"] : patterns {
        var paths: [String]
        if FileSystem.isPattern(pattern) {
          paths = try fileSystem.glob(pattern).map(\.path)
          guard !paths.isEmpty else {
            throw PondError(
              .invalidArgument, path: pattern, "no pond path matches the pattern",
              hint: "list the directory to see what is there")
          }
        } else if try fileSystem.stat(pattern).entryType.isDirectory {
          let base = try fileSystem.stat(pattern).path
          paths = try fileSystem.list(pattern).map {
            base == "/" ? "/" + $0.name : base + "/" + $0.name
          }
        } else {
          paths = [pattern]
        }
        for path in paths {
          let info = try fileSystem.lstat(path)
          let entry = Entry(
            path: path, type: info.entryType.rawValue, size: info.size, version: info.version,
            nodeID: info.id?.description, symlinkTarget: info.symlinkTarget)
          if array != nil {
            try array!.print(entry)
          } else if long {
            let target = entry.symlinkTarget.map { " -> \($0)" } ?? ""
            try output.line(
              "\(entry.type.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                + "\(String(entry.size).leftPadded(12)) v\(String(entry.version).padding(toLength: 4, withPad: " ", startingAt: 0)) "
                + "\(entry.nodeID ?? "-") \(entry.path)\(target)")
          } else {
            try output.line(entry.path)
          }
        }
      }
      try array?.finish()
    }
  }
}

struct Cat: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cat",
    abstract: "Write the content of pond files or series to standard output.")

  @OptionGroup var location: PondLocation
  @OptionGroup var at: AtOption

  @Argument(help: "Pond paths of files or series.")
  var paths: [String]

  func run() throws {
    try reportingFailures("cat") { output in
      let store = try location.openForReading()
      let fileSystem = try store.fileSystem(at: try at.version(in: store))
      for path in paths {
        // The store reports a failing sink as a failure to read its content; the output's own error is
        // the one to report.
        var outputFailure: StandardOutputError?
        do {
          try store.streamFile(path, fileSystem) { bytes in
            do {
              try output.write(bytes)
            } catch let error as StandardOutputError {
              outputFailure = error
              throw error
            }
          }
        } catch {
          throw outputFailure ?? error
        }
      }
    }
  }
}

struct Rm: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rm",
    abstract: "Remove pond files, series, links and (with -r) directories; history keeps them.")

  @OptionGroup var pond: WritablePond

  @Flag(name: .short, help: "Remove directories and everything below them.")
  var recursive = false

  @Argument(help: "Pond paths to remove.")
  var paths: [String]

  func run() throws {
    try reportingFailures("rm") { _ in
      let store = try pond.open()
      try store.change(commandLine: Invocation.commandLine) { fileSystem in
        for path in paths {
          let info = try fileSystem.lstat(path)
          if info.path == "/" {
            throw PondError(
              .invalidArgument, path: path, "is the root directory, which can never be removed",
              hint: "remove what is in it instead, e.g. 'pond rm -r /NAME'")
          }
          if info.entryType == .directory && !recursive && info.size > 0 {
            throw PondError(
              .invalidArgument, path: path, "is a non-empty directory",
              hint: "use 'pond rm -r' to remove it and everything below it")
          }
          try fileSystem.remove(path, recursive: recursive)
        }
      }
    }
  }
}

struct Mv: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mv",
    abstract: "Move or rename a pond path (into a directory when the destination is one).")

  @OptionGroup var pond: WritablePond

  @Argument(help: "The pond path to move.")
  var source: String

  @Argument(help: "The new pond path, or an existing directory to move into.")
  var destination: String

  func run() throws {
    try reportingFailures("mv") { _ in
      let store = try pond.open()
      try store.change(commandLine: Invocation.commandLine) { fileSystem in
        var target = destination
        // Into an existing directory, under the source's own name (as the file system stores it: exact bytes).
        if let info = try? fileSystem.stat(destination), info.entryType.isDirectory,
          let name = try? fileSystem.lstat(source).name, !name.isEmpty
        {
          target =
            (destination.utf8.last == UInt8(ascii: "/") ? destination : destination + "/") + name
        }
        try fileSystem.rename(source, to: target)
      }
    }
  }
}

struct Ln: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ln",
    abstract: "Create a symbolic link in the pond: pond ln -s TARGET LINK.")

  @OptionGroup var pond: WritablePond

  @Flag(name: .short, help: "Make a symbolic link (the only kind of link a pond has).")
  var symbolic = false

  @Argument(help: "What the link points to (need not exist).")
  var target: String

  @Argument(help: "The pond path of the new link.")
  var link: String

  func validate() throws {
    if !symbolic { throw ValidationError("a pond has only symbolic links: use 'pond ln -s'") }
  }

  func run() throws {
    try reportingFailures("ln") { _ in
      let store = try pond.open()
      try store.change(commandLine: Invocation.commandLine) { fileSystem in
        try fileSystem.createSymlink(link, target: target)
      }
    }
  }
}

struct Describe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "describe",
    abstract: "Show a pond path's node id, type and every version (size, hash, where stored).")

  @OptionGroup var location: PondLocation
  @OptionGroup var at: AtOption

  @Flag(help: "Print JSON.")
  var json = false

  @Argument(help: "Pond paths.")
  var paths: [String]

  func run() throws {
    try reportingFailures("describe") { output in
      let store = try location.openForReading()
      let version = try at.version(in: store)
      let reports = try paths.map { try store.describe($0, at: version) }
      if json {
        try printJSON(reports, to: output)
        return
      }
      for report in reports {
        try output.line("\(report.path): \(report.type), node \(report.nodeID)")
        if let target = report.symlinkTarget { try output.line("  -> \(target)") }
        for entry in report.versions {
          try output.line(
            "  v\(entry.version)  pond version \(entry.txn)  \(entry.time)  \(entry.size) bytes  "
              + "sha256 \(entry.sha256)  \(entry.storage)")
        }
      }
    }
  }
}

struct Log: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "One line per version: number, time, command line, what changed.")

  @OptionGroup var location: PondLocation
  @OptionGroup var at: AtOption

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    try reportingFailures("log") { output in
      let store = try location.openForReading()
      let version = try at.version(in: store)
      if json {
        var array = JSONArrayPrinter(to: output)
        try store.log(upTo: version) { try array.print($0) }
        try array.finish()
        return
      }
      try store.log(upTo: version) { report in
        let names = report.changed.prefix(6).map(\.escapedForLine).joined(separator: " ")
        let changed =
          report.changed.count > 6 ? names + " (+\(report.changed.count - 6) more)" : names
        try output.line(
          "\(report.version)\t\(report.time)\t\(report.command.escapedForLine)\t\(changed)")
      }
    }
  }
}

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show the oplog rows one version wrote (default: the latest).")

  @OptionGroup var location: PondLocation
  @OptionGroup var at: AtOption

  @Flag(help: "Print JSON (the Delta column names; content in base64).")
  var json = false

  func run() throws {
    try reportingFailures("show") { output in
      let store = try location.openForReading()
      let version = try at.version(in: store) ?? store.head
      let rows = try store.rows(ofVersion: version)
      if json {
        try printJSON(rows, to: output)
        return
      }
      try output.line("version \(version): \(rows.count) row(s)")
      for row in rows {
        let place = row.blob ?? "inline"
        try output.line(
          "  \(row.entryType.padding(toLength: 9, withPad: " ", startingAt: 0)) node \(row.nodeID) "
            + "v\(row.version) parent \(row.partID) size \(row.size) sha256 \(row.sha256) \(place)"
        )
      }
    }
  }
}

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show the pond's id, birthplace, latest version and what it holds.")

  @OptionGroup var location: PondLocation
  @OptionGroup var at: AtOption

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    try reportingFailures("status") { output in
      let store = try location.openForReading()
      let report = try store.status(at: try at.version(in: store))
      if json {
        try printJSON(report, to: output)
        return
      }
      try output.line("pond \(report.pondID) at \(report.pond)")
      try output.line("birthplace \(report.birthplace), format \(report.formatVersion)")
      try output.line(
        "version \(report.version) of \(report.headVersion), committed \(report.time)")
      try output.line(
        "\(report.directories) directories, \(report.files) files, \(report.series) series, "
          + "\(report.symlinks) symbolic links, \(report.bytes) bytes")
      try output.line("local index: \(report.index)")
    }
  }
}

struct Fsck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fsck",
    abstract: "Check the whole pond: log, hash chain, data files, inline content, large files.",
    discussion: """
      Replays every commit and its hash chain, re-hashes every data file, every row's inline \
      content and every large file, checks directory listings, and compares the local index with \
      the log. Orphan files from interrupted commands are noted but are not problems; --clean \
      removes them (only when no problem was found; it takes the writer lock).
      Exit codes: 0 no problem; 2 problems found (each printed); 1 the check could not run.
      """)

  @OptionGroup var location: PondLocation

  @Flag(help: "Print JSON.")
  var json = false

  @Flag(
    help: "Remove orphan and unfinished files left by interrupted commands (takes the writer lock)."
  )
  var clean = false

  func run() throws {
    try reportingFailures("fsck") { output in
      let report = try PondStore.check(root: try location.path(), clean: clean)
      if json {
        try printJSON(report, to: output)
      } else {
        for note in report.notes { try output.line("note: \(note)") }
        for key in report.removed { try output.line("removed: \(key)") }
        for problem in report.problems { try output.line("problem: \(problem)") }
        try output.line(
          "\(report.versions) versions, \(report.dataFiles) data files, \(report.rows) rows, "
            + "\(report.largeFiles) large files checked: "
            + (report.isClean ? "no problems" : "\(report.problems.count) problem(s)"))
      }
      // Flushed here so that a failure to write the problems is reported (exit 1), not lost behind exit 2.
      if !report.isClean {
        try output.flush()
        throw ExitCode(2)
      }
    }
  }
}
