import Testing
@testable import DeltaLog

@Suite("DeltaLog builds")
struct DeltaLogSmokeTests {
  @Test func moduleLinks() {
    #expect(Bool(true))
  }
}
