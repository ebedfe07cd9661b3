/// A path that matched a glob pattern, with what each wildcard matched.
public struct GlobMatch: Hashable, Sendable {
  /// The matched path, absolute, spelled as the pattern walked it (a symbolic link in the middle keeps its
  /// own name, not its target's).
  public var path: String
  /// One string per wildcard, in pattern order: `*`, `?` and `[...]` capture what they matched in one name,
  /// `**` captures the directories it crossed joined with `/` (empty for none).
  public var captures: [String]
  /// The entry type at `path`, not following a final symbolic link.
  public var entryType: EntryType
}

extension FileSystem {
  /// The paths matching `pattern`, sorted by their UTF-8 bytes.
  ///
  /// A component may use `*` (any run of characters), `?` (one character), `[abc]`, `[a-z]` and `[!x]` or
  /// `[^x]` (one character in or not in the set), and `\` to quote the next character; each `*` takes the
  /// shortest match that lets the rest match. A component that is exactly `**` matches zero or more
  /// directories; at the end of a pattern it matches the directory itself and everything below. Names starting
  /// with `.` are matched like any other. A relative pattern starts at the working directory.
  ///
  /// Symbolic links: every component except `**` follows links to directories, which is finite because each
  /// such component is used once per match; `**` never descends through a symbolic link, so every walk ends
  /// even when links form a cycle. A symbolic link that dangles or loops simply does not match a component
  /// that needs a directory.
  public func glob(_ pattern: String) throws -> [GlobMatch] {
    let op = Operation(name: "glob", path: pattern)
    let parsed = try PathName(pattern, operation: op.name)
    let components = try parsed.components.map { try GlobComponent(parsing: $0, op) }
    let start = parsed.isAbsolute ? [rootFrame] : try workingStack(op)
    var walker = GlobWalker(fileSystem: self, components: components, op: op)
    try walker.walk(
      index: 0, stack: start, path: start.dropFirst().map(\.name), entryType: .directory,
      captures: [])
    var seen = Set<String>()
    return walker.matches.sorted {
      if $0.path != $1.path { return $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
      return $0.captures.lexicographicallyPrecedes($1.captures) {
        $0.utf8.lexicographicallyPrecedes($1.utf8)
      }
    }.filter { seen.insert($0.path).inserted }
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
    if text == "**" {
      self = .anyDepth
      return
    }
    var tokens: [GlobToken] = []
    var hasWildcard = false
    var characters = Array(text)[...]
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
      self = .literal(
        String(tokens.map { if case .literal(let c) = $0 { c } else { preconditionFailure() } }))
    }
  }

  /// Parses the rest of a `[...]` set after its `[`.
  private static func parseSet(
    _ characters: inout ArraySlice<Character>, _ op: FileSystem.Operation
  )
    throws -> GlobToken
  {
    var negated = false
    if let first = characters.first, first == "!" || first == "^" {
      negated = true
      characters.removeFirst()
    }
    var ranges: [ClosedRange<Character>] = []
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
    case .literal(let literal): return literal == name ? [] : nil
    case .anyDepth: preconditionFailure("** is matched by the walker")
    case .pattern(let tokens):
      let characters = Array(name)
      var captures: [String] = []
      return Self.match(tokens[...], characters[...], &captures) ? captures : nil
    }
  }

  private static func match(
    _ tokens: ArraySlice<GlobToken>, _ characters: ArraySlice<Character>, _ captures: inout [String]
  ) -> Bool {
    guard let token = tokens.first else { return characters.isEmpty }
    let rest = tokens.dropFirst()
    switch token {
    case .literal(let literal):
      guard characters.first == literal else { return false }
      return match(rest, characters.dropFirst(), &captures)
    case .anyCharacter, .set:
      guard let character = characters.first, token.accepts(character) else { return false }
      captures.append(String(character))
      if match(rest, characters.dropFirst(), &captures) { return true }
      captures.removeLast()
      return false
    case .anyRun:
      for length in 0...characters.count {
        let split = characters.index(characters.startIndex, offsetBy: length)
        captures.append(String(characters[..<split]))
        if match(rest, characters[split...], &captures) { return true }
        captures.removeLast()
      }
      return false
    }
  }
}

/// One element of a glob component.
enum GlobToken {
  case literal(Character)
  /// `?`
  case anyCharacter
  /// `*`
  case anyRun
  /// `[...]`
  case set([ClosedRange<Character>], negated: Bool)

  func accepts(_ character: Character) -> Bool {
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
    case .literal("."):
      try walk(index: index + 1, stack: stack, path: path, entryType: entryType, captures: captures)
    case .literal(".."):
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
      if index == components.count - 1, !child.entryType.isDirectory {
        // A trailing `**` also matches the non-directories below.
        matches.append(
          GlobMatch(
            path: PathName.absolute(path + [entry.name]),
            captures: captures + [(crossed + [entry.name]).joined(separator: "/")],
            entryType: child.entryType))
        continue
      }
      guard child.entryType != .symlink,
        let directory = try fileSystem.directory(for: child, op)
      else { continue }
      try descend(
        index: index,
        stack: stack + [FileSystem.Frame(name: entry.name, directory: directory, child: child)],
        path: path + [entry.name], entryType: child.entryType, crossed: crossed + [entry.name],
        captures: captures)
    }
  }
}
