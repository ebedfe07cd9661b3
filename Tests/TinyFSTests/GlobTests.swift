import Testing
import TinyFS

@Suite("Glob")
struct GlobTests {
  /// /sensors/{a,b,c}/temp.csv, /sensors/b/deep/x/temp.csv, /sensors/a/notes.txt, /top.csv
  func sample() throws -> FileSystem {
    let (fs, _) = try makeFileSystem()
    for station in ["a", "b", "c"] {
      try fs.createDirectory("/sensors/\(station)", withParents: true)
      try fs.writeFile("/sensors/\(station)/temp.csv", contents: [])
    }
    try fs.createDirectory("/sensors/b/deep/x", withParents: true)
    try fs.writeFile("/sensors/b/deep/x/temp.csv", contents: [])
    try fs.writeFile("/sensors/a/notes.txt", contents: [])
    try fs.writeFile("/temp.csv", contents: [])
    return fs
  }

  @Test(
    "many stars on a long name are matched without backtracking; each star captures its shortest run",
    .timeLimit(.minutes(1)))
  func manyStarsOnALongName() throws {
    let (fs, _) = try makeFileSystem()
    let long = String(repeating: "a", count: 200)
    try fs.writeFile("/" + long, contents: [])
    try fs.writeFile("/" + long + "b", contents: [])
    try fs.writeFile("/xayazab", contents: [])
    // The naive recursion tries every split of the 200 a's for each star: it did not end in 20 s.
    let matches = try fs.glob("/*a*a*a*b")
    #expect(matches.map(\.path) == ["/" + long + "b", "/xayazab"])
    #expect(matches[0].captures == ["", "", "", String(repeating: "a", count: 197)])
    #expect(matches[1].captures == ["x", "y", "z", ""])
    #expect(try fs.glob("/x*[y]?*").map(\.captures) == [["a", "y", "a", "zab"]])
    #expect(try fs.glob("/*c*").isEmpty)
  }

  @Test("a wildcard is found byte by byte, also when a combining mark follows it")
  func patternsAreFoundByBytes() {
    #expect(FileSystem.isPattern("/a/*.csv"))
    #expect(FileSystem.isPattern("/h/?\u{301}"))
    #expect(FileSystem.isPattern("/x/[\u{301}ab]"))
    #expect(FileSystem.isPattern("/plain/caf\u{E9}") == false)
  }

