import Testing

@testable import DeltaLog

@Suite("JSON codec")
struct JSONTests {
  @Test func int64ExtremesRoundTripExactly() throws {
    let text = #"{"a":9223372036854775807,"b":-9223372036854775808,"c":1767225600000123}"#
    let value = try JSONValue.parse(text)
    #expect(value["a"] == .int(Int64.max))
    #expect(value["b"] == .int(Int64.min))
    #expect(value["c"] == .int(1_767_225_600_000_123))
    #expect(value.serialized == text)
  }

  @Test func fractionsExponentsAndOverflowBecomeDouble() throws {
    #expect(try JSONValue.parse("1.5") == .double(1.5))
    #expect(try JSONValue.parse("1e3") == .double(1000))
    #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
  }

  @Test func slashesAreNotEscapedAndControlsAre() throws {
    let value = JSONValue.string("a/b\"c\\d\n\u{01}é")
    #expect(value.serialized == #""a/b\"c\\d\n\u0001é""#)
    #expect(try JSONValue.parse(value.serialized) == value)
  }

  @Test func escapesAndSurrogatePairsDecode() throws {
    #expect(try JSONValue.parse(#""\/\u00e9\ud83d\ude00\t""#) == .string("/é😀\t"))
  }

  @Test func memberOrderIsKept() throws {
    let text = #"{"z":1,"a":[true,false,null],"m":{}}"#
    #expect(try JSONValue.parse(text).serialized == text)
  }

  @Test(arguments: [
    #"{"a":1"#, #"{"a":1}x"#, #"{"a":}"#, "", "tru", #""abc"#, #"{"a":01}"#, #""\ud800""#,
    "[1,]", #"{"a" 1}"#, "-", "1.", String(repeating: "[", count: 100),
  ])
  func invalidTextIsRejected(_ text: String) {
    #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
  }

  @Test func invalidUTF8InStringIsRejected() {
    let bytes: [UInt8] = [0x22, 0xFF, 0xFE, 0x22]
    #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
  }

  @Test func errorNamesTheOffset() {
    do {
      _ = try JSONValue.parse(#"{"a":1,"b":"#)
      Issue.record("expected an error")
    } catch {
      #expect(error.offset == 11)
    }
  }
}
