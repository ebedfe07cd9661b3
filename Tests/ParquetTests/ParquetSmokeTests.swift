import Testing
@testable import Parquet

@Suite("Parquet builds")
struct ParquetSmokeTests {
  @Test func moduleLinks() {
    #expect(Bool(true))
  }
}
