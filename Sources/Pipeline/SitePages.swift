import FoundationEssentials
import ObjectStore
import PondTime
import Tables

/// One chart of a series page: a column family (`temp_c` from `temp_c_avg`, `temp_c_min`...) drawn as an
/// average with a min-max band, or columns drawn as plain lines.
struct SiteChart: Encodable, Equatable {
  var title: String
  /// `bars` (dygraphs' customBars: `columns` are min, avg, max) or `lines`.
  var kind: String
  /// Indices into the series' value columns.
  var columns: [Int]
  var labels: [String]

  /// The charts of `columns`: per family (the name before `_<aggregation>`), a band when it has avg, min and
  /// max, and lines for its other aggregations; a column of no family is a line of its own.
  static func charts(of columns: [String]) -> [SiteChart] {
    let aggregations = Set(ReduceAggregation.allCases.map(\.rawValue))
    var families: [(name: String, members: [(aggregation: String, index: Int)])] = []
    for (index, column) in columns.enumerated() {
      var family = column
      var aggregation = ""
      if let underscore = column.lastIndex(of: "_"),
        aggregations.contains(String(column[column.index(after: underscore)...]))
      {
        family = String(column[..<underscore])
        aggregation = String(column[column.index(after: underscore)...])
      }
      if let existing = families.firstIndex(where: { $0.name == family }), !aggregation.isEmpty {
        families[existing].members.append((aggregation, index))
      } else {
        families.append((family, [(aggregation, index)]))
      }
    }
    var charts: [SiteChart] = []
    for family in families {
      func index(_ aggregation: String) -> Int? {
        family.members.first { $0.aggregation == aggregation }?.index
      }
      var rest = family.members
      if let avg = index("avg"), let min = index("min"), let max = index("max") {
        charts.append(
          SiteChart(
            title: family.name, kind: "bars", columns: [min, avg, max], labels: [family.name]))
        rest.removeAll { ["avg", "min", "max"].contains($0.aggregation) }
      }
      if !rest.isEmpty {
        let names = rest.map { columns[$0.index] }
        charts.append(
          SiteChart(
            title: charts.last?.title == family.name
              ? "\(family.name) (\(rest.map(\.aggregation).joined(separator: ", ")))" : family.name,
            kind: "lines", columns: rest.map(\.index), labels: names))
      }
    }
    return charts
  }
}

/// What the index shows of one series, and its page.
struct SiteSummary {
  var series: SiteSeries
  /// The finest resolution's newest bucket, when any.
  var latest: SiteRow?
}

/// The HTML of the index and the series pages.
enum SitePages {
  /// `2024-06-01 12:00 UTC`.
  static func time(_ milliseconds: Int64) -> String {
    guard let text = UTCMilliseconds(rawValue: milliseconds).iso8601 else {
      return "\(milliseconds) ms"
    }
    return text.prefix(10) + " " + text.dropFirst(11).prefix(5) + " UTC"
  }

  static func range(_ series: SiteSeries) -> String {
    guard let range = series.range else { return "no data yet" }
    return "\(time(range.lowerBound)) – \(time(range.upperBound))"
  }

  static func location(_ station: SiteStation?) -> String {
    guard let station else { return "" }
    var parts: [String] = []
    if let latitude = station.latitude, let longitude = station.longitude {
      parts.append("\(latitude), \(longitude)")
    }
    if let description = station.description, !description.isEmpty { parts.append(description) }
    return parts.map(\.xmlEscaped).joined(separator: "<br>")
  }

  static func latest(_ summary: SiteSummary) -> String {
    guard let row = summary.latest else { return "" }
    let values = zip(summary.series.columns, row.values).map { "\($0) = \($1.script)" }
    return "<span class=\"latest\">\(values.joined(separator: ", ").xmlEscaped)</span><br>"
      + "<span class=\"meta\">at \(time(row.time))</span>"
  }

