import PondTime
import Testing

@Suite("UTC time")
struct UTCTimeTests {
  @Test(arguments: [
    (Int64(1_717_243_200_123), "2024-06-01T12:00:00.123Z"),
    (Int64(0), "1970-01-01T00:00:00.000Z"),
    (Int64(-1), "1969-12-31T23:59:59.999Z"),
    (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
    (Int64(253_402_300_799_999), "9999-12-31T23:59:59.999Z"),
    (Int64(-62_135_596_800_000), "0001-01-01T00:00:00.000Z"),
  ])
  func formatsAndParsesBack(_ milliseconds: Int64, _ text: String) {
    let instant = UTCMilliseconds(rawValue: milliseconds)
    #expect(instant.iso8601 == text)
    #expect(UTCMilliseconds(iso8601: text) == instant)
  }

  @Test func yearsOutsideFourDigitsHaveNoISOText() {
    #expect(UTCMilliseconds(rawValue: 253_402_300_800_000).iso8601 == nil)
    #expect(UTCMilliseconds(rawValue: -62_135_596_800_001).iso8601 == nil)
    #expect(UTCMilliseconds(rawValue: Int64.min / 1000).iso8601 == nil)
  }

  @Test func microsecondsTruncateDownToMilliseconds() {
    #expect(
      UTCMilliseconds(UTCMicroseconds(rawValue: 1_717_243_200_123_999)).rawValue
        == 1_717_243_200_123)
    #expect(UTCMilliseconds(UTCMicroseconds(rawValue: -1)).rawValue == -1)
    #expect(UTCMilliseconds(UTCMicroseconds(rawValue: -1000)).rawValue == -1)
    #expect(UTCMilliseconds(UTCMicroseconds(rawValue: -1001)).rawValue == -2)
    #expect(UTCMicroseconds(UTCMilliseconds(rawValue: 7)).rawValue == 7000)
  }

  @Test func parsesTheFormsUsersType() {
    let noon = UTCMilliseconds(rawValue: 1_717_243_200_000)
    #expect(UTCMilliseconds(iso8601: "2024-06-01T12:00:00Z") == noon)
    #expect(UTCMilliseconds(iso8601: "2024-06-01T14:00:00+02:00") == noon)
    #expect(UTCMilliseconds(iso8601: "2024-06-01T11:30:00-00:30") == noon)
    #expect(UTCMilliseconds(iso8601: "2024-06-01T12:00:00.5Z")?.rawValue == noon.rawValue + 500)
    #expect(
      UTCMilliseconds(iso8601: "2024-06-01T12:00:00.123999Z")?.rawValue == noon.rawValue + 123)
    #expect(UTCMilliseconds(iso8601: "2024-06-01")?.rawValue == noon.rawValue - 43_200_000)
  }

  @Test(arguments: [
    "", "yesterday", "12", "2024-6-01", "2024-13-01", "2023-02-29", "2024-06-31", "2024-06-01T",
    "2024-06-01T12:00Z", "2024-06-01T24:00:00Z", "2024-06-01T12:00:00", "2024-06-01T12:00:00.Z",
    "2024-06-01T12:00:00+0200", "2024-06-01T12:00:00Z ", "2024-06-01 12:00:00Z",
  ])
  func refusesWhatIsNotAnISOTime(_ text: String) {
    #expect(UTCMilliseconds(iso8601: text) == nil)
  }

  @Test func leapYearsFollowTheGregorianRules() {
    #expect(UTCMilliseconds(iso8601: "2000-02-29") != nil)
    #expect(UTCMilliseconds(iso8601: "1900-02-29") == nil)
    #expect(UTCMilliseconds(iso8601: "2024-02-29") != nil)
  }

  @Test func theClockIsNowAndAgrees() {
    let micro = UTCMicroseconds.now()
    let milli = UTCMilliseconds.now()
    // 2026-01-01 or later, and the two clocks within a second of each other.
    #expect(micro.rawValue > 1_767_225_600_000_000)
    #expect(abs(milli.rawValue - UTCMilliseconds(micro).rawValue) < 1000)
  }
}

@Suite("ISO 8601 with microseconds and lenient forms")
struct ISO8601LenientTests {
  let noon: Int64 = 1_717_243_200_000_000

  @Test func microsecondsAreKept() {
    #expect(UTCMicroseconds(iso8601: "2024-06-01T12:00:00.123456Z")?.rawValue == noon + 123_456)
    #expect(UTCMicroseconds(iso8601: "2024-06-01T12:00:00.1234567Z")?.rawValue == noon + 123_456)
    #expect(UTCMicroseconds(iso8601: "1969-12-31T23:59:59.999999Z")?.rawValue == -1)
  }

  @Test func strictByDefault() {
    #expect(UTCMicroseconds(iso8601: "2024-06-01 12:00:00Z") == nil)
    #expect(UTCMicroseconds(iso8601: "2024-06-01T12:00:00") == nil)
    #expect(UTCMicroseconds(iso8601: "2024-06-01T14:00:00+0200") == nil)
  }

  @Test(arguments: [
    ("2024-06-01 12:00:00", Int64(0)), ("2024-06-01T12:00:00", 0), ("2024-06-01 14:00:00+02:00", 0),
    ("2024-06-01T14:00:00+0200", 0), ("2024-06-01T14:00:00+02", 0), ("2024-06-01T10:30:00-0130", 0),
    ("2024-06-01 12:00:00.5", 500_000), ("2024-06-01", -43_200_000_000),
  ])
  func lenientForms(_ text: String, _ offset: Int64) {
    #expect(UTCMicroseconds(iso8601: text, options: .lenient)?.rawValue == noon + offset)
  }

  @Test(arguments: [
    "2024-06-01  12:00:00", "2024-06-01T12:00:00+2", "2024-06-01T12:00:00+02:0",
    "2024-06-01T12:00:00+0260",
    "2024-06-01 12:00", "2024-06-01T12:00:00 Z",
  ])
  func lenientStillRefusesNonsense(_ text: String) {
    #expect(UTCMicroseconds(iso8601: text, options: .lenient) == nil)
  }

  @Test func nanosecondsFromBytes() {
    let bytes = Array("2024-06-01T12:00:00.123456789+00:00".utf8)
    let time = bytes.withUnsafeBufferPointer { ISO8601Time(parsing: $0) }
    #expect(time == ISO8601Time(seconds: noon / 1_000_000, nanoseconds: 123_456_789))
  }
}
