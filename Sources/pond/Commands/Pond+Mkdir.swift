import ArgumentParser

extension Pond {
  struct Mkdir: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "mkdir", abstract: "Create pond directories.")

    @OptionGroup var pond: WritablePond

    @Flag(name: .short, help: "Create missing parent directories; an existing directory is fine.")
    var parents = false

    @Argument(help: "Pond paths of the directories to create.")
    var paths: [String]

    func validate() throws {
      if paths.isEmpty { throw ValidationError("name at least one directory to create") }
    }

    func run() throws {
      try pond.change("mkdir") { fileSystem in
        for path in paths { try fileSystem.createDirectory(path, withParents: parents) }
      }
    }
  }
}
