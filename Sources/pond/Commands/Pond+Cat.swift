import ArgumentParser
import TLogFS

extension Pond {
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
        // A failing write (a full disk, a closed pipe) comes back as the output's own error.
        for path in paths { try store.streamFile(path, fileSystem) { try output.write($0) } }
      }
    }
  }
}
