// Moving a node to another name or directory.

extension FileSystem {
  /// Moves the node at `source` to `destination`, like POSIX `rename`: an existing destination file is
  /// replaced, an existing destination directory is replaced only by a directory and only when empty, and a
  /// directory cannot move below itself. Symbolic links at either end are moved or replaced, not followed.
  ///
  /// A trailing `/` on either path says it names a directory (as in Linux `rename(2)`): moving a file, series
  /// or symbolic link with a `/` on either path fails with `notADirectory`, as does a destination with a `/`
  /// that exists as anything but a directory. A directory may move to a missing `name/`; it is then called
  /// `name`. Moving *into* a directory is `move(_:to:)`.
  public func rename(_ source: String, to destination: String) throws {
    let op = Operation(name: "rename", path: "\(source) -> \(destination)")
    try changing(op) {
      try refuseDotName(source, op)
      try refuseDotName(destination, op)
      // The final components are never followed, even with a trailing `/`: the slash is checked below.
      let sourceSlash = try PathName(source, operation: op.name).hasTrailingSlash
      let destinationSlash = try PathName(destination, operation: op.name).hasTrailingSlash
      let from = try resolve(PathName.droppingTrailingSlashes(source), op, followFinal: false)
      let to = try resolve(PathName.droppingTrailingSlashes(destination), op, followFinal: false)
      guard let sourceName = from.name, let toName = to.name else {
        throw op.fail(
          .notPermitted, at: "/", hint: "the root directory cannot be moved or replaced")
      }
      guard let sourceChild = from.child else { throw op.fail(.notFound, at: from.path) }
      if sourceSlash, !sourceChild.entryType.isDirectory {
        throw op.fail(
          .notADirectory, at: from.path,
          hint: "'\(source)' ends in '/' but is a \(sourceChild.entryType); drop the '/' to move it"
        )
      }
      if destinationSlash {
        if !sourceChild.entryType.isDirectory {
          let remedy =
            to.child == nil
            ? "drop the '/' to rename it to '\(to.path)', or create that directory first"
            : "name a path inside it, such as '\(to.path)/\(sourceName)', to move it there"
          throw op.fail(
            .notADirectory, at: to.path,
            hint: "'\(destination)' ends in '/', so it names a directory, but '\(source)' is a "
              + "\(sourceChild.entryType); \(remedy)")
        }
        if let target = to.child, !target.entryType.isDirectory {
          throw op.fail(
            .notADirectory, at: to.path,
            hint: "'\(destination)' ends in '/' but is a \(target.entryType), not a directory")
        }
      }
      switch (from.isInDynamicDirectory, to.isInDynamicDirectory) {
      case (true, true):
        throw op.fail(.readOnly, at: from.path, hint: "dynamic directories cannot be changed")
      case (true, false), (false, true):
        throw op.fail(
          .crossDevice, at: from.isInDynamicDirectory ? from.path : to.path,
          hint: "copy the content instead of moving it")
      case (false, false):
        break
      }
      let moving = try storedEntry(sourceChild, from, op)
      let fromParent = try writableParent(from, op)
      let toParent = try writableParent(to, op)
      if let target = to.child {
        let replaced = try storedEntry(target, to, op)
        if replaced.id == moving.id { return }
        if moving.entryType.isDirectory {
          guard replaced.entryType.isDirectory else { throw op.fail(.notADirectory, at: to.path) }
          if replaced.entryType == .directory, try !entries(of: replaced.id).isEmpty {
            throw op.fail(.directoryNotEmpty, at: to.path)
          }
        } else if replaced.entryType.isDirectory {
          throw op.fail(.isADirectory, at: to.path)
        }
      }
      if moving.entryType.isDirectory,
        to.stack.contains(where: { $0.child.storedID == moving.id })
      {
        throw op.fail(
          .invalidArgument, at: to.path, hint: "a directory cannot be moved into itself")
      }
      try PathName.validateNewName(toName, operation: op.name, path: op.path)
      try modifyEntries(of: fromParent) { $0[NameKey(sourceName)] = nil }
      try modifyEntries(of: toParent) {
        $0[NameKey(toName)] = DirectoryEntry(
          name: toName, id: moving.id, entryType: moving.entryType)
      }
      if fromParent != toParent {
        // The node records its parent, so a move is a new version of the moved node.
        pending!.parents[moving.id] = toParent
        if moving.entryType == .directory {
          try modifyEntries(of: moving.id) { _ in }
        } else if pending!.writes[moving.id] == nil {
          pending!.writes[moving.id] = PendingWrite(
            entryType: moving.entryType, payload: .unchanged)
        }
      }
    }
  }

  /// Moves `source` like `mv`: into `destination` under the source's own name (its exact bytes) when
  /// `destination` is an existing directory, following symbolic links; otherwise to `destination` itself, as
  /// `rename(_:to:)` does.
  public func move(_ source: String, to destination: String) throws {
    var target = destination
    // A destination that cannot be read as a directory is a new name, and a source that cannot be read is
    // left to `rename`, which says why.
    if let into = try? stat(destination), into.entryType.isDirectory,
      let name = try? lstat(source).name, !name.isEmpty
    {
      target =
        (destination.utf8.last == PathName.separator ? destination : destination + "/") + name
    }
    try rename(source, to: target)
  }
}
