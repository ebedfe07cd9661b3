import ArgumentParser
import Testing

@testable import pond

/// `pond copy` in the form a collector runs once per reading is read without ArgumentParser
/// (`Pond.Copy.parsedDirectly`, for start-up): every such command line, `-` (standard input) as a source
/// included, must read as ArgumentParser reads it, and every other one must be left to ArgumentParser.
@Suite("pond copy read without ArgumentParser")
struct CopyDirectParsingTests {
  @Test(arguments: [
    ["copy", "reading.txt", "/f"],
    ["copy", "a", "b", "/dir"],
    ["copy", "--pond", "/p", "a", "/f"],
    ["copy", "a", "--wait", "/f", "--series"],
    ["copy", "--series", "--wait", "--pond", "p", "a", "b", "/dir"],
    ["copy", "copy", "list"],
    ["copy", "-", "b"],
    ["copy", "--series", "-", "/log"],
    ["copy", "--pond", "p", "--wait", "-", "--series", "/log"],
    ["copy", "-", "-", "/f"],
    ["copy", "a", "-", "/dir"],
  ])
  func readsAsArgumentParserDoes(_ arguments: [String]) throws {
    let direct = try #require(Pond.Copy.parsedDirectly(arguments[...]))
    let parsed = try #require(try Pond.parseAsRoot(arguments) as? Pond.Copy)
    #expect(
      direct
        == Pond.Copy.DirectArguments(
          pond: parsed.pond.location.pond, wait: parsed.pond.wait, series: parsed.series,
          paths: parsed.paths))
    #expect(!parsed.out)
    #expect(parsed.at.at == nil)
  }

  @Test(arguments: [
    ["copy"], ["copy", "a"], ["list", "a", "b"], ["copy", "--help"], ["copy", "a", "b", "-h"],
    ["copy", "help", "b"], ["copy", "--out", "/a", "b"], ["copy", "--at", "1", "--out", "/a", "b"],
    ["copy", "--pond=/p", "a", "b"], ["copy", "a", "b", "--pond"],
    ["copy", "--pond", "--wait", "a", "b"],
    ["copy", "--pond", "", "a", "b"], ["copy", "--wait", "--wait", "a", "b"],
    ["copy", "--pond", "p", "--pond", "q", "a", "b"], ["copy", "--", "a", "b"],
    ["copy", "--pond", "-", "a", "b"],
    ["copy", "", "b"], ["copy", "--no-such-option", "a", "b"], ["copy", "-x", "a", "b"],
  ])
  func leavesEveryOtherFormToArgumentParser(_ arguments: [String]) {
    #expect(Pond.Copy.parsedDirectly(arguments[...]) == nil)
  }
}
