import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A parsed XML element: enough of a DOM to read S3 responses.
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

  /// Parses `bytes`; nil when they are not well-formed XML.
  static func parse(_ bytes: [UInt8]) -> XMLElement? {
    let builder = Builder()
    let parser = XMLParser(data: Data(bytes))
    parser.delegate = builder
    guard parser.parse(), let root = builder.root else { return nil }
    return root
  }

  private final class Builder: NSObject, XMLParserDelegate {
    var stack: [XMLElement] = []
    var root: XMLElement?

    func parser(
      _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
      qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
      stack.append(XMLElement(name: elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
      if !stack.isEmpty { stack[stack.count - 1].text += string }
    }

    func parser(
      _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
      qualifiedName qName: String?
    ) {
      let element = stack.removeLast()
      if stack.isEmpty {
        root = element
      } else {
        stack[stack.count - 1].children.append(element)
      }
    }
  }
}

extension String {
  /// The text with `&`, `<`, `>`, `"` and `'` escaped for XML.
  var xmlEscaped: String {
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
