// Unlinking a node from the latest tree (history keeps it).

extension FileSystem {
  /// Removes the file, series, symbolic link, dynamic directory or empty directory at `path`; with
  /// `recursive`, also a directory and everything below it. A final symbolic link is removed, not followed.
  ///
  /// The root is never removed, however it is spelled (`/`, `/d/..`): a path ending in `.` or `..` is an
  /// `invalidName` like everywhere else, and its hint says when it names the root.
  public func remove(_ path: String, recursive: Bool = false) throws {
    let op = Operation(name: recursive ? "rm -r" : "rm", path: path)
    try changing(op) {
      let resolution = try resolve(path, op, followFinal: false)
      let root = "the root directory can never be removed; remove what is in it instead"
      let namesRoot = resolution.name == nil && resolution.stack.count == 1
      try refuseDotName(path, op, hint: namesRoot ? root : nil)
      guard let name = resolution.name else { throw op.fail(.notPermitted, at: "/", hint: root) }
      guard let child = resolution.child else { throw op.fail(.notFound, at: resolution.path) }
      let entry = try storedEntry(child, resolution, op)
      let parent = try writableParent(resolution, op)
      if entry.entryType == .directory, !recursive, try !entries(of: entry.id).isEmpty {
        throw op.fail(
          .directoryNotEmpty, at: resolution.path,
          hint: "remove its entries first, or remove recursively (rm -r)")
      }
      // The subtree stays in history; it is only unlinked from the latest listing.
      try modifyEntries(of: parent) { $0[NameKey(name)] = nil }
      if try persistence.node(entry.id, at: nil) == nil {
        // Created in this transaction: it never needs a version of its own.
        pending!.writes[entry.id] = nil
        pending!.listings[entry.id] = nil
        pending!.parents[entry.id] = nil
      }
    }
  }
}