  static func head(title: String, root: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(title.xmlEscaped)</title>
    <link rel="icon" type="image/svg+xml" href="\(root)icon.svg">
    <link rel="stylesheet" href="\(root)dygraph.min.css">
    <link rel="stylesheet" href="\(root)site.css">
    </head>

    """
  }

  static func index(title: String, summaries: [SiteSummary]) -> String {
    var html = head(title: title, root: "")
    html += "<body>\n<h1>\(title.xmlEscaped)</h1>\n<table class=\"series\">\n"
    html += "<tr><th>series</th><th>location</th><th>time range</th><th>latest values</th></tr>\n"
    for summary in summaries {
      let series = summary.series
      let name =
        series.station?.name.map {
          "\($0.xmlEscaped)<br><span class=\"meta\">\(series.name.xmlEscaped)</span>"
        } ?? series.name.xmlEscaped
      html +=
        "<tr><td><a href=\"series/\(series.directory)/index.html\">\(name)</a></td>"
        + "<td>\(location(series.station))</td><td>\(range(series))</td><td>\(latest(summary))</td></tr>\n"
    }
    html += "</table>\n</body>\n</html>\n"
    return html
  }

  /// The page's configuration for `pondSite.start`.
  struct PageData: Encodable {
    struct Resolution: Encodable {
      var name: String
      var ms: Int64
      var spanMs: Int64
      var chunks: [Int64]
    }
    var name: String
    var columns: [String]
    var charts: [SiteChart]
    var resolutions: [Resolution]
    var range: [Int64]?
  }

  static func page(title: String, summary: SiteSummary) throws -> String {
    let series = summary.series
    let charts = SiteChart.charts(of: series.columns)
    let data = PageData(
      name: series.name, columns: series.columns, charts: charts,
      resolutions: series.resolutions.filter { !$0.versions.isEmpty }.map {
        .init(
          name: $0.name, ms: $0.resolution.microseconds / 1000, spanMs: $0.spanMilliseconds,
          chunks: $0.chunks)
      },
      range: series.range.map { [$0.lowerBound, $0.upperBound] })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // `<` escaped so that no text in the data can close the script element.
    let json = String(decoding: try encoder.encode(data), as: UTF8.self)
      .replacing("<", with: "\\u003C")
    let root = "../../"
    var html = head(title: "\(series.station?.name ?? series.name) – \(title)", root: root)
    html += "<body>\n<header><a href=\"\(root)index.html\">\(title.xmlEscaped)</a></header>\n"
    html += "<h1>\((series.station?.name ?? series.name).xmlEscaped)</h1>\n"
    html += "<p class=\"meta\">\(series.path.xmlEscaped) · \(range(series))"
    html += " · resolutions \(series.resolutions.map(\.name).joined(separator: ", "))</p>\n"
    let location = location(series.station)
    if !location.isEmpty { html += "<p class=\"meta\">\(location)</p>\n" }
    if summary.latest != nil { html += "<p>Latest: \(latest(summary))</p>\n" }
    html += "<button type=\"button\" onclick=\"pondSite.whole()\">whole range</button>\n"
    for index in charts.indices {
      html += "<div class=\"legend\" id=\"legend-\(index)\"></div>\n"
      html += "<div class=\"chart\" id=\"chart-\(index)\"></div>\n"
    }
    html += "<script src=\"\(root)dygraph.min.js\"></script>\n"
    html += "<script src=\"\(root)site.js\"></script>\n"
    html += "<script>pondSite.start(\(json));</script>\n</body>\n</html>\n"
    return html
  }

  /// A data file: one call registering chunk `number` of `resolution` with its rows.
  static func data(resolution: String, number: Int64, rows: [SiteRow]) -> [UInt8] {
    var text = "pondSite.register(\"\(resolution)\", \(number), [\n"
    for (index, row) in rows.enumerated() {
      text += "[\(row.time)"
      for value in row.values { text += "," + value.script }
      text += index == rows.count - 1 ? "]\n" : "],\n"
    }
    text += "]);\n"
    return Array(text.utf8)
  }
}