  @Test func starCapturesEachDirectory() throws {
    let fs = try sample()
    let matches = try fs.glob("/sensors/*/temp.csv")
    #expect(
      matches.map(\.path) == ["/sensors/a/temp.csv", "/sensors/b/temp.csv", "/sensors/c/temp.csv"])
    #expect(matches.map(\.captures) == [["a"], ["b"], ["c"]])
    #expect(matches.allSatisfy { $0.entryType == .file })
  }

  @Test func doubleStarMatchesAnyDepthIncludingZero() throws {
    let fs = try sample()
    let matches = try fs.glob("/**/temp.csv")
    #expect(
      matches.map(\.path) == [
        "/sensors/a/temp.csv", "/sensors/b/deep/x/temp.csv", "/sensors/b/temp.csv",
        "/sensors/c/temp.csv", "/temp.csv",
      ])
    #expect(
      matches.map(\.captures) == [
        ["sensors/a"], ["sensors/b/deep/x"], ["sensors/b"], ["sensors/c"], [""],
      ])
    let below = try fs.glob("/sensors/b/**/*.csv")
    #expect(below.map(\.path) == ["/sensors/b/deep/x/temp.csv", "/sensors/b/temp.csv"])
    #expect(below.map(\.captures) == [["deep/x", "temp"], ["", "temp"]])
  }

  @Test func trailingDoubleStarMatchesTheDirectoryAndEverythingBelow() throws {
    let fs = try sample()
    let matches = try fs.glob("/sensors/b/**")
    #expect(
      matches.map(\.path) == [
        "/sensors/b", "/sensors/b/deep", "/sensors/b/deep/x", "/sensors/b/deep/x/temp.csv",
        "/sensors/b/temp.csv",
      ])
    #expect(matches.first?.captures == [""])
    #expect(matches.last?.captures == ["temp.csv"])
  }

  @Test(arguments: [
    ("/sensors/?/temp.csv", ["/sensors/a/temp.csv", "/sensors/b/temp.csv", "/sensors/c/temp.csv"]),
    ("/sensors/[ab]/temp.csv", ["/sensors/a/temp.csv", "/sensors/b/temp.csv"]),
    ("/sensors/[b-z]/temp.csv", ["/sensors/b/temp.csv", "/sensors/c/temp.csv"]),
    ("/sensors/[!a]/temp.csv", ["/sensors/b/temp.csv", "/sensors/c/temp.csv"]),
    ("/sensors/[^ab]/temp.csv", ["/sensors/c/temp.csv"]),
    ("/sensors/a/*.txt", ["/sensors/a/notes.txt"]),
    ("/sensors/a/*", ["/sensors/a/notes.txt", "/sensors/a/temp.csv"]),
    ("/sensors/*/nothing", []),
    ("/missing/*", []),
    ("/temp.csv", ["/temp.csv"]),
    ("/sensors/a/../b/temp.csv", ["/sensors/b/temp.csv"]),
  ])
  func characterClassesAndLiterals(_ pattern: String, _ expected: [String]) throws {
    let fs = try sample()
    #expect(try fs.glob(pattern).map(\.path) == expected)
  }

  @Test func capturesOfEveryWildcardInOrder() throws {
    let (fs, _) = try makeFileSystem()
    try fs.createDirectory("/logs")
    try fs.writeFile("/logs/station_12_2024.csv", contents: [])
    let matches = try fs.glob("/l?gs/station_*_[0-9]*.csv")
    #expect(matches.map(\.captures) == [["o", "12", "2", "024"]])
  }

  @Test func escapedWildcardsAreLiteral() throws {
    let (fs, _) = try makeFileSystem()
    try fs.writeFile("/a*b", contents: [])
    try fs.writeFile("/axb", contents: [])
    #expect(try fs.glob("/a\\*b").map(\.path) == ["/a*b"])
    #expect(try fs.glob("/a*b").map(\.path) == ["/a*b", "/axb"])
  }

  @Test func relativePatternStartsAtTheRoot() throws {
    let fs = try sample()
    let matches = try fs.glob("sensors/*/temp.csv")
    #expect(matches.count == 3)
    #expect(matches.first?.path == "/sensors/a/temp.csv")
  }

  @Test func malformedPatternsAreErrors() throws {
    let fs = try sample()
    let unclosed = expectError(.invalidArgument) { try fs.glob("/sensors/[ab") }
    #expect(unclosed?.hint?.contains("no closing ']'") == true)
    expectError(.invalidArgument) { try fs.glob("/[z-a]") }
    expectError(.invalidArgument) { try fs.glob("/a\\") }
    expectError(.invalidName) { try fs.glob("") }
  }

  @Test func doubleStarDoesNotFollowSymlinkLoops() throws {
    let fs = try sample()
    try fs.createSymlink("/sensors/b/deep/loop", target: "/sensors")  // a cycle back up
    try fs.createSymlink("/sensors/self", target: ".")
    let matches = try fs.glob("/**/temp.csv")
    #expect(matches.count == 5)  // the same five as without links: links are not descended
    let all = try fs.glob("/**")
    #expect(all.contains { $0.path == "/sensors/b/deep/loop" && $0.entryType == .symlink })
    #expect(!all.contains { $0.path.hasPrefix("/sensors/b/deep/loop/") })
  }

  @Test func singleLevelWildcardsFollowLinksToDirectories() throws {
    let fs = try sample()
    try fs.createSymlink("/sensors/alias", target: "a")
    try fs.createSymlink("/sensors/broken", target: "nowhere")
    try fs.createSymlink("/sensors/loop", target: "loop")
    let matches = try fs.glob("/sensors/*/temp.csv")
    #expect(matches.map(\.captures) == [["a"], ["alias"], ["b"], ["c"]])
    #expect(try fs.glob("/sensors/alias/temp.csv").map(\.path) == ["/sensors/alias/temp.csv"])
  }

  @Test func outputIsSortedAndUniqueAcrossOverlappingStars() throws {
    let fs = try sample()
    let matches = try fs.glob("/**/**/temp.csv")
    #expect(matches.map(\.path) == matches.map(\.path).sorted())
    #expect(Set(matches.map(\.path)).count == matches.count)
    #expect(matches.count == 5)
  }
}
