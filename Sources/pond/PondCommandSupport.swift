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
    (["pond"] + CommandLine.arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
  }

  /// `argument` as a shell word: bare when it holds only characters no shell treats specially, in single
  /// quotes otherwise, and as `$'...'` (bash, zsh, ksh, POSIX 2024) when it holds a control character, so that
  /// the recorded command line stays on one line and can be pasted back into a shell.
  static func shellQuoted(_ argument: String) -> String {
    let isPlain = { (character: Character) in
      character.isASCII
        ? (character.isLetter || character.isNumber || "@%+=:,./-_".contains(character))
        : (character.isLetter || character.isNumber)
    }
    // zsh expands a leading `=` (`=ls` is the path of ls).
    if !argument.isEmpty && argument.allSatisfy(isPlain) && !argument.hasPrefix("=") {
      return argument
    }
    let hasControl = argument.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    guard hasControl else {
      return "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
    var quoted = "$'"
    for scalar in argument.unicodeScalars {
      switch scalar {
      case "\\": quoted += #"\\"#
      case "'": quoted += #"\'"#
      case "\n": quoted += #"\n"#
      case "\t": quoted += #"\t"#
      case "\r": quoted += #"\r"#
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        quoted += #"\x"# + String(scalar.value, radix: 16, uppercase: true).leftPadded(2, with: "0")
      default: quoted.unicodeScalars.append(scalar)
      }
    }
    return quoted + "'"
  }
}

extension String {
  func leftPadded(_ width: Int, with pad: Character = " ") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }

  /// The string on one line of tab-separated text: tab, newline, carriage return and other control
  /// characters as `\t`, `\n`, `\r`, `\xHH` (`--json` gives the exact value).
  var escapedForLine: String {
    guard unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
      return self
    }
    var escaped = ""
    for scalar in unicodeScalars {
      switch scalar {
      case "\n": escaped += #"\n"#
      case "\t": escaped += #"\t"#
      case "\r": escaped += #"\r"#
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        escaped +=
          #"\x"# + String(scalar.value, radix: 16, uppercase: true).leftPadded(2, with: "0")
      default: escaped.unicodeScalars.append(scalar)
      }
    }
    return escaped
  }
}

/// Runs a command body with its standard output: failures print `pond <command>: <what went wrong>` on
/// stderr and exit 1. The output is flushed before the command ends, and a failure to write it is such a
/// failure (`pond <command>: standard output: ...`), except a closed pipe (the reader went away, as with
/// `| head`), which ends the command quietly with status 1.
func reportingFailures(_ command: String, _ body: (StandardOutput) throws -> Void) throws {
  let output = StandardOutput()
  do {
    try body(output)
    try output.flush()
  } catch {
    throw failure(command, error, output)
  }
}

/// `reportingFailures` for async commands.
func reportingFailures(_ command: String, _ body: (StandardOutput) async throws -> Void)
  async throws
{
  let output = StandardOutput()
  do {
    try await body(output)
    try output.flush()
  } catch {
    throw failure(command, error, output)
  }
}

/// Reports `error` on stderr (after what the command wrote so far) and returns the error to exit with.
private func failure(_ command: String, _ error: any Error, _ output: StandardOutput) -> any Error {
  if !(error is StandardOutputError) {
    // What was printed before the failure still goes out first; a failure here changes nothing: the
    // command fails anyway, with the first error.
    try? output.flush()
  }
  switch error {
  case let error as ExitCode: return error
  case let error as ValidationError: return error
  case let error as StandardOutputError where error.isBrokenPipe: return ExitCode(1)
  case let error as FileSystemError where error.hint == nil:
    StandardStream.printError("pond \(command): \(error)\(advice(for: error))")
  default:
    StandardStream.printError("pond \(command): \(error)")
  }
  return ExitCode(1)
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
func printJSON<Value: Encodable>(_ value: Value, to output: StandardOutput) throws {
  try output.write(try jsonEncoder().encode(value))
  try output.line()
}

private func jsonEncoder() -> JSONEncoder {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  return encoder
}

/// Prints a JSON array one element at a time, so that a long listing is never held whole in memory; a failed
/// write throws (the array is then left unfinished, and the command fails).
struct JSONArrayPrinter {
  private let output: StandardOutput
  private let encoder = jsonEncoder()
  private var count = 0

  init(to output: StandardOutput) { self.output = output }

  mutating func print<Value: Encodable>(_ value: Value) throws {
    let element = try encoder.encode(value)
    try output.write(count == 0 ? "[\n" : ",\n")
    try output.write(element)
    count += 1
  }

  /// Ends the array (`[]` when nothing was printed).
  func finish() throws {
    try output.write(count == 0 ? "[]\n" : "\n]\n")
  }
}
