/// Pond's own small YAML files and the YAML it is given (`pond reduce`'s configuration, `pond apply`'s
/// resources): block-style mappings, lists and scalars (`documents`), and the shape of `local/remotes.yaml` and
/// `local/remote-heads.yaml` (`decode`, `encode`): top-level keys, each holding a list of flat mappings or one
/// flat mapping of scalars.
///
/// Written by hand, not with Yams: Yams imports Foundation, which links ICU into every pond process (about 1 ms
/// of each start and 50 MB of binary, for the few small files pond reads). The reader takes the block style
/// (plain, single- or double-quoted scalars, comments, flow lists of scalars); anything else is refused naming
/// the line (`LocalYAMLError`; callers add their own hint).
public enum LocalYAML {
  /// A top-level key's value.
  public enum Section: Sendable, Equatable {
    case list([[String: String]])
    case map([String: String])
  }

  /// The text of `sections`, in order; within a mapping, keys in the order given.
  public static func encode(_ sections: [(key: String, value: [[(String, String)]], isList: Bool)])
    -> String
  {
    var text = ""
    for section in sections {
      text +=
        quoted(section.key) + ":" + (section.value.isEmpty ? (section.isList ? " []" : " {}") : "")
        + "\n"
      for entry in section.value {
        for (index, (key, value)) in entry.enumerated() {
          let lead = section.isList ? (index == 0 ? "  - " : "    ") : "  "
          text += lead + quoted(key) + ": " + quoted(value) + "\n"
        }
      }
    }
    return text
  }

  /// A scalar as YAML: plain when it is a word YAML reads back as the same string (or a number or boolean
  /// meant as one), double-quoted otherwise.
  public static func quoted(_ value: String) -> String {
    let plain = value.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        || "-_.".unicodeScalars.contains($0)
    }
    if plain && !value.isEmpty && value.first != "-" && value.first != "." { return value }
    var text = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\t": text += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        text += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(2)
      default: text.unicodeScalars.append(scalar)
      }
    }
    return text + "\""
  }

  /// Reads `text`, a mapping of top-level keys each holding a list of flat mappings or one flat mapping of
  /// scalars (read by `documents`, then checked for that shape); `path` names the file in errors.
  public static func decode(_ text: String, path: String) throws(LocalYAMLError) -> [String:
    Section]
  {
    let documents = try documents(text, path: path)
    guard let root = documents.first else { return [:] }
    guard documents.count == 1 else {
      throw LocalYAMLError(path: path, line: documents[1].line, reason: "one document only")
    }
    guard let entries = root.entries else {
      throw LocalYAMLError(path: path, line: root.line, reason: "expected top-level 'key:' lines")
    }
    func flat(_ node: Node) throws(LocalYAMLError) -> [String: String] {
      if node.scalar == "" { return [:] }
      guard let members = node.entries else {
        throw LocalYAMLError(
          path: path, line: node.line, reason: "expected 'key: value' lines here")
      }
      var map: [String: String] = [:]
      for member in members {
        guard let value = member.value.scalar else {
          throw LocalYAMLError(
            path: path, line: member.value.line,
            reason: "only plain or quoted scalars are read here")
        }
        map[member.key] = value
      }
      return map
    }
    var sections: [String: Section] = [:]
    for entry in entries {
      switch entry.value.value {
      case .scalar(""): continue
      case .scalar:
        throw LocalYAMLError(
          path: path, line: entry.value.line,
          reason: "a top-level key holds a list or a mapping on the lines below it")
      case .list(let items):
        var list: [[String: String]] = []
        for item in items { list.append(try flat(item)) }
        sections[entry.key] = .list(list)
      case .map:
        sections[entry.key] = .map(try flat(entry.value))
      }
    }
    return sections
  }

  /// A scalar value: quoted, or plain up to a comment.
  private static func scalar(_ text: Substring, _ failure: (String) -> LocalYAMLError)
    throws(LocalYAMLError)
    -> String
  {
    if text.first == "\"" || text.first == "'" {
      let (value, rest) = try quotedPrefix(text, failure)
      guard rest.trimmingSpaces.isEmpty || rest.trimmingSpaces.hasPrefix("#") else {
        throw failure("text after a quoted value")
      }
      return value
    }
    // A plain scalar ends where a comment (" #") starts.
    var value = text
    if let hash = text.indices.first(where: {
      text[$0] == "#" && $0 > text.startIndex && text[text.index(before: $0)] == " "
    }) {
      value = text[..<hash]
    }
    guard !value.isEmpty, !"[{&*!|>%@`".contains(value.first!) else {
      throw failure("only plain or quoted scalars are read here")
    }
    return String(value).trimmingSpaces
  }

  /// A double- (with `\` escapes) or single-quoted (with `''`) string at the start of `text`, and what follows.
  private static func quotedPrefix(_ text: Substring, _ failure: (String) -> LocalYAMLError)
    throws(LocalYAMLError)
    -> (String, Substring)
  {
    let quote = text.first!
    var value = ""
    var index = text.index(after: text.startIndex)
    while index < text.endIndex {
      let character = text[index]
      index = text.index(after: index)
      if character == quote {
        guard quote == "'", index < text.endIndex, text[index] == "'" else {
          return (value, text[index...])
        }
        value.append("'")
        index = text.index(after: index)
      } else if character == "\\" && quote == "\"" {
        guard index < text.endIndex else { break }
        let escaped = text[index]
        index = text.index(after: index)
        switch escaped {
        case "n": value.append("\n")
        case "t": value.append("\t")
        case "x":
          guard let end = text.index(index, offsetBy: 2, limitedBy: text.endIndex),
            let code = UInt8(text[index..<end], radix: 16)
          else { throw failure("a bad \\x escape") }
          value.unicodeScalars.append(Unicode.Scalar(code))
          index = end
        default: value.append(escaped)
        }
      } else {
        value.append(character)
      }
    }
    throw failure("a quoted value without its closing quote")
  }
}

