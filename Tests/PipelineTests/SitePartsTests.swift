import Testing

@testable import Pipeline

@Suite("pond site build: parts")
struct SitePartsTests {
  @Test(
    "column families: a band for avg with min and max, lines for the rest and for other columns")
  func charts() {
    let columns = [
      "rain_mm_sum", "rain_mm_count", "temp_c_avg", "temp_c_min", "temp_c_max", "temp_c_count",
      "level_avg", "odd_name",
    ]
    #expect(
      SiteChart.charts(of: columns) == [
        SiteChart(
          title: "rain_mm", kind: "lines", columns: [0, 1],
          labels: ["rain_mm_sum", "rain_mm_count"]),
        SiteChart(title: "temp_c", kind: "bars", columns: [3, 2, 4], labels: ["temp_c"]),
        SiteChart(title: "temp_c (count)", kind: "lines", columns: [5], labels: ["temp_c_count"]),
        SiteChart(title: "level", kind: "lines", columns: [6], labels: ["level_avg"]),
        SiteChart(title: "odd_name", kind: "lines", columns: [7], labels: ["odd_name"]),
      ])
  }

  @Test("page directories: safe in a URL, one per pond path")
  func fileNames() {
    #expect(SiteSeries.fileName(for: "/reduced/lake") == "reduced_2Flake")
    #expect(SiteSeries.fileName(for: "/r/a b/é_1") == "r_2Fa_20b_2F_C3_A9_5F1")
    // `_` is escaped too, so a name holding `_2F` cannot meet a path with a `/` there.
    #expect(SiteSeries.fileName(for: "/r/a_2Fb") != SiteSeries.fileName(for: "/r/a/b"))
  }

  @Test("info: $n are the series glob's captures, $$ is $, and a capture it lacks is refused")
  func infoPath() throws {
    let configuration = SiteConfiguration(
      title: "t", series: "/reduced/*/*", info: "/hydrovu/$2/$1/$$.json")
    #expect(try configuration.infoPath(captures: ["a", "b"]) == "/hydrovu/b/a/$.json")
    #expect(try SiteConfiguration(title: "t").infoPath(captures: ["a"]) == nil)
    #expect {
      try SiteConfiguration(title: "t", info: "/x/$3").infoPath(captures: ["a"])
    } throws: { error in
      "\(error)".contains("$3, but the series glob /reduced/* has 1 wildcard(s)")
    }
    #expect(throws: SiteError.self) {
      try SiteConfiguration(title: "t", info: "/x/$").infoPath(captures: ["a"])
    }
  }

  @Test("data files: numbers as Swift's shortest round-trip text, null for none, one row a line")
  func dataFile() {
    let text = SitePages.data(
      resolution: "1h", number: 316,
      rows: [
        SiteRow(time: 1_706_400_000_000, values: [.number(0.1 + 0.2), .integer(6), .none]),
        SiteRow(time: 1_706_403_600_000, values: [.number(1e-7), .integer(-1), .number(2)]),
      ])
    #expect(
      String(decoding: text, as: UTF8.self) == """
        pondSite.register("1h", 316, [
        [1706400000000,0.30000000000000004,6,null],
        [1706403600000,1e-07,-1,2.0]
        ]);

        """)
  }

  @Test("manifest 'from': table versions as runs")
  func runs() {
    #expect(SiteBuilder.runs([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10")
    #expect(SiteBuilder.runs([]) == "")
  }
}
