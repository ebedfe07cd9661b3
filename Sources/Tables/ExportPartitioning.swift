public import Parquet
import PondTime

/// How `pond export --temporal` partitions rows by their time: `year`, `year,month`, `year,month,day` or
/// `year,month,day,hour`, in UTC, as hive directories (`year=2024/month=06/day=01`).
public struct ExportPartitioning: Sendable, Hashable, CustomStringConvertible {
  /// One level of the partitioning.
  public enum Level: String, Sendable, Hashable, CaseIterable {
    case year, month, day, hour
  }

  /// The levels, always a prefix of year, month, day, hour.
  public let levels: [Level]

  /// The directory name of each level for rows whose time is null (pyarrow's and Hive's null partition).
  public static let nullPartition = "__HIVE_DEFAULT_PARTITION__"

  /// Parses `year,month,day` (the `--temporal` list): a prefix of `year,month,day,hour`.
  public init(parsing text: String) throws(TableError) {
    let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingSpaces()
    }
    let all = Level.allCases
    guard !names.isEmpty, names.count <= all.count,
      zip(names, all).allSatisfy({ $0 == $1.rawValue })
    else {
      throw TableError(
        .export,
        reason:
          "--temporal \"\(text)\" is not one of year, year,month, year,month,day or year,month,day,hour"
      )
    }
    levels = Array(all.prefix(names.count))
  }

  public var description: String { levels.map(\.rawValue).joined(separator: ",") }

  /// The partition of an instant: its directory (`year=2024/month=06`) and the half-open range of instants
  /// it holds, in `unit`s since the epoch.
  public struct Period: Sendable, Hashable {
    /// The hive directory, relative to the table's export directory.
    public let directory: String
    /// The instants of this period (empty for the null partition).
    public let range: Range<Int64>

    public func contains(_ instant: Int64) -> Bool { range.contains(instant) }
  }

  /// The null partition: every level `__HIVE_DEFAULT_PARTITION__`.
  public var nullPeriod: Period {
    Period(
      directory: levels.map { "\($0.rawValue)=\(Self.nullPartition)" }.joined(separator: "/"),
      range: 0..<0)
  }

  /// The period of `instant`, a count of `unit`s since 1970-01-01T00:00:00Z.
  public func period(of instant: Int64, unit: ParquetTimeUnit) -> Period {
    let seconds = instant.dividedRoundingDown(by: unit.perSecond)
    let days = seconds.dividedRoundingDown(by: 86_400)
    let hour = (seconds - days * 86_400) / 3600
    let (year, month, day) = CivilDate.from(daysSinceEpoch: days)
    var startSeconds: Int64
    var endSeconds: Int64
    var parts = ["year=\(year)"]
    switch levels.count {
    case 1:
      startSeconds = CivilDate.daysSinceEpoch(year: year, month: 1, day: 1) * 86_400
      endSeconds = CivilDate.daysSinceEpoch(year: year + 1, month: 1, day: 1) * 86_400
    case 2:
      startSeconds = CivilDate.daysSinceEpoch(year: year, month: month, day: 1) * 86_400
      endSeconds =
        (startSeconds / 86_400 + CivilDate.daysIn(month: month, year: year)) * 86_400
    case 3:
      startSeconds = days * 86_400
      endSeconds = startSeconds + 86_400
    default:
      startSeconds = days * 86_400 + hour * 3600
      endSeconds = startSeconds + 3600
    }
    if levels.count > 1 { parts.append("month=\(Self.twoDigits(month))") }
    if levels.count > 2 { parts.append("day=\(Self.twoDigits(day))") }
    if levels.count > 3 { parts.append("hour=\(Self.twoDigits(hour))") }
    return Period(
      directory: parts.joined(separator: "/"),
      range: ParquetTimeUnitScale.clampedProduct(
        startSeconds, unit.perSecond)..<ParquetTimeUnitScale.clampedProduct(
          endSeconds, unit.perSecond))
  }

  private static func twoDigits(_ value: Int64) -> String {
    value < 10 ? "0\(value)" : "\(value)"
  }

}

extension Substring {
  fileprivate func trimmingSpaces() -> String {
    String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
  }
}