extension LocalYAML {
  /// A YAML node of the block-style subset pond reads: mappings, sequences and scalars, each with the 1-based
  /// line it starts on. Mappings keep their keys in the order written.
  public struct Node: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
      case scalar(String)
      case list([Node])
      case map([Entry])
    }

    /// One `key: value` of a mapping.
    public struct Entry: Sendable, Equatable {
      public var key: String
      public var value: Node

      public init(key: String, value: Node) {
        self.key = key
        self.value = value
      }
    }

    public var value: Value
    public var line: Int

    public init(_ value: Value, line: Int) {
      self.value = value
      self.line = line
    }

    /// The scalar's text, or nil for a list or a mapping.
    public var scalar: String? {
      if case .scalar(let text) = value { return text }
      return nil
    }

    /// The member `key` of a mapping, or nil.
    public subscript(key: String) -> Node? {
      guard case .map(let entries) = value else { return nil }
      return entries.first { $0.key == key }?.value
    }

    /// A mapping's entries, or nil.
    public var entries: [Entry]? {
      if case .map(let entries) = value { return entries }
      return nil
    }

    /// A list's items, or nil.
    public var items: [Node]? {
      if case .list(let items) = value { return items }
      return nil
    }

    /// The node as YAML block text, indented by `indent` spaces; the same node reads back from it.
    /// Deterministic: the same node always gives the same bytes.
    public func encoded(indent: Int = 0) -> String {
      let lead = String(repeating: " ", count: indent)
      switch value {
      case .scalar(let text): return lead + LocalYAML.quoted(text) + "\n"
      case .list(let items) where items.isEmpty: return lead + "[]\n"
      case .map(let entries) where entries.isEmpty: return lead + "{}\n"
      case .list(let items):
        return items.map { item in
          switch item.value {
          case .scalar(let text): return lead + "- " + LocalYAML.quoted(text) + "\n"
          default:
            // The item's own block, its first line after the dash.
            let block = item.encoded(indent: indent + 2)
            return lead + "- " + block.dropFirst(indent + 2)
          }
        }.joined()
      case .map(let entries):
        return entries.map { entry in
          let key = lead + LocalYAML.quoted(entry.key) + ":"
          switch entry.value.value {
          case .scalar(let text): return key + " " + LocalYAML.quoted(text) + "\n"
          case .list(let items) where items.isEmpty: return key + " []\n"
          case .map(let members) where members.isEmpty: return key + " {}\n"
          default: return key + "\n" + entry.value.encoded(indent: indent + 2)
          }
        }.joined()
      }
    }
  }

  /// Reads the documents of `text` (separated by `---` lines) as nodes; `path` names the file in errors.
  ///
  /// The block style only: mappings (`key: value`, plain or quoted keys), sequences (`- item`, a mapping may
  /// start on the dash's line), plain, single- and double-quoted scalars, flow lists of scalars on one line
  /// (`[a, b]`), `[]` and `{}`, comments. Anchors, tags, multi-line and block (`|`, `>`) scalars and flow
  /// mappings are refused naming the line. A repeated key is refused. An empty document is left out.
  public static func documents(_ text: String, path: String) throws(LocalYAMLError) -> [Node] {
    var documents: [Node] = []
    var lines: [TreeReader.Line] = []
    func finish() throws(LocalYAMLError) {
      var reader = TreeReader(lines: lines, path: path)
      if let node = try reader.document() { documents.append(node) }
      lines = []
    }
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    {
      var line = Substring(raw)
      if line.last == "\r" { line = line.dropLast() }
      if line == "---" || line.hasPrefix("--- ") || line == "..." {
        try finish()
        continue
      }
      let indent = line.prefix { $0 == " " }.count
      let content = line.dropFirst(indent)
      if content.isEmpty || content.first == "#" { continue }
      if content.first == "\t" {
        throw LocalYAMLError(path: path, line: number + 1, reason: "a tab in the indentation")
      }
      lines.append(TreeReader.Line(number: number + 1, indent: indent, text: content))
    }
    try finish()
    return documents
  }

  /// Builds nodes from the content lines of one document.
  private struct TreeReader {
    struct Line {
      var number: Int
      var indent: Int
      var text: Substring
    }

    var lines: [Line]
    var path: String
    var next = 0

    init(lines: [Line], path: String) {
      self.lines = lines
      self.path = path
    }

    func failure(_ line: Int, _ why: String) -> LocalYAMLError {
      LocalYAMLError(path: path, line: line, reason: why)
    }

    mutating func document() throws(LocalYAMLError) -> Node? {
      guard let first = lines.first else { return nil }
      let node = try block(at: first.indent, text: first.text, line: first.number)
      if next < lines.count {
        throw failure(lines[next].number, "indented differently from the lines above it")
      }
      return node
    }

    /// The block starting at the line `next` points at, whose first line is `text` at column `indent`
    /// (for a mapping that starts after a list's dash, `text` is the rest of that line).
    mutating func block(at indent: Int, text: Substring, line: Int) throws(LocalYAMLError) -> Node {
      if text == "-" || text.hasPrefix("- ") { return try list(at: indent, line: line) }
      if try LocalYAML.keyValue(text, failure: { failure(line, $0) }) != nil {
        return try map(at: indent, first: text, line: line)
      }
      next += 1
      return try LocalYAML.flowOrScalar(text, line: line, failure: { failure(line, $0) })
    }

    mutating func list(at indent: Int, line: Int) throws(LocalYAMLError) -> Node {
      var items: [Node] = []
      while next < lines.count, lines[next].indent == indent,
        lines[next].text == "-" || lines[next].text.hasPrefix("- ")
      {
        let current = lines[next]
        let rest = current.text.dropFirst().drop { $0 == " " }
        if rest.isEmpty {
          next += 1
          guard next < lines.count, lines[next].indent > indent else {
            items.append(Node(.scalar(""), line: current.number))
            continue
          }
          items.append(
            try block(at: lines[next].indent, text: lines[next].text, line: lines[next].number))
        } else {
          // The item's content starts after the dash: a mapping there continues at that column.
          let column = indent + (current.text.count - rest.count)
          lines[next].indent = column
          lines[next].text = rest
          items.append(try block(at: column, text: rest, line: current.number))
        }
      }
      return Node(.list(items), line: line)
    }

    mutating func map(at indent: Int, first: Substring, line: Int) throws(LocalYAMLError) -> Node {
      var entries: [Node.Entry] = []
      while next < lines.count, lines[next].indent == indent {
        let current = lines[next]
        guard
          let (key, rest) = try LocalYAML.keyValue(
            current.text, failure: { failure(current.number, $0) })
        else {
          throw failure(current.number, "expected 'key: value' in this mapping")
        }
        guard !entries.contains(where: { $0.key == key }) else {
          throw failure(current.number, "\"\(key)\" is given twice")
        }
        next += 1
        let value: Node
        if !rest.isEmpty {
          value = try LocalYAML.flowOrScalar(rest, line: current.number) {
            failure(current.number, $0)
          }
        } else if next < lines.count,
          lines[next].indent > indent
            || (lines[next].indent == indent
              && (lines[next].text == "-" || lines[next].text.hasPrefix("- ")))
        {
          value = try block(
            at: lines[next].indent, text: lines[next].text, line: lines[next].number)
        } else {
          value = Node(.scalar(""), line: current.number)
        }
        entries.append(Node.Entry(key: key, value: value))
      }
      if next < lines.count, lines[next].indent > indent {
        throw failure(lines[next].number, "indented more than the key above it, which has a value")
      }
      return Node(.map(entries), line: line)
    }
  }

  /// `key: rest` when `text` is a mapping entry (a quoted key, or a plain one followed by `:` and a space or
  /// the end), nil when it is not.
  fileprivate static func keyValue(_ text: Substring, failure: (String) -> LocalYAMLError)
    throws(LocalYAMLError) -> (String, Substring)?
  {
    if text.first == "\"" || text.first == "'" {
      let (key, rest) = try quotedPrefix(text, failure)
      let after = rest.drop { $0 == " " }
      guard after.first == ":" else { return nil }
      return (key, after.dropFirst().drop { $0 == " " })
    }
    guard !"[{".contains(text.first!) else { return nil }
    var index = text.startIndex
    while let colon = text[index...].firstIndex(of: ":") {
      let after = text.index(after: colon)
      if after == text.endIndex || text[after] == " " {
        let key = String(text[..<colon]).trimmingSpaces
        if key.contains(" #") { return nil }
        return (key, text[after...].drop { $0 == " " })
      }
      index = after
    }
    return nil
  }

  /// A scalar, a flow list of scalars on one line, `[]` or `{}`.
  fileprivate static func flowOrScalar(
    _ text: Substring, line: Int, failure: (String) -> LocalYAMLError
  ) throws(LocalYAMLError) -> Node {
    let body = uncommented(text)
    if body == "{}" { return Node(.map([]), line: line) }
    guard body.first == "[" else { return Node(.scalar(try scalar(text, failure)), line: line) }
    guard body.last == "]" else { throw failure("a flow list must end on its line with ']'") }
    var items: [Node] = []
    var rest = body.dropFirst().dropLast().drop { $0 == " " }
    while !rest.isEmpty {
      let item: String
      if rest.first == "\"" || rest.first == "'" {
        (item, rest) = try quotedPrefix(rest, failure)
        rest = rest.drop { $0 == " " }
      } else {
        let end = rest.firstIndex(of: ",") ?? rest.endIndex
        item = String(rest[..<end]).trimmingSpaces
        guard !item.isEmpty, !"[{&*!|>%@`\"'".contains(item.first!) else {
          throw failure("only plain or quoted scalars are read in a flow list")
        }
        rest = rest[end...]
      }
      items.append(Node(.scalar(item), line: line))
      guard rest.isEmpty || rest.first == "," else {
        throw failure("expected ',' between list items")
      }
      rest = rest.dropFirst().drop { $0 == " " }
    }
    return Node(.list(items), line: line)
  }

  /// `text` without a trailing comment (a `#` after a space, outside quotes) and trailing spaces.
  private static func uncommented(_ text: Substring) -> Substring {
    var quote: Character?
    var previous: Character = " "
    for index in text.indices {
      let character = text[index]
      if let open = quote {
        if character == open { quote = nil }
      } else if character == "\"" || character == "'" {
        quote = character
      } else if character == "#" && previous == " " {
        return Substring(String(text[..<index]).trimmingSpaces)
      }
      previous = character
    }
    return Substring(String(text).trimmingSpaces)
  }
}

/// A YAML text `LocalYAML` cannot read: the file, the 1-based line and why.
public struct LocalYAMLError: Error, Sendable, Hashable, CustomStringConvertible {
  public let path: String
  public let line: Int
  public let reason: String

  public init(path: String, line: Int, reason: String) {
    self.path = path
    self.line = line
    self.reason = reason
  }

  /// `path, line N: reason`.
  public var description: String { "\(path), line \(line): \(reason)" }
}

extension StringProtocol {
  fileprivate var trimmingSpaces: String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }

  fileprivate func leftPadded(_ width: Int) -> String {
    String(repeating: "0", count: Swift.max(0, width - count)) + self
  }
}
