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
    isAbsolute = text.hasPrefix("/")
    components = text.split(separator: "/").map(String.init)
    hasTrailingSlash = text.hasSuffix("/") && !components.isEmpty
  }

  /// Throws `invalidName` unless `name` can name a new entry.
  static func validateNewName(_ name: String, operation: String, path: String) throws {
    let problem: String? =
      if name.isEmpty {
        "a name cannot be empty"
      } else if name == "." || name == ".." {
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
