import Foundation
import Parquet
import Testing

@Suite("Golden vectors (delta-parquet.md §5)")
struct GoldenVectorTests {
  @Test func goldenVector1SingleOptionalInt64() throws {
    let expected = Fixtures.hex(
      """
      5041 5231 1500 151c 151c 2c15 0415 0015 0615 0600 0002 0000 0003 0107 0000 0000
      0000 0015 0219 2c48 0673 6368 656d 6115 0200 1504 2502 1801 7600 1604 191c 191c
      2600 1c15 0419 2500 0619 1801 7615 0016 0416 3e16 3e26 0800 0016 3e16 0426 0816
      3e00 2807 7377 6966 7466 7300 4900 0000 5041 5231
      """)
    let schema = try ParquetSchema([ParquetColumn(name: "v", type: .int64, nullable: true)])
    let (bytes, summary, _) = try Fixtures.write(schema, [.int64s([7, nil])])
    #expect(bytes == expected)
    #expect(bytes.count == 116)
    #expect(summary.size == 116)
    #expect(summary.numRows == 2)
    #expect(summary.columns[0].nullCount == 1)
    #expect(summary.columns[0].min == .int64(7))
    #expect(summary.columns[0].max == .int64(7))
  }

  @Test func goldenVector2SixColumns() throws {
    let expected = Fixtures.hex(
      """
      504152311500152015202c15041500150615060000010000000000000002000000000000001500151815182c15041500
      1506150600000200000003010200000068691500151415142c15041500150615060000020000000302ffffffff150015
      0e150e2c15041500150615060000020000000303011500152015202c1504150015061506000002000000030300000000
      0200000000ff1500151c151c2c1504150015061506000002000000030140b2efd6d21906001502197c4806736368656d
      61150c00150425001802696400150c250218046e616d6525004c1c0000001502250218046d6f6465001500250218026f
      6b00150c25021804626c6f6200150425021802747325144c8c111c2c00000000001604191c196c26001c150419250006
      191802696415001604164216422608000026001c150c192500061918046e616d6515001604163a163a264a000026001c
      1502192500061918046d6f64651500160416361636268401000026001c1500192500061918026f6b1500160416301630
      26ba01000026001c150c19250006191804626c6f62150016041642164226ea01000026001c1504192500061918027473
      15001604163e163e26ac02000016e2021604260816e20200280773776966746673001d01000050415231
      """)
    let (bytes, summary, _) = try Fixtures.write(Fixtures.golden2Schema, Fixtures.golden2Columns)
    #expect(bytes == expected)
    #expect(summary.size == 474)
    #expect(summary.numRows == 2)
    #expect(summary.columns.map(\.nullCount) == [0, 1, 1, 0, 0, 1])
    #expect(
      summary.columns.map(\.min) == [
        .int64(1), .string("hi"), .int32(-1), nil, nil,
        .timestamp(microseconds: 1_717_243_200_123_456),
      ])
    #expect(
      summary.columns.map(\.max) == [
        .int64(2), .string("hi"), .int32(-1), nil, nil,
        .timestamp(microseconds: 1_717_243_200_123_456),
      ])
  }

  @Test func goldenVector2ReadsBack() throws {
    let (bytes, _, _) = try Fixtures.write(Fixtures.golden2Schema, Fixtures.golden2Columns)
    let reader = try ParquetReader(bytes: bytes)
    #expect(reader.schema == Fixtures.golden2Schema)
    #expect(reader.numRows == 2)
    #expect(reader.createdBy == "swiftfs")
    #expect(try reader.readAllColumns() == Fixtures.golden2Columns)
  }
}
