import ArgumentParser
import Foundation
import TLogFS
import TinyFS

/// `--pond PATH`, or `$POND`.
struct PondLocation: ParsableArguments {
  @Option(name: .customLong("pond"), help: "The pond directory (default: $POND).")
  var pond: String?

  func path() throws -> String {
    if let pond, !pond.isEmpty { return pond }
    if let path = ProcessInfo.processInfo.environment["POND"], !path.isEmpty { return path }
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

  func open() throws -> PondStore {
    try PondStore(root: try location.path(), mode: .write(wait: wait))
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

/// The command line as typed, recorded in each commit.
enum Invocation {
  static var commandLine: String {
    (["pond"] + CommandLine.arguments.dropFirst()).map { argument in
      argument.isEmpty || argument.contains(where: { " \t\"'\\$*?".contains($0) })
        ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" : argument
    }.joined(separator: " ")
  }
}

/// Runs a command body: failures print `pond <command>: <what went wrong>` on stderr and exit 1.
func reportingFailures(_ command: String, _ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as ExitCode {
    throw error
  } catch let error as ValidationError {
    throw error
  } catch let error as FileSystemError where error.hint == nil {
    FileHandle.standardError.write(Data("pond \(command): \(error)\(advice(for: error))\n".utf8))
    throw ExitCode(1)
  } catch {
    FileHandle.standardError.write(Data("pond \(command): \(error)\n".utf8))
    throw ExitCode(1)
  }
}

/// What the user can do about a file-system error that carries no hint of its own.
private func advice(for error: FileSystemError) -> String {
  switch error.code {
  case .notFound: "; check the path with 'pond list' (add --at to look at older versions)"
  case .exists: "; choose another name, or remove the existing entry first"
  case .notADirectory: "; a component of the path is not a directory"
  case .isADirectory: "; it is a directory: use 'pond list' to see its entries"
  case .directoryNotEmpty: "; use 'pond rm -r' to remove it with everything below it"
  case .readOnly: "; --at shows history, which cannot be changed"
  default: ""
  }
}

/// Prints `value` as pretty, key-sorted JSON.
func printJSON<Value: Encodable>(_ value: Value) throws {
  FileHandle.standardOutput.write(try jsonEncoder().encode(value))
  FileHandle.standardOutput.write(Data("\n".utf8))
}

private func jsonEncoder() -> JSONEncoder {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  return encoder
}

/// Prints a JSON array one element at a time, so that a long listing is never held whole in memory.
struct JSONArrayPrinter {
  private let encoder = jsonEncoder()
  private var count = 0

  mutating func print<Value: Encodable>(_ value: Value) throws {
    let element = try encoder.encode(value)
    FileHandle.standardOutput.write(Data((count == 0 ? "[\n" : ",\n").utf8))
    FileHandle.standardOutput.write(element)
    count += 1
  }

  /// Ends the array (`[]` when nothing was printed).
  func finish() {
    FileHandle.standardOutput.write(Data((count == 0 ? "[]\n" : "\n]\n").utf8))
  }
}
