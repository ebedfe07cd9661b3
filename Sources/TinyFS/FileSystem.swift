/// A POSIX-like tree of directories, files, series, symbolic links and dynamic directories over a `Persistence`.
///
/// Paths are absolute (`/a/b`) or relative to `workingDirectory`; `//` and a trailing `/` collapse, `.` is the
/// current directory and `..` the parent of the directory reached so far (after following symbolic links, as
/// in POSIX), with `..` at the root staying at the root. Symbolic links are followed in intermediate components
/// and, for `stat`-like operations, in the final one; more than `maximumSymlinkHops` links in one resolution is
/// a `symlinkLoop` error.
///
/// Every mutating call is one transaction unless it runs inside `transaction(_:)`, which groups calls into one.
/// Within a transaction each changed node gets exactly one new version, and directory listings are written
/// once, at commit, as full snapshots; so a node's version counts the transactions that changed it.
///
/// Not `Sendable`: it caches listings and holds the open transaction; confine it to one task (the CLI is a
/// short-lived single-threaded process).
public final class FileSystem {
  /// The most symbolic links followed while resolving one path.
  public static let maximumSymlinkHops = 40

  /// Where the nodes live.
  public let persistence: any Persistence
  /// The transaction this file system reads at; nil for the live, writable state.
  public let snapshotTransaction: TransactionID?
  /// True for a snapshot: every change fails with `readOnly`.
  public var isReadOnly: Bool { snapshotTransaction != nil }

  private let idGenerator: UUIDv7Generator
  private let factories: [String: any DynamicDirectoryFactory]
  private var workingComponents: [String] = []
  /// Committed listings, keyed by directory; a listing moves to `pending` while a transaction changes it.
  /// Names are keyed by their bytes: two names that differ only in Unicode normalization are two entries.
  private var listingCache: [NodeID: [NameKey: DirectoryEntry]] = [:]
  private var pending: Pending?

  /// Opens the tree in `persistence`, creating the root directory (transaction 0) when it is empty.
  ///
  /// - Parameters:
  ///   - transaction: read the tree as it was right after this transaction, read-only; nil for the latest.
  ///   - dynamicFactories: the factories `.dynamic` nodes name, by name.
  ///   - idGenerator: makes node ids; share one between file systems of one process to keep ids monotonic.
  public init(
    persistence: any Persistence, at transaction: TransactionID? = nil,
    dynamicFactories: [String: any DynamicDirectoryFactory] = [:],
    idGenerator: UUIDv7Generator = UUIDv7Generator()
  ) throws {
    self.persistence = persistence
    self.snapshotTransaction = transaction
    self.factories = dynamicFactories
    self.idGenerator = idGenerator
    if let transaction {
      guard let head = persistence.head, transaction <= head,
        try persistence.node(.root, at: transaction) != nil
      else {
        throw PersistenceError(
          "transaction \(transaction) does not exist (head is \(persistence.head.map { "\($0)" } ?? "none"))"
        )
      }
    } else if try persistence.node(.root, at: nil) == nil {
      guard persistence.head == nil else {
        throw PersistenceError(
          "the persistence has transactions up to \(persistence.head!) but no root directory \(NodeID.root)"
        )
      }
      _ = try persistence.beginTransaction(timestamp: WallClock.microsecondsSinceEpoch())
      do {
        try persistence.store(
          NodeWrite(
            id: .root, parentID: .root, version: 1, entryType: .directory, payload: .directory([])))
        _ = try persistence.commit()
      } catch {
        persistence.rollback()
        throw error
      }
    }
  }

  // MARK: Transactions

