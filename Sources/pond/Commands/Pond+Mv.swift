import ArgumentParser

extension Pond {
  struct Mv: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "mv",
      abstract: "Move or rename a pond path (into a directory when the destination is one).")

    @OptionGroup var pond: WritablePond

    @Argument(help: "The pond path to move.")
    var source: String

    @Argument(help: "The new pond path, or an existing directory to move into.")
    var destination: String

    func run() throws {
      try pond.change("mv") { fileSystem in
        try fileSystem.move(source, to: destination)
      }
    }
  }
}
