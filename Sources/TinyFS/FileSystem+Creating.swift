// Creating nodes and writing their content.

extension FileSystem {
  /// Creates a directory; with `withParents`, also the missing directories above it, and an existing directory
  /// at `path` is not an error (like `mkdir -p`).
  public func createDirectory(_ path: String, withParents: Bool = false) throws {
    let op = Operation(name: "mkdir", path: path)
    try changing(op) {
      if withParents {
        let parsed = try PathName(path, operation: op.name)
        var prefix = parsed.isAbsolute ? "/" : ""
        for component in parsed.components {
          prefix +=
            prefix.isEmpty || prefix.utf8.last == PathName.separator ? component : "/" + component
          let resolution = try resolve(prefix, op, followFinal: true)
          guard let name = resolution.name, resolution.child == nil else {
            let (_, child) = try existing(resolution, op)
            guard child.entryType.isDirectory else {
              throw op.fail(.notADirectory, at: resolution.path)
            }
            continue
          }
          try create(name, in: resolution, type: .directory, payload: nil, op)
        }
      } else {
        try createNew(path, type: .directory, payload: nil, op)
      }
    }
  }

  /// Creates the file at `path` or replaces its content; a final symbolic link is followed (a dangling one
  /// creates its target).
  public func writeFile(_ path: String, contents: [UInt8]) throws {
    let op = Operation(name: "write", path: path)
    try changing(op) {
      guard let (entry, resolution) = try existingFileOrNewFile(path, contents: contents, op)
      else {
        return
      }
      guard entry.entryType == .file else {
        throw op.fail(
          .notPermitted, at: resolution.path, hint: Self.writeHint(entry.entryType))
      }
      pending!.writes[entry.id] = PendingWrite(entryType: .file, payload: .content(contents))
    }
  }

  /// How a node of `type`, which a plain write may not replace, is written.
  private static func writeHint(_ type: EntryType) -> String {
    switch type {
    case .table: "a table is replaced by a table: 'pond copy --table'"
    case .tableSeries: "a series of tables is appended to with 'pond copy --series --table'"
    default: "a series is append-only; append with 'pond copy --series'"
    }
  }

  /// Creates the table at `path` or replaces it with a new version holding `contents` (a whole Parquet
  /// file, or a large file's stand-in); a final symbolic link is followed.
  public func writeTable(_ path: String, contents: [UInt8]) throws {
    try storeTableVersion(path, contents: contents, as: .table)
  }

  /// Appends a version holding `contents` (a whole Parquet file, or a large file's stand-in) to the series
  /// of tables at `path`, creating it when nothing is there. One append per series per transaction.
  public func appendTable(_ path: String, contents: [UInt8]) throws {
    try storeTableVersion(path, contents: contents, as: .tableSeries)
  }

  /// A new version of the table (`.table`) or series of tables (`.tableSeries`) at `path`, created when
  /// nothing is there: a table's version holds its whole content, a series' the bytes it appends.
  private func storeTableVersion(_ path: String, contents: [UInt8], as type: EntryType) throws {
    let op = Operation(name: type == .table ? "write" : "append", path: path)
    try changing(op) {
      try refuseDotName(path, op)
      let resolution = try resolve(path, op, followFinal: true)
      guard let name = resolution.name else { throw op.fail(.isADirectory, at: resolution.path) }
      guard let child = resolution.child else {
        try create(name, in: resolution, type: type, payload: .content(contents), op)
        return
      }
      let entry = try storedEntry(child, resolution, op)
      guard entry.entryType == type else {
        throw op.fail(
          entry.entryType.isDirectory ? .isADirectory : .notPermitted, at: resolution.path,
          hint:
            "it is a \(entry.entryType), not a \(type == .table ? "table" : "series of tables"); "
            + "remove it first or choose another name")
      }
      guard type == .tableSeries else {
        pending!.writes[entry.id] = PendingWrite(entryType: .table, payload: .content(contents))
        return
      }
      precondition(
        pending!.writes[entry.id] == nil, "two appends to the series of tables \(resolution.path)")
      pending!.writes[entry.id] = PendingWrite(entryType: .tableSeries, payload: .append(contents))
    }
  }

  /// Appends to the file or series at `path`, creating a file when nothing is there; a series stores only the
  /// appended bytes in its new version.
  public func appendFile(_ path: String, contents: [UInt8]) throws {
    let op = Operation(name: "append", path: path)
    try changing(op) {
      guard let (entry, _) = try existingFileOrNewFile(path, contents: contents, op) else {
        return
      }
      if entry.entryType.isTable {
        throw op.fail(.notPermitted, at: op.path, hint: Self.writeHint(entry.entryType))
      }
      if entry.entryType == .file {
        let current = try storedContent(entry.id)
        pending!.writes[entry.id] = PendingWrite(
          entryType: .file, payload: .content(current + contents))
        return
      }
      let payload: PendingPayload =
        switch pending!.writes[entry.id]?.payload {
        case .content(let bytes): .content(bytes + contents)
        case .append(let bytes): .append(bytes + contents)
        case nil, .unchanged, .symlink: .append(contents)
        }
      pending!.writes[entry.id] = PendingWrite(entryType: .series, payload: payload)
    }
  }

