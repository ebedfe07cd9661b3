/// A parsed XML element: enough of a DOM to read S3 responses (listings, errors, multipart uploads).
///
/// Read by hand, not with Foundation's `XMLParser`: FoundationXML links libxml2 and ICU, which every `pond`
/// process would then load at start-up, local commands included (docs/benchmarks.md). The reader takes what
/// S3 servers send: a declaration, comments, elements (attributes skipped, names as written, prefix and all)
/// and text with the five predefined entities and character references. Anything else (CDATA, a DOCTYPE)
/// makes the document unreadable rather than misread.
struct XMLElement {
  var name: String
  var text = ""
  var children: [XMLElement] = []

  /// The first child named `name`.
  func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
  /// All children named `name`.
  func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
  /// The text of the first child named `name`.
  func value(_ name: String) -> String? { child(name)?.text }

  /// Parses `bytes`; nil when they are not well-formed XML (as far as this reader checks: tags balance,
  /// one root, entities known, text UTF-8) or use what the reader does not take.
  static func parse(_ bytes: [UInt8]) -> XMLElement? {
    var stack = [XMLElement(name: "")]  // the document, holding the root
    var index = 0
    while index < bytes.count {
      guard bytes[index] == UInt8(ascii: "<") else {
        let end = bytes[index...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.count
        guard let text = decodeText(bytes[index..<end]),
          stack.count > 1 || text.allSatisfy(\.isWhitespace)
        else { return nil }
        stack[stack.count - 1].text += text
        index = end
        continue
      }
      // Markup ends at the first `>` outside a quoted attribute value (or `?>`, `-->`).
      let rest = bytes[index...]
      let terminator =
        rest.starts(with: "<?".utf8) ? "?>" : rest.starts(with: "<!--".utf8) ? "-->" : ">"
      var end = index + 1
      var quote: UInt8?
      while end < bytes.count, quote != nil || !bytes[end...].starts(with: terminator.utf8) {
        if bytes[end] == quote {
          quote = nil
        } else if quote == nil, terminator == ">",
          bytes[end] == UInt8(ascii: "\"") || bytes[end] == UInt8(ascii: "'")
        {
          quote = bytes[end]
        }
        end += 1
      }
      guard end < bytes.count else { return nil }
      let tag = bytes[index + 1..<end]
      index = end + terminator.utf8.count
      if terminator != ">" { continue }
      let isEnd = tag.first == UInt8(ascii: "/")
      let name = String(
        decoding: tag.drop { $0 == UInt8(ascii: "/") }.prefix {
          $0 != UInt8(ascii: "/") && !Character(Unicode.Scalar($0)).isWhitespace
        }, as: UTF8.self)
      guard !name.isEmpty, !name.hasPrefix("!") else { return nil }
      if !isEnd { stack.append(XMLElement(name: name)) }
      if isEnd || tag.last == UInt8(ascii: "/") {
        guard stack.count > 1, let element = stack.popLast(), element.name == name,
          stack.count > 1 || stack[0].children.isEmpty
        else { return nil }
        stack[stack.count - 1].children.append(element)
      }
    }
    return stack.count == 1 ? stack[0].children.first : nil
  }

  /// UTF-8 text with its entity and character references replaced; nil for an unknown entity or bad UTF-8.
  private static func decodeText(_ bytes: ArraySlice<UInt8>) -> String? {
    guard var text = String(validating: bytes, as: UTF8.self) else { return nil }
    let named: [Substring: Character] = [
      "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
    ]
    var out = ""
    while let amp = text.firstIndex(of: "&") {
      guard let semicolon = text[amp...].firstIndex(of: ";") else { return nil }
      let entity = text[text.index(after: amp)..<semicolon]
      let code =
        entity.hasPrefix("#x")
        ? UInt32(entity.dropFirst(2), radix: 16)
        : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
      guard let character = named[entity] ?? code.flatMap(Unicode.Scalar.init).map(Character.init)
      else { return nil }
      out += text[..<amp]
      out.append(character)
      text = String(text[text.index(after: semicolon)...])
    }
    return out + text
  }
}

extension String {
  /// The text with `&`, `<`, `>`, `"` and `'` escaped for XML and HTML (S3's request bodies, the site's
  /// pages).
  public var xmlEscaped: String {
    var out = ""
    for character in self {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(character)
      }
    }
    return out
  }
}
