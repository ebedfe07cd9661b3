import Testing
@testable import ObjectStore

@Suite("ObjectStore builds")
struct ObjectStoreSmokeTests {
  @Test func moduleLinks() {
    #expect(Bool(true))
  }
}
