/// A read-only directory whose children are computed, such as a view of another directory.
///
/// Not `Sendable`: instances are made on demand by a `DynamicDirectoryFactory` while a path is resolved and
/// used synchronously by the `FileSystem` that made them.
public protocol DynamicDirectory {
  /// The children's names, in any order, each once (by bytes).
  func childNames() throws -> [String]
  /// The child called `name`, or nil when there is none.
  ///
  /// Match `name` by its UTF-8 bytes, not with `String.==`, which treats NFC `caf\u{E9}` and NFD
  /// `cafe\u{301}` as one name (a directory may hold both).
  func child(named name: String) throws -> DynamicChild?
}

/// A computed child of a dynamic directory.
public enum DynamicChild {
  case file([UInt8])
  case directory(any DynamicDirectory)
  /// A symbolic link; a relative target is resolved from the dynamic directory.
  case symlink(String)

  /// The entry type a listing reports.
  public var entryType: EntryType {
    switch self {
    case .file: .file
    case .directory: .directory
    case .symlink: .symlink
    }
  }
}

/// Makes the dynamic directory stored at a `.dynamic` node from the node's configuration bytes.
///
/// The node stores only the factory's name and the configuration, so a pond keeps working as long as the
/// program registers the same factory names with its `FileSystem`.
public protocol DynamicDirectoryFactory {
  /// - Parameters:
  ///   - configuration: the bytes given to `FileSystem.createDynamicDirectory(_:factory:configuration:)`.
  ///   - fileSystem: the file system the directory lives in, for views of other nodes.
  func makeDirectory(configuration: [UInt8], fileSystem: FileSystem) throws -> any DynamicDirectory
}
