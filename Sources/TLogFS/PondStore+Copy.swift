import FoundationEssentials
import PondFiles
public import TinyFS

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension PondStore {
  /// What a copy did.
  public struct CopyReport: Sendable, Equatable {
    /// Pond or host paths written, in order.
    public var written: [String] = []
    /// Bytes of file content copied.
    public var bytes: Int64 = 0
  }

  /// The source that stands for standard input, as in `collector | pond copy - /sensors/log`.
  public static let standardInputSource = "-"

  /// Copies host files and directories (recursively) into the pond, as one transaction.
  ///
  /// A source `-` (`standardInputSource`) is standard input, read to its end: allowed once, alone, and only
  /// into a file path (a directory would need a name for it). A host file named as a source that is not a
  /// regular file (a FIFO, `/dev/stdin`, a character device) is read to its end too, and so is a regular
  /// file whose size says 0 (`/proc`): what counts is what reading returns. Nothing is committed unless every
  /// source was read to its end without an error.
  ///
  /// With one source, `destination` is the new name unless it is an existing directory (then the source goes
  /// inside it, keeping its name); with several, `destination` must be an existing directory. A source with
  /// `*`, `?` or `[` that does not exist as written is expanded as a host glob. With `series`, each host
  /// file is appended to the series at its target (created when missing): only the new bytes are stored.
  /// Files of 64 KiB or more are streamed into `_large_files` without being held in memory; smaller files
  /// (and appends) are held until the commit, up to `inlineBudget` bytes in all, and streamed into
  /// `_large_files` beyond it, so a copy of many small files needs bounded memory too (about three times the
  /// budget: the pending file system, the transaction's rows and the data file's columns each hold them).
  /// `alongside` runs last in the same transaction (an Inbox records the files it copied in the same commit).
  public func copyIn(
    hostSources: [String], to destination: String, series: Bool, commandLine: String,
    inlineBudget: Int64 = 32 << 20, alongside: (FileSystem) throws -> Void = { _ in }
  ) throws -> CopyReport {
    if hostSources.contains(Self.standardInputSource) && hostSources.count > 1 {
      let twice = hostSources.count(where: { $0 == Self.standardInputSource }) > 1
      throw PondError(
        .invalidArgument, path: Self.standardInputSource,
        twice
          ? "standard input can be read only once"
          : "standard input cannot be copied with other sources: in a directory it would have no name",
        hint: twice
          ? "name - once"
          : "copy standard input by itself ('... | pond copy - POND_FILE'), "
            + "and the other sources with a 'pond copy' of their own")
    }
    var sources: [String] = []
    for source in hostSources {
      if source == Self.standardInputSource {
        sources.append(source)
      } else if try HostIO.status(source) != nil {
        sources.append(source)
      } else if FileSystem.isPattern(source) {
        let matches = try Self.hostGlob(source)
        guard !matches.isEmpty else {
          throw PondError(.io, path: source, "no host file matches the pattern")
        }
        sources += matches
      } else {
        throw PondError(
          .io, path: source, "no such host file or directory", hint: "check the path")
      }
    }
    var state = CopyState(inlineBudget: inlineBudget)
    try change(commandLine: commandLine) { fileSystem in
      let destinationIsDirectory =
        (try? fileSystem.stat(destination))?.entryType.isDirectory ?? false
      if sources == [Self.standardInputSource] {
        guard !destinationIsDirectory && !destination.hasSuffix("/") else {
          throw PondError(
            .invalidArgument, path: destination,
            "\(destinationIsDirectory ? "is a directory" : "ends with '/'"): "
              + "standard input has no name to copy into it",
            hint:
              "name the pond file: 'pond copy - \(destination)\(destination.hasSuffix("/") ? "" : "/")NAME'"
          )
        }
        do {
          try copyContent(.standardInput, to: destination, series: series, fileSystem, &state)
        } catch let error as PondError
          where error.code == .io && error.path == OpenFile.standardInputName
        {
          throw PondError(
            error.code, path: error.path, error.message,
            hint: "nothing was copied: a copy from standard input is committed only when it ends "
              + "normally", errno: error.errno)
        }
        return
      }
      if sources.count > 1 || destination.hasSuffix("/") {
        guard destinationIsDirectory else {
          throw PondError(
            .invalidArgument, path: destination,
            "copying \(sources.count) sources needs an existing pond directory as the destination",
            hint: "create it first with 'pond mkdir -p \(destination)'")
        }
      }
      for source in sources {
        // The host name only when it is needed: `URL` makes the path absolute (a getcwd) to find it.
        let target =
          destinationIsDirectory
          ? destination + (destination.hasSuffix("/") ? "" : "/")
            + URL(fileURLWithPath: source).lastPathComponent
          : destination
        try copyHostNode(source, to: target, series: series, fileSystem, &state, isArgument: true)
      }
      try alongside(fileSystem)
    }
    return state.report
  }

  /// What a copy into the pond has done so far.
  private struct CopyState {
    var report = CopyReport()
    /// Series appended to by this command (node ids: two paths may reach one series through a link).
    var seriesTargets = Set<NodeID>()
    /// Bytes of small files that may still be held in memory until the commit.
    var inlineBudget: Int64
    /// Where a host file's first bytes are read, to tell a small file from a large one (allocated once).
    var scratch: [UInt8] = []
  }

  /// A host file to read into the pond.
  private enum HostInput {
    /// The host file at a path, with the size `stat` gives (0 when it does not tell: a FIFO, `/proc`).
    case file(String, statSize: Int64)
    /// The process's standard input.
    case standardInput
  }

  /// Copies one host path. A symbolic link named on the command line is followed; one met inside a copied
  /// directory is recreated as a pond link (following it could loop, or copy a tree twice).
  private func copyHostNode(
    _ source: String, to target: String, series: Bool, _ fileSystem: FileSystem,
    _ state: inout CopyState, isArgument: Bool = false
  ) throws {
    switch try HostEntry(source, followingLink: isArgument) {
    case nil:
      throw PondError(.io, path: source, "no such host file or directory")
    case .directory:
      if !(try fileSystem.exists(target)) { try fileSystem.createDirectory(target) }
      // By bytes: names that differ only in Unicode form are different names.
      let names = (try HostIO.converting { try LocalFiles.names(inDirectory: source) } ?? [])
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for name in names {
        try copyHostNode(
          source + "/" + name, to: target + "/" + name, series: series, fileSystem, &state)
      }
    case .symlink(let destination):
      guard !series else {
        throw PondError(
          .invalidArgument, path: source,
          "is a symbolic link; only files can be appended to a series",
          hint: "name the file it points to")
      }
      if let existing = try? fileSystem.lstat(target), !existing.entryType.isDirectory {
        try fileSystem.remove(target)
      }
      try fileSystem.createSymlink(target, target: destination)
      state.report.written.append(target)
    case .stream where isArgument:
      try copyContent(.file(source, statSize: 0), to: target, series: series, fileSystem, &state)
    case .stream:
      // Inside a directory a FIFO could wait for a writer forever, and a device never end.
      throw PondError(
        .io, path: source, "is a FIFO or a device inside a copied directory; it was not copied",
        hint: "name it as a source of its own to read it to its end")
    case .other:
      throw PondError(
        .io, path: source, "is a socket, not a file, directory or FIFO; it was not copied")
    case .regular(let size):
      try copyContent(.file(source, statSize: size), to: target, series: series, fileSystem, &state)
    }
  }

  /// Writes or appends (`series`) the content of `input` at the pond path `target`.
  private func copyContent(
    _ input: HostInput, to target: String, series: Bool, _ fileSystem: FileSystem,
    _ state: inout CopyState
  ) throws {
    if series {
      try appendHostFile(input, to: target, fileSystem, &state)
    } else {
      let (content, size) = try hostContent(input, &state)
      try fileSystem.writeFile(target, contents: content)
      state.report.bytes += size
    }
    state.report.written.append(target)
  }

  private func appendHostFile(
    _ input: HostInput, to target: String, _ fileSystem: FileSystem, _ state: inout CopyState
  ) throws {
    if !(try fileSystem.exists(target)) { try fileSystem.createSeries(target) }
    let info = try fileSystem.stat(target)
    guard info.entryType == .series, let id = info.id else {
      throw PondError(
        .invalidArgument, path: target, "is a \(info.entryType), not a series",
        hint: "copy without --series to replace it, or choose another name")
    }
    // One append per series per transaction: FileSystem stores each node once per transaction, joining
    // two appends into one; a large body's stand-in bytes cannot be joined.
    guard state.seriesTargets.insert(id).inserted else {
      throw PondError(
        .invalidArgument, path: target,
        "one command appends to a series only once (\(info.path) is reached twice)",
        hint: "run one 'pond copy --series' per file")
    }
    let (content, size) = try hostContent(input, &state)
    try fileSystem.appendFile(target, contents: content)
    state.report.bytes += size
  }

  /// The bytes to hand to `FileSystem` for `input`, and its size: its content, held until the commit, or,
  /// when it is large or over the budget of small content, the stand-in of a body streamed into
  /// `_large_files` now.
  ///
  /// A file whose `stat` size is small (or 0, or not told) is read up to the large-file threshold first:
  /// if it ends there it is small, otherwise those bytes and the rest are streamed into `_large_files`.
  private func hostContent(_ input: HostInput, _ state: inout CopyState) throws -> (
    content: [UInt8], size: Int64
  ) {
    let threshold = LargeFiles.threshold
    let file: OpenFile
    switch input {
    case .file(let source, let size) where size >= Int64(threshold) || size > state.inlineBudget:
      return try persistence.stageLargeFile(hostPath: source)
    case .file(let source, _):
      file = try HostIO.converting { try OpenFile(readingAt: source) }
    case .standardInput:
      file = try HostIO.converting { try OpenFile.standardInput() }
      if try HostIO.converting({ try file.status() }).isDirectory {
        throw PondError(
          .invalidArgument, path: OpenFile.standardInputName,
          "is a directory; there is nothing to read",
          hint: "pipe or redirect a file into 'pond copy -'")
      }
    }
    if state.scratch.count < threshold { state.scratch = [UInt8](repeating: 0, count: threshold) }
    let count = try HostIO.converting {
      try state.scratch.withUnsafeMutableBytes { try file.read(into: $0) }
    }
    guard count < threshold else {
      return try persistence.stageLargeFile(prefix: state.scratch, thenRestOf: file)
    }
    let content = Array(state.scratch[0..<count])
    if Int64(count) > state.inlineBudget { return try persistence.stageLargeFile(bytes: content) }
    state.inlineBudget -= Int64(count)
    return (content, Int64(count))
  }

  /// Expands a host glob pattern with `glob(3)`: the shell's own rules for host paths, which PondFiles (file
  /// I/O, not pattern matching) has no reason to wrap. No match is an empty list.
  /// - Throws: `PondError` when a directory of the pattern cannot be read (permissions), or out of memory.
  public static func hostGlob(_ pattern: String) throws -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    // A directory that cannot be read for lack of permission stops the expansion (a missing one is no match).
    switch glob(pattern, 0, { _, error in error == EACCES ? 1 : 0 }, &result) {
    case 0: break
    case GLOB_NOMATCH: return []
    case GLOB_ABORTED:
      throw PondError(
        .io, path: pattern, "a directory of the pattern cannot be read (permission denied)",
        hint: "check its permissions")
    default: throw PondError(.io, path: pattern, "cannot expand the pattern (out of memory)")
    }
    return (0..<Int(result.gl_pathc)).compactMap { index in
      result.gl_pathv[index].map { String(cString: $0) }
    }
  }

  /// Copies pond paths and glob matches (directories recursively) at `version` into the host directory
  /// `hostDirectory`, each under its own name. Files are streamed; each host file is written to a temporary
  /// name and renamed into place.
  ///
  /// A match inside another match is copied once, with it. A symbolic link named (or matched) directly is
  /// followed, and its target's content is written under the link's own name; a link inside a copied
  /// directory is recreated as a host link. Two sources that would get the same host name, or a dangling
  /// link, are refused before anything is written.
  public func copyOut(patterns: [String], to hostDirectory: String, at version: Int64?) throws
    -> CopyReport
  {
    guard let status = try HostIO.status(hostDirectory), status.isDirectory else {
      throw PondError(
        .io, path: hostDirectory, "is not an existing host directory", hint: "create it first")
    }
    let fileSystem = try fileSystem(at: version)
    var matches: [String] = []
    for pattern in patterns {
      if FileSystem.isPattern(pattern) {
        matches += try fileSystem.paths(matching: pattern)
      } else {
        matches.append(try fileSystem.lstat(pattern).path)
      }
    }
    // Paths compare by their bytes (two names that differ only in Unicode form are two files). A match
    // inside another match is dropped: it is copied with it. O(matches x depth).
    var seen = Set<[UInt8]>()
    let unique = matches.filter { seen.insert(Array($0.utf8)).inserted }
      .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let selected = unique.filter { path in
      let bytes = Array(path.utf8)
      if seen.contains(Array("/".utf8)) { return bytes == Array("/".utf8) }
      return !bytes.indices.contains { index in
        index > 0 && bytes[index] == UInt8(ascii: "/") && seen.contains(Array(bytes[..<index]))
      }
    }
    var names: [[UInt8]: String] = [:]
    var plan: [(path: String, hostPath: String)] = []
    for path in selected {
      let info = try fileSystem.lstat(path)
      let name = info.name.isEmpty ? "root" : info.name
      if let other = names[Array(name.utf8)] {
        throw PondError(
          .invalidArgument, path: hostDirectory + "/" + name,
          "both \(other) and \(path) would be copied to this host name; nothing was copied",
          hint: "copy them with separate commands into different host directories")
      }
      names[Array(name.utf8)] = path
      // A dangling link fails here, before anything is written.
      let target = try fileSystem.stat(path)
      // A series of tables is one Parquet file per version: their concatenation is no Parquet file.
      let inside =
        target.entryType == .directory
        ? try fileSystem.glob(path == "/" ? "/**" : path + "/**").map { ($0.path, $0.entryType) }
        : []
      if let series = ([(path, target.entryType)] + inside).first(where: { $0.1 == .tableSeries }) {
        throw PondError(
          .invalidArgument, path: series.0,
          "is a series of tables, one Parquet file per version; copying it out as one file would "
            + "not be Parquet; nothing was copied",
          hint: "write its versions with 'pond export \(series.0) DIR', or its rows with "
            + "'pond cat \(series.0) > FILE.csv'")
      }
      plan.append((path, hostDirectory + "/" + name))
    }
    var report = CopyReport()
    for (path, hostPath) in plan {
      try export(path, fileSystem, to: hostPath, following: true, &report)
    }
    try HostIO.syncDirectory(hostDirectory)
    return report
  }

  private func export(
    _ path: String, _ fileSystem: FileSystem, to hostPath: String, following: Bool,
    _ report: inout CopyReport
  ) throws {
    let info = following ? try fileSystem.stat(path) : try fileSystem.lstat(path)
    let parent = String(hostPath[..<(hostPath.lastIndex(of: "/") ?? hostPath.startIndex)])
    if info.entryType == .symlink {
      let destination = try info.symlinkTarget ?? fileSystem.readSymlink(path)
      // Named apart from the target, so that a long name cannot push it past NAME_MAX.
      let temporary = TemporaryName.make(in: parent)
      try HostIO.converting {
        try LocalFiles.makeSymbolicLink(temporary, target: destination)
        try LocalFiles.publishReplacing(temporary, as: hostPath, durable: false)
      }
    } else if info.entryType.isDirectory {
      try HostIO.makeDirectory(hostPath)
      for entry in try fileSystem.list(path) {
        try export(
          path == "/" ? "/" + entry.name : path + "/" + entry.name, fileSystem,
          to: hostPath + "/" + entry.name, following: false, &report)
      }
      try HostIO.syncDirectory(hostPath)
      return
    } else {
      let pending = try HostIO.converting { try PendingFile(publishingAs: hostPath) }
      try streamFile(path, fileSystem) { chunk in try HostIO.converting { try pending.write(chunk) }
      }
      // The host directory is synced once, after all its files (below and in copyOut).
      try HostIO.converting { try pending.publishReplacing(syncingDirectory: false) }
      report.bytes += Int64(info.size)
    }
    report.written.append(hostPath)
  }

  /// Streams the content of the file or series at `path` (following symbolic links) to `sink`.
  public func streamFile(
    _ path: String, _ fileSystem: FileSystem, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let info = try fileSystem.stat(path)
    guard !info.entryType.isDirectory else {
      throw FileSystemError(.isADirectory, operation: "cat", path: path)
    }
    guard let id = info.id else {
      try fileSystem.readFile(path).withUnsafeBytes { try sink($0) }
      return
    }
    try persistence.streamContent(id, at: fileSystem.snapshotTransaction, to: sink)
  }
}

/// What a host path is.
private enum HostEntry {
  case directory
  case regular(size: Int64)
  case symlink(target: String)
  /// Read to its end, not by a size: a FIFO, a character or block device.
  case stream
  /// A socket: nothing to open and read.
  case other

  /// Nil when nothing is at `path`; with `followingLink`, a final symbolic link is followed.
  init?(_ path: String, followingLink: Bool) throws {
    guard
      let status = try HostIO.converting({
        try LocalFiles.status(path, followsLinks: followingLink)
      })
    else { return nil }
    switch status.type {
    case .directory: self = .directory
    case .regular: self = .regular(size: status.size)
    case .symbolicLink:
      self = .symlink(target: try HostIO.converting { try LocalFiles.symbolicLinkTarget(path) })
    case .fifo, .characterSpecial, .blockSpecial: self = .stream
    default: self = .other
    }
  }
}
