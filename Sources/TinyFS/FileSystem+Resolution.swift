// How a path leads to a node: symbolic links, `.` and `..`, dynamic directories.

extension FileSystem {
  /// A directory reached while resolving: stored (by id) or computed.
  enum Directory {
    case stored(NodeID)
    case dynamic(any DynamicDirectory)
  }

  /// A child found in a directory.
  enum Child {
    case stored(DirectoryEntry)
    case computed(DynamicChild)

    var entryType: EntryType {
      switch self {
      case .stored(let entry): entry.entryType
      case .computed(let child): child.entryType
      }
    }

    var storedID: NodeID? {
      if case .stored(let entry) = self { entry.id } else { nil }
    }
  }

  /// One directory on the resolved path; the first frame is the root.
  struct Frame {
    var name: String
    var directory: Directory
    var child: Child
  }

  /// Where a path led: the directory stack and, unless the path names the top of the stack itself (`/`, `.`,
  /// `..`), the final name and what is there (nil when nothing).
  struct Resolution {
    var stack: [Frame]
    var name: String?
    var child: Child?
    /// The path ended in `/`, so it must name a directory.
    var hasTrailingSlash = false

    var directoryPath: String { PathName.absolute(stack.dropFirst().map(\.name)) }

    /// The resolved path (symbolic links in intermediate components replaced by their targets).
    var path: String {
      guard let name else { return directoryPath }
      return stack.count == 1 ? "/" + name : directoryPath + "/" + name
    }

    var isInDynamicDirectory: Bool {
      if case .dynamic = stack.last!.directory { true } else { false }
    }
  }

  /// An operation's name and its caller-given path, for errors.
  struct Operation {
    var name: String
    var path: String

    func fail(_ code: FileSystemError.Code, at failingPath: String? = nil, hint: String? = nil)
      -> FileSystemError
    {
      FileSystemError(code, operation: name, path: path, failingPath: failingPath, hint: hint)
    }
  }

  var rootFrame: Frame {
    Frame(
      name: "", directory: .stored(.root),
      child: .stored(DirectoryEntry(name: "", id: .root, entryType: .directory)))
  }

  /// Resolves `text` from the root (a relative path too: the tree has no working directory).
  func resolve(_ text: String, _ op: Operation, followFinal: Bool) throws -> Resolution {
    let parsed = try PathName(text, operation: op.name)
    return try resolve(
      parsed.components, from: [rootFrame], trailingSlash: parsed.hasTrailingSlash, op,
      followFinal: followFinal)
  }

  /// Resolves `components` from the directory stack `start`.
  func resolve(
    _ components: [String], from start: [Frame], trailingSlash: Bool = false, _ op: Operation,
    followFinal: Bool
  ) throws -> Resolution {
    var stack = start
    var queue = Array(components.reversed())
    var hops = 0
    let followLast = followFinal || trailingSlash
    while let component = queue.popLast() {
      if component.hasSameBytes(as: ".") { continue }
      if component.hasSameBytes(as: "..") {
        if stack.count > 1 { stack.removeLast() }
        continue
      }
      let isFinal = queue.isEmpty
      let here = Resolution(stack: stack, name: component, child: nil).path
      guard let child = try lookup(component, in: stack.last!.directory) else {
        if isFinal {
          return Resolution(
            stack: stack, name: component, child: nil, hasTrailingSlash: trailingSlash)
        }
        throw op.fail(.notFound, at: here)
      }
      if child.entryType == .symlink && (!isFinal || followLast) {
        hops += 1
        guard hops <= Self.maximumSymlinkHops else {
          throw op.fail(
            .symlinkLoop, at: here,
            hint: "more than \(Self.maximumSymlinkHops) symbolic links; check for a link cycle")
        }
        let target = try symlinkTarget(child)
        if target.utf8.first == PathName.separator { stack = [rootFrame] }
        queue.append(contentsOf: PathName.split(target).reversed())
        continue
      }
      if !isFinal {
        guard let directory = try directory(for: child, op) else {
          throw op.fail(.notADirectory, at: here)
        }
        stack.append(Frame(name: component, directory: directory, child: child))
        continue
      }
      if trailingSlash && !child.entryType.isDirectory {
        throw op.fail(.notADirectory, at: here)
      }
      return Resolution(stack: stack, name: component, child: child)
    }
    return Resolution(stack: stack, name: nil, child: nil)
  }

  /// The child called `name` in `directory`, or nil.
  func lookup(_ name: String, in directory: Directory) throws -> Child? {
    switch directory {
    case .stored(let id): try entries(of: id)[NameKey(name)].map(Child.stored)
    case .dynamic(let dynamic): try dynamic.child(named: name).map(Child.computed)
    }
  }

  /// The directory `child` is, or nil when it is not one (symbolic links are not followed).
  func directory(for child: Child, _ op: Operation) throws -> Directory? {
    switch child {
    case .stored(let entry):
      switch entry.entryType {
      case .directory: return .stored(entry.id)
      case .dynamic: return .dynamic(try instantiate(entry.id, op))
      case .file, .series, .symlink, .table, .tableSeries: return nil
      }
    case .computed(.directory(let dynamic)): return .dynamic(dynamic)
    case .computed: return nil
    }
  }

  /// The children of `directory`, unsorted.
  func listing(of directory: Directory) throws -> [ListedEntry] {
    switch directory {
    case .stored(let id):
      return try entries(of: id).values.map {
        ListedEntry(name: $0.name, entryType: $0.entryType, id: $0.id)
      }
    case .dynamic(let dynamic):
      return try dynamic.childNames().compactMap { name in
        try dynamic.child(named: name).map {
          ListedEntry(name: name, entryType: $0.entryType, id: nil)
        }
      }
    }
  }

  func symlinkTarget(_ child: Child) throws -> String {
    switch child {
    case .stored(let entry): String(decoding: try storedContent(entry.id), as: UTF8.self)
    case .computed(.symlink(let target)): target
    case .computed: preconditionFailure("symlinkTarget of a \(child.entryType)")
    }
  }

  /// The dynamic directory stored at node `id`.
  func instantiate(_ id: NodeID, _ op: Operation) throws -> any DynamicDirectory {
    let specification = try storedContent(id)
    let separator = specification.firstIndex(of: 0) ?? specification.endIndex
    let name = String(decoding: specification[..<separator], as: UTF8.self)
    guard let factory = factories[name] else {
      throw op.fail(
        .invalidArgument,
        hint:
          "dynamic directory \(id) needs the factory '\(name)', which this program does not register"
      )
    }
    let configuration = Array(specification[min(separator + 1, specification.endIndex)...])
    return try factory.makeDirectory(configuration: configuration, fileSystem: self)
  }

  /// The final name and child of a resolution that must exist.
  func existing(_ resolution: Resolution, _ op: Operation) throws -> (String, Child) {
    guard let name = resolution.name else {
      let top = resolution.stack.last!
      return (top.name, top.child)
    }
    guard let child = resolution.child else { throw op.fail(.notFound, at: resolution.path) }
    return (name, child)
  }
}
