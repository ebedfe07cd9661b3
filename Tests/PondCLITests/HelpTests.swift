import Foundation
import Testing

@Suite("pond --help and --version")
struct HelpTests {
  @Test func versionPrintsSemanticVersion() throws {
    let result = try PondBinary.run(["--version"])
    #expect(result.status == 0)
    #expect(
      result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3
    )
  }

  @Test func helpDescribesThePondAndExitCodes() throws {
    let result = try PondBinary.run(["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("USAGE: pond"))
    #expect(result.stdout.contains("Exit codes"))
  }

  @Test func unknownOptionIsAUsageError() throws {
    let result = try PondBinary.run(["--no-such-option"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("--no-such-option"))
  }
}
