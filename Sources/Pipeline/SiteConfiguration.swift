import TinyFS

/// What `pond site build` (and the `Site` resource) publishes: which reduce outputs, how the pages are titled,
/// where each station's description comes from, and where dygraphs is installed.
public struct SiteConfiguration: Sendable, Equatable {
  /// The site's title, on every page.
  public var title: String
  /// A pond glob of `pond reduce` output directories, each holding `res=<resolution>` series of tables; one
  /// page per match, named by the glob's captures (or the match's last path component when it has none).
  public var series: String
  /// A pond path with `$1`...`$N` standing for the captures of `series` (`$$` is `$`): a station's
  /// description, `{"id", "name", "description", "latitude", "longitude"}` as the HydroVu collector writes
  /// it. Optional; a match whose file is missing is shown without a location.
  public var info: String?
  /// The host directory holding `dygraph.min.js` and `dygraph.min.css` (Debian's `libjs-dygraphs`).
  public var dygraphs: String

  /// The default of `series`: every output of the example reduce configuration (`/reduced/$1`).
  public static let defaultSeries = "/reduced/*"
  /// The title when none is given (`pond site build` and the `Site` resource alike).
  public static let defaultTitle = "DuckPond"
  /// Where Debian's `libjs-dygraphs` installs dygraphs.
  public static let defaultDygraphs = "/usr/share/javascript/dygraphs"

  public init(
    title: String, series: String = SiteConfiguration.defaultSeries, info: String? = nil,
    dygraphs: String = SiteConfiguration.defaultDygraphs
  ) {
    self.title = title
    self.series = series
    self.info = info
    self.dygraphs = dygraphs
  }

  /// `info` with `$1`... replaced by `captures` (`$$` is `$`), or nil without `info`.
  /// - Throws: `SiteError` for a `$` not followed by a capture number or `$`, or a number beyond the
  ///   captures of `series`.
  func infoPath(captures: [String]) throws(SiteError) -> String? {
    guard let info else { return nil }
    do {
      return try CapturePattern.substitute(info, captures: captures)
    } catch {
      switch error {
      case .dollarWithoutNumber:
        throw SiteError(
          .configuration, path: info,
          "info: \"$\" must be followed by a capture number ($1...) or \"$\"")
      case .beyondCaptures(let number, let available):
        throw SiteError(
          .configuration, path: info,
          "info: $\(number), but the series glob \(series) has \(available) wildcard(s)")
      }
    }
  }
}
