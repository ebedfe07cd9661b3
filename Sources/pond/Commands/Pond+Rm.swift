import ArgumentParser
import TLogFS
import TinyFS

extension Pond {
  struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Remove pond files, series, links and (with -r) directories; history keeps them.")

    @OptionGroup var pond: WritablePond

    @Flag(name: .short, help: "Remove directories and everything below them.")
    var recursive = false

    @Argument(help: "Pond paths to remove.")
    var paths: [String]

    func run() throws {
      try reportingFailures("rm") { _ in
        let store = try pond.open()
        try store.change(commandLine: Invocation.commandLine) { fileSystem in
          for path in paths {
            let info = try fileSystem.lstat(path)
            if info.path == "/" {
              throw PondError(
                .invalidArgument, path: path, "is the root directory, which can never be removed",
                hint: "remove what is in it instead, e.g. 'pond rm -r /NAME'")
            }
            if info.entryType == .directory && !recursive && info.size > 0 {
              throw PondError(
                .invalidArgument, path: path, "is a non-empty directory",
                hint: "use 'pond rm -r' to remove it and everything below it")
            }
            try fileSystem.remove(path, recursive: recursive)
          }
        }
      }
    }
  }
}
