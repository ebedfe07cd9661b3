import ArgumentParser
import TLogFS

extension Pond {
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
}
