import ArgumentParser
import TLogFS

extension Pond {
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
      help:
        "Remove orphan and unfinished files left by interrupted commands (takes the writer lock)."
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
}
