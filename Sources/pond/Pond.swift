import ArgumentParser

/// The `pond` command: every user-facing operation on a pond.
@main
struct Pond: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pond",
    abstract: "DuckPond: a local-first, versioned filesystem for environmental time series.",
    discussion: """
      A pond keeps every change as one atomic commit in a Delta Lake table and can ship \
      those commits to object storage. See docs/ for the user guide.

      Exit codes: 0 success; 1 the operation failed (the message says why); \
      64 the command line was not understood; 2 'pond fsck' found problems.

      The pond is chosen by --pond PATH or the POND environment variable. Read commands \
      take --at VERSION or --at TIME (ISO 8601) to read the pond as it was then.
      """,
    version: PondVersion.current,
    subcommands: [
      Init.self, Mkdir.self, Copy.self, List.self, Cat.self, Rm.self, Mv.self, Ln.self,
      Describe.self, Log.self, Show.self, Status.self, Fsck.self, Remote.self,
    ]
  )
}

/// The version of this build of `pond`.
enum PondVersion {
  static let current = "0.1.0"
}
