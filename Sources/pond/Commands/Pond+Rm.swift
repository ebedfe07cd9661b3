import ArgumentParser

extension Pond {
  struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rm",
      abstract: "Remove pond files, series, links and (with -r) directories; history keeps them.")

    @OptionGroup var pond: WritablePond

    @Flag(name: .short, help: "Remove directories and everything below them.")
    var recursive = false

    @Argument(help: "Pond paths to remove.")
    var paths: [String]

    func run() throws {
      try pond.change("rm") { fileSystem in
        for path in paths { try fileSystem.remove(path, recursive: recursive) }
      }
    }
  }
}
