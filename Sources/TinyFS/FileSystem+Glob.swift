/// A path that matched a glob pattern, with what each wildcard matched; equal when the strings are the same
/// bytes.
public struct GlobMatch: Hashable, Sendable {
  /// The matched path, absolute, spelled as the pattern walked it (a symbolic link in the middle keeps its
  /// own name, not its target's).
  public var path: String
  /// One string per wildcard, in pattern order: `*`, `?` and `[...]` capture what they matched in one name,
  /// `**` captures the directories it crossed joined with `/` (empty for none).
  public var captures: [String]
  /// The entry type at `path`, not following a final symbolic link.
  public var entryType: EntryType

  // The synthesized `hash(into:)` stays consistent: equal bytes are equal Strings, which hash alike.
  public static func == (lhs: GlobMatch, rhs: GlobMatch) -> Bool {
    lhs.path.hasSameBytes(as: rhs.path) && lhs.entryType == rhs.entryType
      && lhs.captures.elementsEqual(rhs.captures) { $0.hasSameBytes(as: $1) }
  }
}

extension FileSystem {
  /// The most directories one `**` crosses; deeper means a dynamic directory contains itself.
  public static let maximumGlobDepth = 256

  /// True when `text` holds a glob wildcard (`*`, `?` or `[`), looked for byte by byte: a wildcard followed
  /// by a combining mark is still a wildcard, as `glob` matches per Unicode scalar.
  public static func isPattern(_ text: String) -> Bool {
    text.utf8.contains {
      $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[")
    }
  }

  /// The paths matching `pattern`, sorted by their UTF-8 bytes.
  ///
  /// A component may use `*` (any run of characters), `?` (one character), `[abc]`, `[a-z]` and `[!x]` or
  /// `[^x]` (one character in or not in the set), and `\` to quote the next character. A character is one
  /// Unicode scalar and names match by their exact bytes, as in a POSIX shell: `caf\u{E9}` (NFC) and
  /// `cafe\u{301}` (NFD) are different names that no pattern confuses, and `e\u{301}` takes `??`. Each `*`
  /// takes the shortest match that lets the rest match. A component that is exactly `**` matches zero or more
  /// directories; at the end of a pattern it matches the directory itself and everything below. Names starting
  /// with `.` are matched like any other. A relative pattern starts at the root.
  ///
  /// Symbolic links: every component except `**` follows links to directories, which is finite because each
  /// such component is used once per match; `**` never descends through a symbolic link, so every walk ends
  /// even when links form a cycle. Nor does `**` enter a dynamic directory node (like `find -xdev`), though a
  /// pattern may name one and use `**` inside it; there `**` stops with an error after `maximumGlobDepth`
  /// levels, in case the computed tree contains itself. A symbolic link that dangles or loops simply does not match a component
  /// that needs a directory.
  public func glob(_ pattern: String) throws -> [GlobMatch] {
    let op = Operation(name: "glob", path: pattern)
    let parsed = try PathName(pattern, operation: op.name)
    let components = try parsed.components.map { try GlobComponent(parsing: $0, op) }
    var walker = GlobWalker(fileSystem: self, components: components, op: op)
    try walker.walk(index: 0, stack: [rootFrame], path: [], entryType: .directory, captures: [])
    var seen = Set<NameKey>()
    return walker.matches.sorted {
      if !$0.path.hasSameBytes(as: $1.path) { return $0.path.precedesByBytes($1.path) }
      return $0.captures.lexicographicallyPrecedes($1.captures) { $0.precedesByBytes($1) }
    }.filter { seen.insert(NameKey($0.path)).inserted }
  }

  /// The paths `glob(_:)` matches, in its order; a pattern that matches nothing is a `noMatch` error.
  public func paths(matching pattern: String) throws -> [String] {
    let paths = try glob(pattern).map(\.path)
    guard !paths.isEmpty else { throw FileSystemError(.noMatch, operation: "glob", path: pattern) }
    return paths
  }
}

/// One component of a glob pattern.
enum GlobComponent {
  /// A name without wildcards (also `.` and `..`).
  case literal(String)
  case pattern([GlobToken])
  /// `**`: zero or more directories.
  case anyDepth

