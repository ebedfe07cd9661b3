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
        for path in paths {
          // The store reports a failing sink as a failure to read its content; the output's own error is
          // the one to report.
          var outputFailure: StandardOutputError?
          do {
            try store.streamFile(path, fileSystem) { bytes in
              do {
                try output.write(bytes)
              } catch let error as StandardOutputError {
                outputFailure = error
                throw error
              }
            }
          } catch {
            throw outputFailure ?? error
          }
        }
      }
    }
  }
}
