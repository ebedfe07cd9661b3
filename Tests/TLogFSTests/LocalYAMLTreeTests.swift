import TLogFS
import Testing

@Suite("YAML documents (LocalYAML.documents)")
struct LocalYAMLTreeTests {
  typealias Node = LocalYAML.Node

  @Test("nested mappings, lists of mappings, flow lists and several documents")
  func nested() throws {
    let text = """
      # two resources
      kind: HydroVu
      name: lake
      spec:
        client_id: ${env:HYDROVU_ID}   # a reference, not a secret
        devices:
          - id: 123
            name: "north dock"
            active: true
          - id: 456
            name: south
        resolutions: [1h, "6h", 1d]
        empty: []
      ---
      kind: Site
      name: web
      spec:
        columns:
        - a
        - b
      """
    let documents = try LocalYAML.documents(text, path: "r.yaml")
    #expect(documents.count == 2)
    let first = documents[0]
    #expect(first["kind"]?.scalar == "HydroVu")
    #expect(first["spec"]?["client_id"]?.scalar == "${env:HYDROVU_ID}")
    let devices = try #require(first["spec"]?["devices"]?.items)
    #expect(devices.count == 2)
    #expect(devices[0]["name"]?.scalar == "north dock")
    #expect(devices[0]["active"]?.scalar == "true")
    #expect(devices[1]["id"]?.scalar == "456")
    #expect(devices[1].line == 10)
    #expect(first["spec"]?["resolutions"]?.items?.compactMap(\.scalar) == ["1h", "6h", "1d"])
    #expect(first["spec"]?["empty"]?.items?.isEmpty == true)
    #expect(documents[1]["spec"]?["columns"]?.items?.compactMap(\.scalar) == ["a", "b"])
  }

  @Test("encoded text reads back as the same node, whatever the strings hold")
  func roundTrip() throws {
    let odd = ["plain", "with space", "colon: inside", "#hash", "- dash", "[x]", "", "ünï", "a\nb"]
    let node = Node(
      .map([
        .init(key: "scalars", value: Node(.list(odd.map { Node(.scalar($0), line: 0) }), line: 0)),
        .init(
          key: "maps",
          value: Node(
            .list(
              odd.map { value in
                Node(
                  .map([
                    .init(key: value.isEmpty ? "e" : value, value: Node(.scalar(value), line: 0)),
                    .init(key: "n", value: Node(.list([Node(.scalar("1"), line: 0)]), line: 0)),
                  ]), line: 0)
              }), line: 0)),
        .init(key: "nothing", value: Node(.map([]), line: 0)),
      ]), line: 0)
    let text = node.encoded()
    let back = try #require(try LocalYAML.documents(text, path: "x").first)
    #expect(back.encoded() == text)
    #expect(back["scalars"]?.items?.compactMap(\.scalar) == odd)
    #expect(back["maps"]?.items?[3]["#hash"]?.scalar == "#hash")
    #expect(back["nothing"]?.entries?.isEmpty == true)
  }

  @Test(
    "what is not this subset is refused naming the line",
    arguments: [
      ("a: 1\na: 2\n", 2, "given twice"),
      ("a:\n  b: 1\n    c: 2\n", 3, "indented"),
      ("a: |\n  text\n", 1, "plain or quoted"),
      ("a: [x, y\n", 1, "flow list"),
      ("a:\n  - x\n  b: 1\n", 3, "indented"),
      ("a: 'open\n", 1, "closing quote"),
      ("a:\n\t- x\n", 2, "tab"),
    ])
  func refused(text: String, line: Int, words: String) {
    #expect {
      try LocalYAML.documents(text, path: "bad.yaml")
    } throws: { error in
      "\(error)".contains("bad.yaml, line \(line):") && "\(error)".contains(words)
    }
  }
}
