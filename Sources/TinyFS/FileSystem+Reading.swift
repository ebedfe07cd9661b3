// Reading nodes: metadata, content, link targets, listings.

extension FileSystem {
  public func stat(_ path: String) throws -> FileInfo {
    let op = Operation(name: "stat", path: path)
    return try info(try resolve(path, op, followFinal: true), op)
  }

  /// Metadata of the node at `path`; a final symbolic link is described, not followed.
  public func lstat(_ path: String) throws -> FileInfo {
    let op = Operation(name: "lstat", path: path)
    return try info(try resolve(path, op, followFinal: false), op)
  }

  /// True when `path` names a node; a dangling final symbolic link exists.
  public func exists(_ path: String) throws -> Bool {
    let op = Operation(name: "exists", path: path)
    do {
      let resolution = try resolve(path, op, followFinal: false)
      return resolution.name == nil || resolution.child != nil
    } catch let error as FileSystemError where error.code == .notFound {
      return false
    }
  }

  /// The content of the file or series at `path`.
  public func readFile(_ path: String) throws -> [UInt8] {
    let op = Operation(name: "read", path: path)
    let resolution = try resolve(path, op, followFinal: true)
    let (_, child) = try existing(resolution, op)
    switch child {
    case .stored(let entry):
      guard !entry.entryType.isDirectory else { throw op.fail(.isADirectory, at: resolution.path) }
      return try storedContent(entry.id)
    case .computed(.file(let bytes)):
      return bytes
    case .computed:
      throw op.fail(.isADirectory, at: resolution.path)
    }
  }

  /// The target of the symbolic link at `path`.
  public func readSymlink(_ path: String) throws -> String {
    let op = Operation(name: "readlink", path: path)
    let resolution = try resolve(path, op, followFinal: false)
    let (_, child) = try existing(resolution, op)
    guard child.entryType == .symlink else {
      throw op.fail(.invalidArgument, at: resolution.path, hint: "not a symbolic link")
    }
    return try symlinkTarget(child)
  }

  /// The entries of the directory at `path` (following symbolic links), sorted by the names' UTF-8 bytes.
  public func list(_ path: String) throws -> [ListedEntry] {
    let op = Operation(name: "ls", path: path)
    let resolution = try resolve(path, op, followFinal: true)
    let (_, child) = try existing(resolution, op)
    guard let directory = try directory(for: child, op) else {
      throw op.fail(.notADirectory, at: resolution.path)
    }
    return try listing(of: directory).sorted { $0.name.precedesByBytes($1.name) }
  }

  /// The paths `ls` shows for `operand`: the matches of a glob pattern (`paths(matching:)`); the entries of
  /// a directory (following symbolic links) under its resolved path, sorted by their bytes; or the operand
  /// itself, as written, when it names anything else (following a final link, which must not dangle).
  public func paths(listing operand: String) throws -> [String] {
    if Self.isPattern(operand) { return try paths(matching: operand) }
    let info = try stat(operand)
    guard info.entryType.isDirectory else { return [operand] }
    let base = info.path == "/" ? "" : info.path
    return try list(operand).map { base + "/" + $0.name }
  }

  private func info(_ resolution: Resolution, _ op: Operation) throws -> FileInfo {
    let (name, child) = try existing(resolution, op)
    switch child {
    case .stored(let entry):
      let record = try persistence.node(entry.id, at: snapshotTransaction)
      let write = pending?.writes[entry.id]
      let isDirty = write != nil || pending?.listings[entry.id] != nil
      let size: UInt64
      switch (entry.entryType, write?.payload) {
      case (.directory, _): size = UInt64(try entries(of: entry.id).count)
      case (_, .content(let bytes)): size = UInt64(bytes.count)
      case (_, .append(let bytes)): size = (record?.size ?? 0) + UInt64(bytes.count)
      case (_, .symlink(let target)): size = UInt64(target.utf8.count)
      case (_, .unchanged), (_, nil): size = record?.size ?? 0
      }
      return FileInfo(
        path: resolution.path, name: name, entryType: entry.entryType, id: entry.id,
        version: (record?.version ?? 0) + (isDirty ? 1 : 0), size: size,
        symlinkTarget: entry.entryType == .symlink ? try symlinkTarget(child) : nil,
        transaction: isDirty ? nil : record?.transaction, isComputed: false)
    case .computed(let computed):
      let size: UInt64 =
        switch computed {
        case .file(let bytes): UInt64(bytes.count)
        case .directory(let dynamic): UInt64(try dynamic.childNames().count)
        case .symlink(let target): UInt64(target.utf8.count)
        }
      let target: String? = if case .symlink(let target) = computed { target } else { nil }
      return FileInfo(
        path: resolution.path, name: name, entryType: computed.entryType, id: nil, version: 0,
        size: size, symlinkTarget: target, transaction: nil, isComputed: true)
    }
  }
}
