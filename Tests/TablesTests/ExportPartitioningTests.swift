import Parquet
import PondTime
import Tables
import Testing

@Suite("ExportPartitioning: --temporal lists and UTC periods")
struct ExportPartitioningTests {
  static func micros(_ text: String) -> Int64 {
    UTCMicroseconds(iso8601: text)!.rawValue
  }

  @Test(arguments: ["year", "year,month", "year,month,day", "year,month,day,hour", " year , month"])
  func listsThatArePrefixesParse(_ text: String) throws {
    let partitioning = try ExportPartitioning(parsing: text)
    #expect(partitioning.description == text.replacing(" ", with: ""))
  }

  @Test(arguments: [
    "", "day", "month,year", "year,day", "year,month,day,hour,minute", "year,", "Year",
  ])
  func otherListsAreRefused(_ text: String) {
    #expect(throws: TableError.self) { try ExportPartitioning(parsing: text) }
  }

  @Test(arguments: [
    ("year", "2024-06-01T12:34:56Z", "year=2024", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
    (
      "year,month", "2024-02-29T23:59:59.999999Z", "year=2024/month=02", "2024-02-01T00:00:00Z",
      "2024-03-01T00:00:00Z"
    ),
    (
      "year,month", "2023-12-31T23:00:00Z", "year=2023/month=12", "2023-12-01T00:00:00Z",
      "2024-01-01T00:00:00Z"
    ),
    (
      "year,month,day", "2024-06-01T00:00:00Z", "year=2024/month=06/day=01",
      "2024-06-01T00:00:00Z", "2024-06-02T00:00:00Z"
    ),
    (
      "year,month,day,hour", "1969-12-31T23:59:59.5Z", "year=1969/month=12/day=31/hour=23",
      "1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z"
    ),
    (
      "year,month,day,hour", "2024-06-01T09:00:00Z", "year=2024/month=06/day=01/hour=09",
      "2024-06-01T09:00:00Z", "2024-06-01T10:00:00Z"
    ),
  ])
  func periodsInMicroseconds(
    levels: String, instant: String, directory: String, start: String, end: String
  ) throws {
    let period = try ExportPartitioning(parsing: levels).period(
      of: Self.micros(instant), unit: .microseconds)
    #expect(period.directory == directory)
    #expect(period.range == Self.micros(start)..<Self.micros(end))
    #expect(period.contains(Self.micros(instant)))
  }

  @Test func everyUnitGivesThePeriodOfTheSameInstant() throws {
    let day = try ExportPartitioning(parsing: "year,month,day")
    let micros = Self.micros("2024-06-01T23:59:59.999Z")
    let milli = day.period(of: micros / 1000, unit: .milliseconds)
    let nano = day.period(of: micros * 1000, unit: .nanoseconds)
    #expect(milli.directory == "year=2024/month=06/day=01")
    #expect(nano.directory == milli.directory)
    #expect(nano.range.upperBound == Self.micros("2024-06-02T00:00:00Z") * 1000)
    #expect(!nano.contains(Self.micros("2024-06-02T00:00:00Z") * 1000))
    // Nanoseconds reach 2262: the bounds of its year are clamped, its instants still inside.
    let late = try ExportPartitioning(parsing: "year").period(of: .max, unit: .nanoseconds)
    #expect(late.directory == "year=2262")
  }

  @Test func nullTimesHaveTheHiveDefaultPartition() throws {
    #expect(
      try ExportPartitioning(parsing: "year,month").nullPeriod.directory
        == "year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__")
  }
}
