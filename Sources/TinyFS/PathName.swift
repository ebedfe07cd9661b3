/// A path split into components, without interpretation of `.`, `..` or symbolic links.
struct PathName {
  var isAbsolute: Bool
  /// The non-empty components (`//` and a trailing `/` collapse); may include `.` and `..`.
  var components: [String]
  /// The path ends in `/`: its final component must be a directory (a symbolic link there is followed).
  var hasTrailingSlash: Bool

  /// The longest name a node may have, in UTF-8 bytes.
  static let maximumNameLength = 255

  /// Splits `text`; throws `invalidName` for an empty path or one containing NUL.
  init(_ text: String, operation: String) throws {
    guard !text.isEmpty else {
      throw FileSystemError(
        .invalidName, operation: operation, path: text, hint: "the path is empty")
    }
    guard !text.utf8.contains(0) else {
      throw FileSystemError(
        .invalidName, operation: operation, path: text, hint: "a path cannot contain a NUL byte")
    }
    isAbsolute = text.utf8.first == Self.separator
    components = Self.split(text)
    hasTrailingSlash = text.utf8.last == Self.separator && !components.isEmpty
  }

  /// The byte `/`. Paths are split on bytes, not `Character`s: a `/` followed by a combining mark is one
  /// `Character` that is not equal to `"/"`, but it is still a separator followed by a name.
  static let separator = UInt8(ascii: "/")

  /// The non-empty components of `text` between `/` bytes.
  static func split(_ text: String) -> [String] {
    text.utf8.split(separator: separator).map { String(Substring($0)) }
  }

  /// `text` without its trailing `/` bytes, unless it is only slashes (the root).
  static func droppingTrailingSlashes(_ text: String) -> String {
    var end = text.utf8.endIndex
    while end > text.utf8.startIndex, text.utf8[text.utf8.index(before: end)] == separator {
      end = text.utf8.index(before: end)
    }
    return end == text.utf8.startIndex ? text : String(Substring(text.utf8[..<end]))
  }

  /// Throws `invalidName` unless `name` can name a new entry.
  static func validateNewName(_ name: String, operation: String, path: String) throws {
    let problem: String? =
      if name.isEmpty {
        "a name cannot be empty"
      } else if name.hasSameBytes(as: ".") || name.hasSameBytes(as: "..") {
        "'\(name)' cannot be used as a name"
      } else if name.utf8.contains(UInt8(ascii: "/")) || name.utf8.contains(0) {
        "a name cannot contain '/' or NUL"
      } else if name.utf8.count > maximumNameLength {
        "a name is at most \(maximumNameLength) bytes"
      } else {
        nil
      }
    if let problem {
      throw FileSystemError(.invalidName, operation: operation, path: path, hint: problem)
    }
  }

  /// `components` joined under the root.
  static func absolute(_ components: some Sequence<String>) -> String {
    "/" + components.joined(separator: "/")
  }
}
