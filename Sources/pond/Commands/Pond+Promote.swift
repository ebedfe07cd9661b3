import ArgumentParser
import Replication

extension Pond {
  /// `pond promote`: makes a read-only replica writable.
  struct Promote: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "promote",
      abstract: "Make a read-only replica writable.",
      discussion: """
        The replica's history continues from its head. Its remote 'origin' stays: a push there \
        continues the history, and is refused (exit 3, diverged) if the old writer pushed meanwhile.
        """)

    @OptionGroup var location: PondLocation

    func run() throws {
      try reportingFailures("promote") { output in
        let origin = try Replicator.promote(pondRoot: try location.path())
        output.confirm(
          "The pond is writable; it was a replica of \(origin)", command: "promote",
          done: "the pond was promoted")
      }
    }
  }
}
