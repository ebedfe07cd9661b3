import ArgumentParser
import TLogFS
import TinyFS

extension Pond {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List pond paths matching globs (* ? [..] and ** for any depth).",
      discussion: """
        A directory is listed by its entries; a pattern lists its matches, sorted by their bytes \
        (a pattern that matches nothing is an error, exit 1). Names compare by their exact UTF-8 \
        bytes; ? matches one Unicode scalar.
        """)

    @OptionGroup var location: PondLocation
    @OptionGroup var at: AtOption

    @Flag(name: .short, help: "Long format: type, size, version, node id.")
    var long = false

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "Pond paths or glob patterns (default: /).")
    var patterns: [String] = []

    struct Entry: Encodable {
      var path: String
      var type: String
      var size: UInt64
      var version: UInt64
      /// Null for an entry of a dynamic directory (it has no node of its own).
      @ExplicitNull var nodeID: String?
      /// Null for anything but a symbolic link.
      @ExplicitNull var symlinkTarget: String?
    }

    func run() throws {
      try reportingFailures("list") { output in
        let store = try location.openForReading()
        let fileSystem = try store.fileSystem(at: try at.version(in: store))
        // Each entry is printed as soon as it is known, so memory holds the matched paths, not the output.
        var array = json ? JSONArrayPrinter(to: output) : nil
        for pattern in patterns.isEmpty ? ["/"] : patterns {
          for path in try fileSystem.paths(listing: pattern) {
            let info = try fileSystem.lstat(path)
            let entry = Entry(
              path: path, type: info.entryType.rawValue, size: info.size, version: info.version,
              nodeID: info.id?.description, symlinkTarget: info.symlinkTarget)
            if array != nil {
              try array!.print(entry)
            } else if long {
              let target = entry.symlinkTarget.map { " -> \($0)" } ?? ""
              try output.line(
                "\(entry.type.rightPadded(9)) "
                  + "\(String(entry.size).leftPadded(12)) v\(String(entry.version).rightPadded(4)) "
                  + "\(entry.nodeID ?? "-") \(entry.path)\(target)")
            } else {
              try output.line(entry.path)
            }
          }
        }
        try array?.finish()
      }
    }
  }
}