  init(parsing text: String, _ op: FileSystem.Operation) throws {
    if text.hasSameBytes(as: "**") {
      self = .anyDepth
      return
    }
    var tokens: [GlobToken] = []
    var hasWildcard = false
    var characters = Array(text.unicodeScalars)[...]
    while let character = characters.popFirst() {
      switch character {
      case "\\":
        guard let quoted = characters.popFirst() else {
          throw op.fail(.invalidArgument, hint: "the glob ends with a lone '\\'")
        }
        tokens.append(.literal(quoted))
      case "*":
        hasWildcard = true
        if case .anyRun = tokens.last { continue }  // `**` inside a name is one `*`
        tokens.append(.anyRun)
      case "?":
        hasWildcard = true
        tokens.append(.anyCharacter)
      case "[":
        hasWildcard = true
        tokens.append(try Self.parseSet(&characters, op))
      default:
        tokens.append(.literal(character))
      }
    }
    if hasWildcard {
      self = .pattern(tokens)
    } else {
      var literal = String.UnicodeScalarView()
      for token in tokens {
        guard case .literal(let scalar) = token else {
          preconditionFailure("\(token) in a literal")
        }
        literal.append(scalar)
      }
      self = .literal(String(literal))
    }
  }

  /// Parses the rest of a `[...]` set after its `[`.
  private static func parseSet(
    _ characters: inout ArraySlice<Unicode.Scalar>, _ op: FileSystem.Operation
  )
    throws -> GlobToken
  {
    var negated = false
    if let first = characters.first, first == "!" || first == "^" {
      negated = true
      characters.removeFirst()
    }
    var ranges: [ClosedRange<Unicode.Scalar>] = []
    var isFirst = true
    while true {
      guard var low = characters.popFirst() else {
        throw op.fail(.invalidArgument, hint: "a '[' in the glob has no closing ']'")
      }
      if low == "]" && !isFirst { break }
      isFirst = false
      if low == "\\", let quoted = characters.popFirst() { low = quoted }
      if characters.count >= 2, characters.first == "-", characters.dropFirst().first != "]" {
        characters.removeFirst()
        var high = characters.removeFirst()
        if high == "\\", let quoted = characters.popFirst() { high = quoted }
        guard low <= high else {
          throw op.fail(.invalidArgument, hint: "the range \(low)-\(high) in the glob is reversed")
        }
        ranges.append(low...high)
      } else {
        ranges.append(low...low)
      }
    }
    return .set(ranges, negated: negated)
  }

  /// The captures when `name` matches, nil otherwise.
  func match(_ name: String) -> [String]? {
    switch self {
    case .literal(let literal): return literal.hasSameBytes(as: name) ? [] : nil
    case .anyDepth: preconditionFailure("** is matched by the walker")
    case .pattern(let tokens):
      return Self.match(tokens, Array(name.unicodeScalars))
    }
  }

