import ArgumentParser
import Replication
import TinyFS

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
  case is CancellationError:
    Progress.clear()
    StandardStream.printError("pond \(command): interrupted")
    return ExitCode(130)
  case let error as ReplicationError where error.code == .diverged:
    StandardStream.printError("pond \(command): \(error)")
    return ExitCode(3)
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
  case .noMatch: "; list the directory to see what is there"
  default: ""
  }
}
