import Testing
@testable import TinyFS

@Suite("TinyFS builds")
struct TinyFSSmokeTests {
  @Test func moduleLinks() {
    #expect(Bool(true))
  }
}