  /// The captures when `tokens` match `scalars`, nil otherwise, in O(tokens × scalars) steps: a table of which
  /// suffixes of the name the remaining tokens match decides every choice, so `*` never backtracks (a naive
  /// recursion takes exponential time on patterns like `*a*a*a*b`). Each `*` captures the shortest run that
  /// lets the rest match.
  private static func match(_ tokens: [GlobToken], _ scalars: [Unicode.Scalar]) -> [String]? {
    let width = scalars.count + 1
    // matches[i * width + j]: tokens[i...] match scalars[j...].
    var matches = [Bool](repeating: false, count: (tokens.count + 1) * width)
    matches[tokens.count * width + scalars.count] = true
    for i in stride(from: tokens.count - 1, through: 0, by: -1) {
      for j in stride(from: scalars.count, through: 0, by: -1) {
        if case .anyRun = tokens[i] {
          matches[i * width + j] =
            matches[(i + 1) * width + j] || (j < scalars.count && matches[i * width + j + 1])
        } else {
          matches[i * width + j] =
            j < scalars.count && tokens[i].accepts(scalars[j]) && matches[(i + 1) * width + j + 1]
        }
      }
    }
    guard matches[0] else { return nil }
    var captures: [String] = []
    var j = 0
    for (i, token) in tokens.enumerated() {
      switch token {
      case .literal:
        j += 1
      case .anyCharacter, .set:
        captures.append(String(scalars[j]))
        j += 1
      case .anyRun:
        var end = j
        while !matches[(i + 1) * width + end] { end += 1 }
        captures.append(String(String.UnicodeScalarView(scalars[j..<end])))
        j = end
      }
    }
    return captures
  }
}

/// One element of a glob component; a character is one Unicode scalar, compared by value.
enum GlobToken {
  case literal(Unicode.Scalar)
  /// `?`
  case anyCharacter
  /// `*`
  case anyRun
  /// `[...]`
  case set([ClosedRange<Unicode.Scalar>], negated: Bool)

  func accepts(_ character: Unicode.Scalar) -> Bool {
    switch self {
    case .literal(let literal): literal == character
    case .anyCharacter: true
    case .anyRun: true
    case .set(let ranges, let negated): ranges.contains { $0.contains(character) } != negated
    }
  }
}

/// The depth-first walk behind `FileSystem.glob`.
struct GlobWalker {
  let fileSystem: FileSystem
  let components: [GlobComponent]
  let op: FileSystem.Operation
  var matches: [GlobMatch] = []

  /// Matches `components[index...]` below the directory `stack`, reached as `path`.
  mutating func walk(
    index: Int, stack: [FileSystem.Frame], path: [String], entryType: EntryType, captures: [String]
  ) throws {
    guard index < components.count else {
      matches.append(
        GlobMatch(path: PathName.absolute(path), captures: captures, entryType: entryType))
      return
    }
    let isLast = index == components.count - 1
    switch components[index] {
    case .literal(let name) where name.hasSameBytes(as: "."):
      try walk(index: index + 1, stack: stack, path: path, entryType: entryType, captures: captures)
    case .literal(let name) where name.hasSameBytes(as: ".."):
      try walk(
        index: index + 1, stack: stack.count > 1 ? Array(stack.dropLast()) : stack,
        path: Array(path.dropLast()), entryType: .directory, captures: captures)
    case .literal(let name):
      guard let child = try fileSystem.lookup(name, in: stack.last!.directory) else { return }
      try visit(
        name, child, index: index, isLast: isLast, stack: stack, path: path, captures: captures)
    case .pattern:
      for entry in try fileSystem.listing(of: stack.last!.directory) {
        guard let captured = components[index].match(entry.name),
          let child = try fileSystem.lookup(entry.name, in: stack.last!.directory)
        else { continue }
        try visit(
          entry.name, child, index: index, isLast: isLast, stack: stack, path: path,
          captures: captures + captured)
      }
    case .anyDepth:
      try descend(
        index: index, stack: stack, path: path, entryType: entryType, crossed: [],
        captures: captures)
    }
  }

  /// Continues after a component matched `child`: records it at the end, or enters it as a directory.
  private mutating func visit(
    _ name: String, _ child: FileSystem.Child, index: Int, isLast: Bool, stack: [FileSystem.Frame],
    path: [String], captures: [String]
  ) throws {
    if isLast {
      matches.append(
        GlobMatch(
          path: PathName.absolute(path + [name]), captures: captures, entryType: child.entryType))
      return
    }
    guard let inner = try enter(name, child, stack: stack) else { return }
    try walk(
      index: index + 1, stack: inner, path: path + [name], entryType: .directory, captures: captures
    )
  }