  /// Runs `body` as one transaction: all its changes commit together, or none when it throws.
  ///
  /// Nested calls join the outermost transaction.
  @discardableResult
  public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
    if pending != nil { return try body() }
    if let snapshotTransaction {
      throw FileSystemError(
        .readOnly, operation: "transaction", path: "/",
        hint: "this file system is a snapshot at transaction \(snapshotTransaction)")
    }
    pending = Pending()
    let result: Result
    do {
      result = try body()
      try commitPending()
    } catch {
      pending = nil  // dirty listings were taken out of the cache, so nothing stale remains
      throw error
    }
    return result
  }

  // MARK: Working directory

  /// The working directory, absolute, without symbolic links.
  public var workingDirectory: String { PathName.absolute(workingComponents) }

  /// Makes `path` (following symbolic links) the directory that relative paths start from.
  public func changeDirectory(_ path: String) throws {
    let op = Operation(name: "cd", path: path)
    let resolution = try resolve(path, op, followFinal: true)
    let (name, child) = try existing(resolution, op)
    guard child.entryType.isDirectory else {
      throw op.fail(.notADirectory, at: resolution.path)
    }
    workingComponents =
      resolution.stack.dropFirst().map(\.name) + (resolution.name == nil ? [] : [name])
  }

  // MARK: Reading

  /// Metadata of the node at `path`, following a final symbolic link.
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

  // MARK: Changing

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
          _ = try create(name, in: resolution, type: .directory, payload: nil, op)
        }
      } else {
        try refuseDotName(path, op)
        let resolution = try resolve(path, op, followFinal: false)
        guard let name = resolution.name else { throw op.fail(.exists, at: resolution.path) }
        guard resolution.child == nil else { throw op.fail(.exists, at: resolution.path) }
        _ = try create(name, in: resolution, type: .directory, payload: nil, op)
      }
    }
  }

  /// Creates the file at `path` or replaces its content; a final symbolic link is followed (a dangling one
  /// creates its target).
  public func writeFile(_ path: String, contents: [UInt8]) throws {
    let op = Operation(name: "write", path: path)
    try changing(op) {
      guard let (entry, resolution) = try existingEntryOrNewFile(path, contents: contents, op)
      else {
        return
      }
      switch entry.entryType {
      case .file:
        pending!.writes[entry.id] = PendingWrite(entryType: .file, payload: .content(contents))
      case .series:
        throw op.fail(
          .notPermitted, at: resolution.path,
          hint: "a series is append-only; append with 'pond copy --series'")
      case .directory, .dynamic:
        throw op.fail(.isADirectory, at: resolution.path)
      case .symlink:
        preconditionFailure(
          "resolve(followFinal: true) returned the symbolic link \(resolution.path)")
      }
    }
  }

  /// Appends to the file or series at `path`, creating a file when nothing is there; a series stores only the
  /// appended bytes in its new version.
  public func appendFile(_ path: String, contents: [UInt8]) throws {
    let op = Operation(name: "append", path: path)
    try changing(op) {
      guard let (entry, resolution) = try existingEntryOrNewFile(path, contents: contents, op)
      else {
        return
      }
      switch entry.entryType {
      case .file:
        let current = try storedContent(entry.id)
        pending!.writes[entry.id] = PendingWrite(
          entryType: .file, payload: .content(current + contents))
      case .series:
        let payload: PendingPayload =
          switch pending!.writes[entry.id]?.payload {
          case .content(let bytes): .content(bytes + contents)
          case .append(let bytes): .append(bytes + contents)
          case nil, .unchanged, .symlink: .append(contents)
          }
        pending!.writes[entry.id] = PendingWrite(entryType: .series, payload: payload)
      case .directory, .dynamic:
        throw op.fail(.isADirectory, at: resolution.path)
      case .symlink:
        preconditionFailure(
          "resolve(followFinal: true) returned the symbolic link \(resolution.path)")
      }
    }
  }

  /// Creates an empty series (an append-only file) at `path`.
  public func createSeries(_ path: String) throws {
    let op = Operation(name: "mkseries", path: path)
    try changing(op) {
      try refuseDotName(path, op)
      let resolution = try resolve(path, op, followFinal: false)
      guard let name = resolution.name, resolution.child == nil else {
        throw op.fail(.exists, at: resolution.path)
      }
      _ = try create(name, in: resolution, type: .series, payload: .content([]), op)
    }
  }

  /// Creates a symbolic link at `path` pointing to `target`, which need not exist.
  public func createSymlink(_ path: String, target: String) throws {
    let op = Operation(name: "ln -s", path: path)
    guard !target.isEmpty, !target.utf8.contains(0) else {
      throw op.fail(.invalidName, hint: "a symbolic link target must be non-empty and without NUL")
    }
    try changing(op) {
      try refuseDotName(path, op)
      let resolution = try resolve(path, op, followFinal: false)
      guard let name = resolution.name, resolution.child == nil else {
        throw op.fail(.exists, at: resolution.path)
      }
      _ = try create(name, in: resolution, type: .symlink, payload: .symlink(target), op)
    }
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
    try changing(op) {
      try refuseDotName(path, op)
      let resolution = try resolve(path, op, followFinal: false)
      guard let name = resolution.name, resolution.child == nil else {
        throw op.fail(.exists, at: resolution.path)
      }
      let specification = Array(factory.utf8) + [0] + configuration
      _ = try create(name, in: resolution, type: .dynamic, payload: .content(specification), op)
    }
  }

  /// Removes the file, series, symbolic link, dynamic directory or empty directory at `path`; with
  /// `recursive`, also a directory and everything below it. A final symbolic link is removed, not followed.
  public func remove(_ path: String, recursive: Bool = false) throws {
    let op = Operation(name: recursive ? "rm -r" : "rm", path: path)
    try changing(op) {
      try refuseDotName(path, op)
      let resolution = try resolve(path, op, followFinal: false)
      guard let name = resolution.name else {
        throw op.fail(.notPermitted, at: "/", hint: "the root directory cannot be removed")
      }
      guard let child = resolution.child else { throw op.fail(.notFound, at: resolution.path) }
      let entry = try storedEntry(child, resolution, op)
      let parent = try writableParent(resolution, op)
      if entry.entryType == .directory, !recursive, try !entries(of: entry.id).isEmpty {
        throw op.fail(
          .directoryNotEmpty, at: resolution.path,
          hint: "remove its entries first, or remove recursively")
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

  /// Moves the node at `source` to `destination`, like POSIX `rename`: an existing destination file is
  /// replaced, an existing destination directory is replaced only by a directory and only when empty, and a
  /// directory cannot move below itself. Symbolic links at either end are moved or replaced, not followed.
  ///
  /// A trailing `/` on either path says it names a directory (as in Linux `rename(2)`): moving a file, series
  /// or symbolic link with a `/` on either path fails with `notADirectory`, as does a destination with a `/`
  /// that exists as anything but a directory. A directory may move to a missing `name/`; it is then called
  /// `name`. Moving *into* a directory is the caller's choice (`pond mv` appends the source's name).
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

  // MARK: Internals shared with the glob walker

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

  /// The frames of the working directory.
  func workingStack(_ op: Operation) throws -> [Frame] {
    if workingComponents.isEmpty { return [rootFrame] }
    let gone = op.fail(
      .notFound, at: workingDirectory,
      hint: "the working directory no longer exists; change to another directory")
    let resolution: Resolution
    do {
      resolution = try resolve(workingDirectory, op, followFinal: true)
    } catch let error as FileSystemError where error.code == .notFound {
      throw gone
    }
    guard let name = resolution.name else { return resolution.stack }
    guard let child = resolution.child, let directory = try directory(for: child, op) else {
      throw gone
    }
    return resolution.stack + [Frame(name: name, directory: directory, child: child)]
  }

  /// Resolves `text` from the root or the working directory.
  func resolve(_ text: String, _ op: Operation, followFinal: Bool) throws -> Resolution {
    let parsed = try PathName(text, operation: op.name)
    let start = parsed.isAbsolute ? [rootFrame] : try workingStack(op)
    return try resolve(
      parsed.components, from: start, trailingSlash: parsed.hasTrailingSlash, op,
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
      case .file, .series, .symlink: return nil
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

  // MARK: Private helpers

  private enum PendingPayload {
    case content([UInt8])
    case append([UInt8])
    case symlink(String)
    /// Only the parent changed: the content is copied from the latest version at commit.
    case unchanged
  }

  private struct PendingWrite {
    var entryType: EntryType
    var payload: PendingPayload
  }

  /// The changes of the open transaction, written to persistence at commit.
  private struct Pending {
    /// Changed listings of directories (taken out of `listingCache` while dirty).
    var listings: [NodeID: [NameKey: DirectoryEntry]] = [:]
    /// New content of non-directory nodes.
    var writes: [NodeID: PendingWrite] = [:]
    /// The parent of each node created or moved in this transaction.
    var parents: [NodeID: NodeID] = [:]
  }

  private func changing(_ op: Operation, _ body: () throws -> Void) throws {
    if let snapshotTransaction {
      throw op.fail(
        .readOnly, hint: "this file system is a snapshot at transaction \(snapshotTransaction)")
    }
    try transaction(body)
  }

  private func commitPending() throws {
    guard let changes = pending, !changes.listings.isEmpty || !changes.writes.isEmpty else {
      pending = nil
      return
    }
    _ = try persistence.beginTransaction(timestamp: WallClock.microsecondsSinceEpoch())
    do {
      let ids = Set(changes.listings.keys).union(changes.writes.keys).sorted()
      for id in ids {
        let previous = try persistence.node(id, at: nil)
        let parent = changes.parents[id] ?? previous?.parentID
        guard let parent else {
          preconditionFailure("node \(id) has neither a record nor a parent")
        }
        let version = (previous?.version ?? 0) + 1
        let write: NodeWrite
        if let listing = changes.listings[id] {
          let sorted = listing.values.sorted { $0.name.precedesByBytes($1.name) }
          write = NodeWrite(
            id: id, parentID: parent, version: version, entryType: .directory,
            payload: .directory(sorted))
        } else {
          let change = changes.writes[id]!
          let payload: NodeWrite.Payload =
            switch change.payload {
            case .content(let bytes): .content(bytes)
            case .append(let bytes): .append(bytes)
            case .symlink(let target): .symlink(target)
            case .unchanged:
              switch change.entryType {
              case .series: .append([])
              case .symlink:
                .symlink(String(decoding: try persistence.content(id, at: nil), as: UTF8.self))
              case .file, .dynamic, .directory: .content(try persistence.content(id, at: nil))
              }
            }
          write = NodeWrite(
            id: id, parentID: parent, version: version, entryType: change.entryType,
            payload: payload)
        }
        try persistence.store(write)
      }
      _ = try persistence.commit()
    } catch {
      persistence.rollback()
      throw error
    }
    for (id, listing) in changes.listings { listingCache[id] = listing }
    pending = nil
  }

  /// The listing of a stored directory, from the open transaction, the cache, or persistence.
  private func entries(of id: NodeID) throws -> [NameKey: DirectoryEntry] {
    if let listing = pending?.listings[id] { return listing }
    if let listing = listingCache[id] { return listing }
    let loaded = try persistence.directoryEntries(id, at: snapshotTransaction)
    var listing = [NameKey: DirectoryEntry](minimumCapacity: loaded.count)
    for entry in loaded {
      guard listing.updateValue(entry, forKey: NameKey(entry.name)) == nil else {
        throw PersistenceError(
          "directory \(id) lists the name '\(entry.name)' twice at transaction "
            + (snapshotTransaction.map { "\($0)" } ?? "head")
            + "; the stored listing is corrupt ('pond fsck' checks a pond)")
      }
    }
    listingCache[id] = listing
    return listing
  }

  /// Changes a directory's listing in the open transaction, in place.
  private func modifyEntries(
    of id: NodeID, _ change: (inout [NameKey: DirectoryEntry]) throws -> Void
  ) throws {
    precondition(pending != nil, "modifyEntries outside a transaction")
    if pending!.listings[id] == nil {
      try moveToPending(id)
    }
    try change(&pending!.listings[id]!)
  }

  /// Moves a committed listing into the open transaction, leaving it uniquely referenced so that changes to
  /// it are in place (O(1) per entry, not a copy of the listing per change).
  private func moveToPending(_ id: NodeID) throws {
    let listing = try entries(of: id)
    listingCache[id] = nil
    pending!.listings[id] = listing
  }

  /// The content of a stored non-directory node, including the open transaction's changes.
  private func storedContent(_ id: NodeID) throws -> [UInt8] {
    switch pending?.writes[id]?.payload {
    case .content(let bytes): return bytes
    case .append(let bytes): return try persistence.content(id, at: snapshotTransaction) + bytes
    case .symlink(let target): return Array(target.utf8)
    case .unchanged, nil: return try persistence.content(id, at: snapshotTransaction)
    }
  }

  /// The dynamic directory stored at node `id`.
  private func instantiate(_ id: NodeID, _ op: Operation) throws -> any DynamicDirectory {
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

  /// Creates a node called `name` in the resolved directory.
  private func create(
    _ name: String, in resolution: Resolution, type: EntryType, payload: PendingPayload?,
    _ op: Operation
  ) throws -> NodeID {
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
    return id
  }

  private func writableParent(_ resolution: Resolution, _ op: Operation) throws -> NodeID {
    guard case .stored(let id) = resolution.stack.last!.directory else {
      throw op.fail(
        .readOnly, at: resolution.path,
        hint: "\(resolution.directoryPath) is a dynamic directory; its entries are computed")
    }
    return id
  }

  /// Resolves `path` (following a final link) for a write of `contents`: when nothing is there, creates a file
  /// holding `contents` and returns nil; otherwise returns the stored entry found and its resolution.
  private func existingEntryOrNewFile(_ path: String, contents: [UInt8], _ op: Operation) throws
    -> (DirectoryEntry, Resolution)?
  {
    try refuseDotName(path, op)
    let resolution = try resolve(path, op, followFinal: true)
    guard let name = resolution.name else { throw op.fail(.isADirectory, at: resolution.path) }
    guard let child = resolution.child else {
      _ = try create(name, in: resolution, type: .file, payload: .content(contents), op)
      return nil
    }
    return (try storedEntry(child, resolution, op), resolution)
  }

  private func storedEntry(_ child: Child, _ resolution: Resolution, _ op: Operation) throws
    -> DirectoryEntry
  {
    guard case .stored(let entry) = child else {
      throw op.fail(
        .readOnly, at: resolution.path,
        hint: "\(resolution.directoryPath) is a dynamic directory; its entries are computed")
    }
    return entry
  }

  /// The final name and child of a resolution that must exist.
  private func existing(_ resolution: Resolution, _ op: Operation) throws -> (String, Child) {
    guard let name = resolution.name else {
      let top = resolution.stack.last!
      return (top.name, top.child)
    }
    guard let child = resolution.child else { throw op.fail(.notFound, at: resolution.path) }
    return (name, child)
  }

  private func refuseDotName(_ path: String, _ op: Operation) throws {
    let parsed = try PathName(path, operation: op.name)
    if let last = parsed.components.last, last.hasSameBytes(as: ".") || last.hasSameBytes(as: "..")
    {
      throw op.fail(
        .invalidName, at: path, hint: "'\(last)' cannot name an entry to create, remove or rename")
    }
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

/// One entry of a directory listing.
///
/// Equal when the names are the same bytes (not merely canonically equivalent).
public struct ListedEntry: Hashable, Sendable {
  public var name: String
  public var entryType: EntryType
  /// The node id; nil for a computed child of a dynamic directory.
  public var id: NodeID?

  // The synthesized `hash(into:)` stays consistent: equal bytes are equal Strings, which hash alike.
  public static func == (lhs: ListedEntry, rhs: ListedEntry) -> Bool {
    lhs.name.hasSameBytes(as: rhs.name) && lhs.entryType == rhs.entryType && lhs.id == rhs.id
  }
}

/// What `stat` and `lstat` report; equal when the strings in it are the same bytes.
public struct FileInfo: Hashable, Sendable {
  /// The resolved path, with symbolic links in it replaced by their targets.
  public var path: String
  /// The final name (empty for the root).
  public var name: String
  public var entryType: EntryType
  /// The node id; nil for a computed child of a dynamic directory.
  public var id: NodeID?
  /// The node's version: how many transactions changed it (an uncommitted change counts); 0 when computed.
  public var version: UInt64
  /// Content bytes for files, series and links; number of entries for directories.
  public var size: UInt64
  public var symlinkTarget: String?
  /// The transaction that wrote the current version; nil when computed or changed in the open transaction.
  public var transaction: TransactionID?
  /// True for a child of a dynamic directory: read-only and without history.
  public var isComputed: Bool

  // The synthesized `hash(into:)` stays consistent: equal bytes are equal Strings, which hash alike.
  public static func == (lhs: FileInfo, rhs: FileInfo) -> Bool {
    lhs.path.hasSameBytes(as: rhs.path) && lhs.name.hasSameBytes(as: rhs.name)
      && lhs.entryType == rhs.entryType && lhs.id == rhs.id && lhs.version == rhs.version
      && lhs.size == rhs.size && sameBytes(lhs.symlinkTarget, rhs.symlinkTarget)
      && lhs.transaction == rhs.transaction && lhs.isComputed == rhs.isComputed
  }
}