  /// Creates an empty series (an append-only file) at `path`.
  public func createSeries(_ path: String) throws {
    let op = Operation(name: "mkseries", path: path)
    try changing(op) { try createNew(path, type: .series, payload: .content([]), op) }
  }

  /// Creates a symbolic link at `path` pointing to `target`, which need not exist.
  public func createSymlink(_ path: String, target: String) throws {
    let op = Operation(name: "ln -s", path: path)
    guard !target.isEmpty, !target.utf8.contains(0) else {
      throw op.fail(.invalidName, hint: "a symbolic link target must be non-empty and without NUL")
    }
    try changing(op) { try createNew(path, type: .symlink, payload: .symlink(target), op) }
  }

  /// Creates a dynamic directory at `path`, computed by the factory registered as `factory`.
  public func createDynamicDirectory(_ path: String, factory: String, configuration: [UInt8]) throws
  {
    let op = Operation(name: "mkdynamic", path: path)
    guard let maker = factories[factory] else {
      throw op.fail(
        .invalidArgument,
        hint: "no dynamic directory factory named '\(factory)'; registered: "
          + factories.keys.sorted { $0.precedesByBytes($1) }.joined(separator: ", "))
    }
    guard !factory.isEmpty, !factory.utf8.contains(0) else {
      throw op.fail(.invalidArgument, hint: "a factory name must be non-empty and without NUL")
    }
    _ = try maker.makeDirectory(configuration: configuration, fileSystem: self)
    let specification = Array(factory.utf8) + [0] + configuration
    try changing(op) { try createNew(path, type: .dynamic, payload: .content(specification), op) }
  }

  /// Creates a node at `path`, where nothing may be (a final symbolic link is not followed) and whose final
  /// name is not `.` or `..`.
  private func createNew(_ path: String, type: EntryType, payload: PendingPayload?, _ op: Operation)
    throws
  {
    try refuseDotName(path, op)
    let resolution = try resolve(path, op, followFinal: false)
    guard let name = resolution.name, resolution.child == nil else {
      throw op.fail(.exists, at: resolution.path)
    }
    try create(name, in: resolution, type: type, payload: payload, op)
  }

  /// Creates a node called `name` in the resolved directory.
  private func create(
    _ name: String, in resolution: Resolution, type: EntryType, payload: PendingPayload?,
    _ op: Operation
  ) throws {
    let parent = try writableParent(resolution, op)
    try PathName.validateNewName(name, operation: op.name, path: op.path)
    if type != .directory, resolution.hasTrailingSlash {
      throw op.fail(
        .notADirectory, at: resolution.path, hint: "a path ending in '/' names a directory")
    }
    let id = idGenerator.next()
    pending!.parents[id] = parent
    if type == .directory {
      pending!.listings[id] = [:]
    } else {
      pending!.writes[id] = PendingWrite(entryType: type, payload: payload!)
    }
    try modifyEntries(of: parent) {
      $0[NameKey(name)] = DirectoryEntry(name: name, id: id, entryType: type)
    }
  }

  func writableParent(_ resolution: Resolution, _ op: Operation) throws -> NodeID {
    guard case .stored(let id) = resolution.stack.last!.directory else {
      throw op.fail(
        .readOnly, at: resolution.path,
        hint: "\(resolution.directoryPath) is a dynamic directory; its entries are computed")
    }
    return id
  }

  /// Resolves `path` (following a final link) for a write of `contents`: when nothing is there, creates a file
  /// holding `contents` and returns nil; otherwise returns the stored file or series found and its resolution.
  private func existingFileOrNewFile(_ path: String, contents: [UInt8], _ op: Operation) throws
    -> (DirectoryEntry, Resolution)?
  {
    try refuseDotName(path, op)
    let resolution = try resolve(path, op, followFinal: true)
    guard let name = resolution.name else { throw op.fail(.isADirectory, at: resolution.path) }
    guard let child = resolution.child else {
      try create(name, in: resolution, type: .file, payload: .content(contents), op)
      return nil
    }
    let entry = try storedEntry(child, resolution, op)
    switch entry.entryType {
    case .file, .series, .table, .tableSeries: return (entry, resolution)
    case .directory, .dynamic: throw op.fail(.isADirectory, at: resolution.path)
    case .symlink:
      preconditionFailure(
        "resolve(followFinal: true) returned the symbolic link \(resolution.path)")
    }
  }

  func storedEntry(_ child: Child, _ resolution: Resolution, _ op: Operation) throws
    -> DirectoryEntry
  {
    guard case .stored(let entry) = child else {
      throw op.fail(
        .readOnly, at: resolution.path,
        hint: "\(resolution.directoryPath) is a dynamic directory; its entries are computed")
    }
    return entry
  }

  /// Fails when the final component of `path` is `.` or `..`; `hint` adds what that path names.
  func refuseDotName(_ path: String, _ op: Operation, hint: String? = nil) throws {
    let parsed = try PathName(path, operation: op.name)
    if let last = parsed.components.last, last.hasSameBytes(as: ".") || last.hasSameBytes(as: "..")
    {
      throw op.fail(
        .invalidName, at: path,
        hint: "'\(last)' cannot name an entry to create, remove or rename"
          + (hint.map { "; " + $0 } ?? ""))
    }
  }
}