  /// The stack inside `child` when it is a directory or a symbolic link to one; nil otherwise.
  private func enter(_ name: String, _ child: FileSystem.Child, stack: [FileSystem.Frame]) throws
    -> [FileSystem.Frame]?
  {
    if child.entryType == .symlink {
      do {
        let resolution = try fileSystem.resolve([name], from: stack, op, followFinal: true)
        guard let finalName = resolution.name else { return resolution.stack }
        guard let target = resolution.child,
          let directory = try fileSystem.directory(for: target, op)
        else { return nil }
        return resolution.stack + [
          FileSystem.Frame(name: finalName, directory: directory, child: target)
        ]
      } catch let error as FileSystemError
        where [.notFound, .notADirectory, .symlinkLoop].contains(error.code)
      {
        return nil
      }
    }
    guard let directory = try fileSystem.directory(for: child, op) else { return nil }
    return stack + [FileSystem.Frame(name: name, directory: directory, child: child)]
  }

  /// `**` at `index`: tries the rest here, then in every real (not symbolic-link) subdirectory.
  private mutating func descend(
    index: Int, stack: [FileSystem.Frame], path: [String], entryType: EntryType, crossed: [String],
    captures: [String]
  ) throws {
    let joined = crossed.joined(separator: "/")
    try walk(
      index: index + 1, stack: stack, path: path, entryType: entryType,
      captures: captures + [joined])
    for entry in try fileSystem.listing(of: stack.last!.directory) {
      guard let child = try fileSystem.lookup(entry.name, in: stack.last!.directory) else {
        continue
      }
      // `**` enters stored directories and the computed directories inside a dynamic one, but neither
      // symbolic links nor dynamic-directory nodes (like `find -xdev`), so it cannot loop through either.
      let descends = child.entryType == .directory
      if index == components.count - 1, !descends {
        // A trailing `**` also matches the entries below that it does not enter.
        matches.append(
          GlobMatch(
            path: PathName.absolute(path + [entry.name]),
            captures: captures + [(crossed + [entry.name]).joined(separator: "/")],
            entryType: child.entryType))
        continue
      }
      guard descends, let directory = try fileSystem.directory(for: child, op) else { continue }
      guard crossed.count < FileSystem.maximumGlobDepth else {
        throw op.fail(
          .invalidArgument, at: PathName.absolute(path),
          hint: "'**' went more than \(FileSystem.maximumGlobDepth) directories deep; "
            + "a dynamic directory may contain itself")
      }
      try descend(
        index: index,
        stack: stack + [FileSystem.Frame(name: entry.name, directory: directory, child: child)],
        path: path + [entry.name], entryType: child.entryType, crossed: crossed + [entry.name],
        captures: captures)
    }
  }
}

/// A pattern that names a glob match's captures: `$1`, `$2`... are the captures of the glob's wildcards in
/// order, `$$` is `$` (`pond reduce`'s output directory, a site's station file).
public enum CapturePattern {
  /// What `substitute` refuses.
  public enum Problem: Error, Sendable, Equatable {
    /// A `$` followed by neither a capture number (from 1) nor `$`.
    case dollarWithoutNumber
    /// `$number`, but the glob has only `available` wildcards.
    case beyondCaptures(number: Int, available: Int)
  }

  /// `pattern` with `$1`... replaced by `captures` and `$$` by `$`.
  public static func substitute(_ pattern: String, captures: [String]) throws(Problem) -> String {
    var result = ""
    var characters = pattern[...]
    while let character = characters.first {
      characters = characters.dropFirst()
      guard character == "$" else {
        result.append(character)
        continue
      }
      if characters.first == "$" {
        result.append("$")
        characters = characters.dropFirst()
        continue
      }
      let digits = characters.prefix { $0.isASCII && $0.isNumber }
      guard let number = Int(digits), number >= 1 else { throw .dollarWithoutNumber }
      guard number <= captures.count else {
        throw .beyondCaptures(number: number, available: captures.count)
      }
      result += captures[number - 1]
      characters = characters.dropFirst(digits.count)
    }
    return result
  }
}
