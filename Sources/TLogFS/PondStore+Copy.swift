import Foundation
import TinyFS

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

  /// Copies host files and directories (recursively) into the pond, as one transaction.
  ///
  /// With one source, `destination` is the new name unless it is an existing directory (then the source goes
  /// inside it, keeping its name); with several, `destination` must be an existing directory. A source with
  /// `*`, `?` or `[` that does not exist as written is expanded as a host glob. With `series`, each host
  /// file is appended to the series at its target (created when missing): only the new bytes are stored.
  /// Files of 64 KiB or more are streamed into `_large_files` without being held in memory.
  public func copyIn(
    hostSources: [String], to destination: String, series: Bool, commandLine: String
  ) throws -> CopyReport {
    var sources: [String] = []
    for source in hostSources {
      if try HostIO.status(source) != nil {
        sources.append(source)
      } else if source.contains(where: { "*?[".contains($0) }) {
        let matches = Self.hostGlob(source)
        guard !matches.isEmpty else {
          throw PondError(.io, path: source, "no host file matches the pattern")
        }
        sources += matches
      } else {
        throw PondError(
          .io, path: source, "no such host file or directory", hint: "check the path")
      }
    }
    var report = CopyReport()
    try change(commandLine: commandLine) { fileSystem in
      let destinationIsDirectory =
        (try? fileSystem.stat(destination))?.entryType.isDirectory ?? false
      if sources.count > 1 || destination.hasSuffix("/") {
        guard destinationIsDirectory else {
          throw PondError(
            .invalidArgument, path: destination,
            "copying \(sources.count) sources needs an existing pond directory as the destination",
            hint: "create it first with 'pond mkdir -p \(destination)'")
        }
      }
      var seriesTargets = Set<String>()
      for source in sources {
        let name = URL(fileURLWithPath: source).lastPathComponent
        let target =
          destinationIsDirectory
          ? (destination.hasSuffix("/") ? destination + name : destination + "/" + name)
          : destination
        try copyHostNode(
          source, to: target, series: series, fileSystem, &report, &seriesTargets)
      }
    }
    return report
  }

  private func copyHostNode(
    _ source: String, to target: String, series: Bool, _ fileSystem: FileSystem,
    _ report: inout CopyReport, _ seriesTargets: inout Set<String>
  ) throws {
    guard let status = try HostIO.status(source) else {
      throw PondError(.io, path: source, "no such host file or directory")
    }
    if status.isDirectory {
      if !(try fileSystem.exists(target)) { try fileSystem.createDirectory(target) }
      let names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
      for name in names {
        try copyHostNode(
          source + "/" + name, to: target + "/" + name, series: series, fileSystem, &report,
          &seriesTargets)
      }
      return
    }
    guard status.isRegular else {
      throw PondError(.io, path: source, "not a regular file or directory; it was not copied")
    }
    let contents: [UInt8]
    if status.size >= Int64(LargeFiles.threshold) {
      if series {
        guard seriesTargets.insert(target).inserted else {
          throw PondError(
            .invalidArgument, path: target,
            "one command can append only one file of 64 KiB or more to a series",
            hint: "run one 'pond copy --series' per large file")
        }
      }
      contents = try persistence.stageLargeFile(hostPath: source)
    } else {
      contents = try HostIO.readFile(source)
      if series, seriesTargets.contains(target) {
        throw PondError(
          .invalidArgument, path: target,
          "one command appends to a series only once", hint: "run one 'pond copy --series' per file"
        )
      }
      seriesTargets.insert(target)
    }
    if series {
      if !(try fileSystem.exists(target)) { try fileSystem.createSeries(target) }
      let info = try fileSystem.stat(target)
      guard info.entryType == .series else {
        throw PondError(
          .invalidArgument, path: target, "is a \(info.entryType), not a series",
          hint: "copy without --series to replace it, or choose another name")
      }
      try fileSystem.appendFile(target, contents: contents)
    } else {
      try fileSystem.writeFile(target, contents: contents)
    }
    report.written.append(target)
    report.bytes += status.size
  }

  /// Expands a host glob pattern with `glob(3)`.
  static func hostGlob(_ pattern: String) -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    guard glob(pattern, 0, nil, &result) == 0 else { return [] }
    return (0..<Int(result.gl_pathc)).compactMap { index in
      result.gl_pathv[index].map { String(cString: $0) }
    }
  }

  /// Copies pond paths and glob matches (directories recursively) at `version` into the host directory
  /// `hostDirectory`, each under its own name. Files are streamed; each host file is written to a temporary
  /// name and renamed into place.
  public func copyOut(patterns: [String], to hostDirectory: String, at version: Int64?) throws
    -> CopyReport
  {
    guard let status = try HostIO.status(hostDirectory), status.isDirectory else {
      throw PondError(
        .io, path: hostDirectory, "is not an existing host directory", hint: "create it first")
    }
    let fileSystem = try fileSystem(at: version)
    var report = CopyReport()
    for pattern in patterns {
      let paths: [String]
      if pattern.contains(where: { "*?[".contains($0) }) {
        paths = try fileSystem.glob(pattern).map(\.path)
        guard !paths.isEmpty else {
          throw PondError(.invalidArgument, path: pattern, "no pond path matches the pattern")
        }
      } else {
        paths = [pattern]
      }
      for path in paths {
        let info = try fileSystem.stat(path)
        let name = info.name.isEmpty ? "root" : info.name
        try export(path, fileSystem, to: hostDirectory + "/" + name, &report)
      }
    }
    return report
  }

  private func export(
    _ path: String, _ fileSystem: FileSystem, to hostPath: String, _ report: inout CopyReport
  ) throws {
    let info = try fileSystem.stat(path)
    if info.entryType.isDirectory {
      try HostIO.makeDirectory(hostPath)
      for entry in try fileSystem.list(path) {
        try export(
          path == "/" ? "/" + entry.name : path + "/" + entry.name, fileSystem,
          to: hostPath + "/" + entry.name, &report)
      }
      return
    }
    let temporary = hostPath + ".pond-tmp-\(UUID().uuidString.lowercased())"
    let writer = try FileWriter(creating: temporary)
    try streamFile(path, fileSystem) { try writer.write($0) }
    try writer.syncAndClose()
    guard rename(temporary, hostPath) == 0 else {
      let code = errno
      unlink(temporary)
      throw HostIO.failure(hostPath, "rename \(temporary) to", code)
    }
    report.written.append(hostPath)
    report.bytes += Int64(info.size)
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
