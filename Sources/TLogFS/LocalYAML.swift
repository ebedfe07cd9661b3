/// Pond's own small YAML files (`local/remotes.yaml`, `local/remote-heads.yaml`, `pond reduce`'s
/// configuration): top-level keys, each holding a list of flat mappings or one flat mapping of scalars, in
/// YAML's block style.
///
/// Written by hand, not with Yams: Yams imports Foundation, which links ICU into every pond process (about 1 ms
/// of each start and 50 MB of binary, for two small files pond writes itself). The reader takes what pond writes
/// and hand edits of the same shape (plain, single- or double-quoted scalars, comments); anything else is refused
/// naming the line (`LocalYAMLError`; callers add their own hint).
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

  /// Reads `text`; `path` names the file in errors.
  public static func decode(_ text: String, path: String) throws(LocalYAMLError) -> [String:
    Section]
  {
    var sections: [String: Section] = [:]
    var current: String?
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    {
      func failure(_ why: String) -> LocalYAMLError {
        LocalYAMLError(path: path, line: number + 1, reason: why)
      }
      var line = Substring(raw)
      let indent = line.prefix { $0 == " " }.count
      line = line.dropFirst(indent)
      if line.isEmpty || line.first == "#" { continue }
      if indent == 0 {
        let (key, rest) = try pair(line, failure)
        guard rest.isEmpty || rest == "[]" || rest == "{}" else {
          throw failure("a top-level key holds a list or a mapping on the lines below it")
        }
        current = key
        sections[key] = rest == "[]" ? .list([]) : rest == "{}" ? .map([:]) : nil
        continue
      }
      guard let section = current else {
        throw failure("an indented line before any top-level key")
      }
      if line.hasPrefix("- ") || line == "-" {
        guard case .list(var items)? = sections[section] ?? .list([]) else {
          throw failure("a list item in a mapping")
        }
        var item: [String: String] = [:]
        let rest = line.dropFirst(1).drop { $0 == " " }
        if !rest.isEmpty {
          let (key, value) = try pair(rest, failure)
          item[key] = try scalar(value, failure)
        }
        items.append(item)
        sections[section] = .list(items)
        continue
      }
      let (key, value) = try pair(line, failure)
      switch sections[section] {
      case .list(var items)?:
        guard !items.isEmpty, indent >= 4 else { throw failure("a key outside any list item") }
        items[items.count - 1][key] = try scalar(value, failure)
        sections[section] = .list(items)
      case .map(var map)?:
        map[key] = try scalar(value, failure)
        sections[section] = .map(map)
      case nil:
        sections[section] = .map([key: try scalar(value, failure)])
      }
    }
    return sections
  }

  /// `key: value` (the key plain or quoted).
  private static func pair(_ line: Substring, _ failure: (String) -> LocalYAMLError)
    throws(LocalYAMLError)
    -> (String, Substring)
  {
    var rest = line
    let key: String
    if rest.first == "\"" || rest.first == "'" {
      (key, rest) = try quotedPrefix(rest, failure)
    } else {
      guard let colon = rest.firstIndex(of: ":") else { throw failure("expected 'key: value'") }
      key = String(rest[..<colon]).trimmingSpaces
      rest = rest[colon...]
    }
    guard rest.first == ":" else { throw failure("expected ':' after the key") }
    return (key, rest.dropFirst().drop { $0 == " " })
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
