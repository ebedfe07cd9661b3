import ArgumentParser
import Glibc
import TLogFS
import TinyFS

/// `--pond PATH`, or `$POND`.
struct PondLocation: ParsableArguments {
  @Option(name: .customLong("pond"), help: "The pond directory (default: $POND).")
  var pond: String?

  func path() throws -> String { try Self.path(given: pond) }

  /// `given`, or `$POND` (read alone: `ProcessInfo.environment` copies the whole environment).
  static func path(given: String?) throws -> String {
    if let given, !given.isEmpty { return given }
    if let path = getenv("POND").map({ String(cString: $0) }), !path.isEmpty { return path }
    throw ValidationError("no pond given: pass --pond PATH or set POND")
  }

  /// Opens the pond for reading (no lock).
  func openForReading() throws -> PondStore {
    try PondStore(root: try path(), mode: .read)
  }
}

/// `--pond` plus `--wait` for commands that change the pond.
struct WritablePond: ParsableArguments {
  @OptionGroup var location: PondLocation

  @Flag(help: "If another pond command is changing the pond, wait for it instead of failing.")
  var wait = false

  func open() throws -> PondStore { try Self.open(pond: location.pond, wait: wait) }

  /// Opens the pond at `pond` (or `$POND`) for writing.
  static func open(pond: String?, wait: Bool) throws -> PondStore {
    try PondStore(root: try PondLocation.path(given: pond), mode: .write(wait: wait))
  }

  /// Runs `body` as one change of the pond, recorded with the command line; a failure is reported as
  /// `pond <command>: ...` (see `reportingFailures`).
  func change(_ command: String, _ body: (FileSystem) throws -> Void) throws {
    try reportingFailures(command) { _ in
      try open().change(commandLine: Invocation.commandLine, body)
    }
  }
}

/// `--at VERSION|TIME` of every read command.
struct AtOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Read the pond as it was at a version number or an ISO 8601 time (e.g. 2026-11-24T20:15:00Z).",
      valueName: "version-or-time"))
  var at: String?

  /// The version to read, or nil for the latest.
  func version(in pond: PondStore) throws -> Int64? {
    try at.map { try pond.version(at: $0) }
  }
}
