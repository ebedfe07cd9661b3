import Testing
import TinyFS

@Suite("Dynamic directories")
struct DynamicDirectoryTests {
  func sample() throws -> (FileSystem, InMemoryPersistence) {
    let (fs, persistence) = try makeFileSystem(factories: ["reversed": ReversedFactory()])
    try fs.createDirectory("/src/sub", withParents: true)
    try fs.writeFile("/src/a", contents: "abc".bytes)
    try fs.writeFile("/src/sub/b", contents: "xyz".bytes)
    try fs.createSymlink("/src/link", target: "a")
    try fs.createDynamicDirectory("/view", factory: "reversed", configuration: "/src".bytes)
    return (fs, persistence)
  }

  @Test func listingAndReadingThroughTheView() throws {
    let (fs, _) = try sample()
    #expect(try fs.lstat("/view").entryType == .dynamic)
    let listing = try fs.list("/view")
    #expect(listing.map(\.name) == ["a", "link", "sub"])
    #expect(listing.map(\.entryType) == [.file, .symlink, .directory])
    #expect(listing.allSatisfy { $0.id == nil })
    #expect(try fs.readFile("/view/a") == "cba".bytes)
    #expect(try fs.readFile("/view/sub/b") == "zyx".bytes)
    #expect(try fs.readFile("/view/link") == "cba".bytes)  // relative target resolved inside the view
    let info = try fs.stat("/view/sub/b")
    #expect(info.isComputed)
    #expect(info.size == 3)
    #expect(info.id == nil)
    #expect(try fs.stat("/view/sub/..").path == "/view")
    #expect(try fs.glob("/view/**/b").map(\.path) == ["/view/sub/b"])
    try fs.writeFile("/src/a", contents: "hello".bytes)  // the view follows its source
    #expect(try fs.readFile("/view/a") == "olleh".bytes)
  }

  @Test func writesIntoTheViewAreReadOnly() throws {
    let (fs, _) = try sample()
    let write = expectError(.readOnly) { try fs.writeFile("/view/new", contents: []) }
    #expect(write?.description.contains("/view is a dynamic directory") == true)
    expectError(.readOnly) { try fs.writeFile("/view/a", contents: []) }
    expectError(.readOnly) { try fs.appendFile("/view/a", contents: []) }
    expectError(.readOnly) { try fs.createDirectory("/view/d") }
    expectError(.readOnly) { try fs.createDirectory("/view/sub/d/e", withParents: true) }
    expectError(.readOnly) { try fs.createSymlink("/view/l", target: "a") }
    expectError(.readOnly) { try fs.remove("/view/a") }
    expectError(.readOnly) { try fs.remove("/view/sub", recursive: true) }
    expectError(.readOnly) { try fs.rename("/view/a", to: "/view/b") }
    #expect(try fs.list("/src").map(\.name) == ["a", "link", "sub"])
  }

  @Test func renamesAcrossTheBoundaryAreCrossDevice() throws {
    let (fs, _) = try sample()
    let out = expectError(.crossDevice) { try fs.rename("/view/a", to: "/copy") }
    #expect(out?.failingPath == "/view/a")
    let into = expectError(.crossDevice) { try fs.rename("/src/a", to: "/view/a2") }
    #expect(into?.failingPath == "/view/a2")
    #expect(try fs.readFile("/src/a") == "abc".bytes)
  }

  @Test func theViewNodeItselfCanBeMovedAndRemoved() throws {
    let (fs, persistence) = try sample()
    try fs.rename("/view", to: "/src/view")
    #expect(try fs.readFile("/src/view/a") == "cba".bytes)
    // A fresh file system over the same persistence rebuilds the view from the stored configuration.
    let reopened = try FileSystem(
      persistence: persistence, dynamicFactories: ["reversed": ReversedFactory()])
    #expect(try reopened.readFile("/src/view/sub/b") == "zyx".bytes)
    try fs.remove("/src/view")
    #expect(try !fs.exists("/src/view"))
  }

  @Test func unknownFactoriesAndBadConfigurationsAreErrors() throws {
    let (fs, persistence) = try sample()
    let unknown = expectError(.invalidArgument) {
      try fs.createDynamicDirectory("/v2", factory: "nope", configuration: [])
    }
    #expect(unknown?.hint?.contains("registered: reversed") == true)
    expectError(.notADirectory) {
      try fs.createDynamicDirectory("/v3", factory: "reversed", configuration: "/src/a".bytes)
    }
    expectError(.exists) {
      try fs.createDynamicDirectory("/src", factory: "reversed", configuration: "/src".bytes)
    }
    let reopened = try FileSystem(persistence: persistence)  // registers no factories
    let missing = expectError(.invalidArgument) { try reopened.list("/view") }
    #expect(missing?.hint?.contains("needs the factory 'reversed'") == true)
    #expect(try reopened.lstat("/view").entryType == .dynamic)
  }
}
