import ArgumentParser

extension Pond {
  struct Ln: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ln",
      abstract: "Create a symbolic link in the pond: pond ln -s TARGET LINK.")

    @OptionGroup var pond: WritablePond

    @Flag(name: .short, help: "Make a symbolic link (the only kind of link a pond has).")
    var symbolic = false

    @Argument(help: "What the link points to (need not exist).")
    var target: String

    @Argument(help: "The pond path of the new link.")
    var link: String

    func validate() throws {
      if !symbolic { throw ValidationError("a pond has only symbolic links: use 'pond ln -s'") }
    }

    func run() throws {
      try pond.change("ln") { fileSystem in
        try fileSystem.createSymlink(link, target: target)
      }
    }
  }
}
