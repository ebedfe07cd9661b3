import ArgumentParser
import TLogFS
import TinyFS

extension Pond {
  struct Mv: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Move or rename a pond path (into a directory when the destination is one).")

    @OptionGroup var pond: WritablePond

    @Argument(help: "The pond path to move.")
    var source: String

    @Argument(help: "The new pond path, or an existing directory to move into.")
    var destination: String

    func run() throws {
      try reportingFailures("mv") { _ in
        let store = try pond.open()
        try store.change(commandLine: Invocation.commandLine) { fileSystem in
          var target = destination
          // Into an existing directory, under the source's own name (as the file system stores it: exact bytes).
          if let info = try? fileSystem.stat(destination), info.entryType.isDirectory,
            let name = try? fileSystem.lstat(source).name, !name.isEmpty
          {
            target =
              (destination.utf8.last == UInt8(ascii: "/") ? destination : destination + "/") + name
          }
          try fileSystem.rename(source, to: target)
        }
      }
    }
  }
}
