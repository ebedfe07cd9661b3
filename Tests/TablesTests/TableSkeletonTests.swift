import TLogFS
import Testing

@Suite struct TableInfoTests {
  @Test func holdsWhatItIsGiven() {
    let info = TableInfo(rows: 3, schema: "time:timestamp", timeColumn: "time", timeRange: 1...5)
    #expect(info.rows == 3 && info.timeRange == 1...5)
  }
}
