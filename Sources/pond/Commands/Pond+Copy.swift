import ArgumentParser
import TLogFS

extension Pond {
  struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "copy",
      abstract: "Copy host files into the pond, or pond files out to a host directory.",
      discussion: """
        In: pond copy HOST_PATH... POND_PATH copies host files, directories (recursively) and \
        globs into the pond in one commit. With one source the pond path is the new name unless it \
        is an existing directory; with several it must be an existing directory.
        Out: pond copy --out POND_PATH_OR_GLOB... HOST_DIR writes pond files, directories and \
        glob matches (at --at) into an existing host directory.
        Files of 64 KiB or more are streamed into data/_large_files (stored once per content); so \
        are smaller ones once a command holds 32 MiB of them. A symbolic link named as a source is \
        followed; one inside a copied directory is copied as a link. One command appends to a \
        given series once. Copying out, two sources with the same host name, or a named link \
        that points nowhere, are refused before anything is written.
        """)

    @OptionGroup var pond: WritablePond
    @OptionGroup var at: AtOption

    @Flag(help: "Append each host file to the series of the same name (created if missing).")
    var series = false

    @Flag(help: "Copy from the pond out to a host directory.")
    var out = false

    @Argument(help: "Sources, then the destination.")
    var paths: [String]

    func validate() throws {
      if paths.count < 2 { throw ValidationError("give at least one source and a destination") }
      if out && series { throw ValidationError("--series only applies when copying into the pond") }
      if !out && at.at != nil { throw ValidationError("--at only applies to 'copy --out'") }
      if out && pond.wait {
        throw ValidationError(
          "--wait only applies when copying into the pond ('copy --out' only reads)")
      }
    }

    func run() throws {
      try reportingFailures("copy") { output in
        let sources = Array(paths.dropLast())
        let destination = paths.last!
        if out {
          let store = try pond.location.openForReading()
          let report = try store.copyOut(
            patterns: sources, to: destination, at: try at.version(in: store))
          try output.line(
            "Copied \(report.written.count) file(s), \(report.bytes) bytes, to \(destination)")
        } else {
          let store = try pond.open()
          let before = store.head
          let report = try store.copyIn(
            hostSources: sources, to: destination, series: series,
            commandLine: Invocation.commandLine)
          if store.head == before {
            try output.line(
              "Nothing to copy: the pond already holds what \(sources.count == 1 ? "the source holds" : "the sources hold"); "
                + "no new version, the pond stays at version \(before)")
          } else {
            output.confirm(
              "Copied \(report.written.count) file(s), \(report.bytes) bytes, as version \(store.head)",
              command: "copy", done: "the copy was committed as version \(store.head)")
          }
        }
      }
    }
  }
}
