import PondCrypto
public import TLogFS
public import TinyFS

/// The resources stored in a pond: applied, listed and removed as commits, so that they are versioned and
/// replicated like everything else.
public enum ResourceStore {
  /// What `apply` did to one resource.
  public struct Applied: Sendable, Encodable, Equatable {
    public enum Change: String, Sendable, Encodable { case created, changed, unchanged }
    public var name: String
    public var kind: String
    public var uuid: String
    public var change: Change
  }

  /// What `apply` did: each resource, and the version committed (nil when nothing changed).
  public struct ApplyReport: Sendable, Encodable, Equatable {
    public var resources: [Applied]
    public var version: Int64?
  }

  /// The resources in `fileSystem` (a pond's, at some version), by name.
  public static func list(in fileSystem: FileSystem) throws -> [Resource] {
    guard try fileSystem.exists(Resource.directory) else { return [] }
    var resources: [Resource] = []
    for entry in try fileSystem.list(Resource.directory) where entry.name.hasSuffix(".yaml") {
      let path = Resource.directory + "/" + entry.name
      let text = String(decoding: try fileSystem.readFile(path), as: UTF8.self)
      let parsed = try Resource.parse(text, file: path)
      guard parsed.count == 1, parsed[0].path == path else {
        throw PipelineError(
          path, "is not one resource named after its file",
          hint: "fix it with 'pond apply -f', or remove it with 'pond resources rm'")
      }
      resources.append(parsed[0])
    }
    return resources.sorted { $0.name < $1.name }
  }

  /// Stores `resources` in the pond (opened for writing) as one commit: a new one gets a UUID, a changed one
  /// keeps its UUID, an unchanged one is left alone (nothing is committed when none changed). A resource
  /// whose kind differs from the stored one of that name is refused.
  public static func apply(
    _ resources: [Resource], to store: PondStore, commandLine: String,
    newUUID: () -> String = UUIDText.random
  ) throws -> ApplyReport {
    var applied: [Applied] = []
    let before = store.head
    try store.change(commandLine: commandLine) { fileSystem in
      let existing = Dictionary(
        uniqueKeysWithValues: try list(in: fileSystem).map { ($0.name, $0) })
      for var resource in resources {
        let change: Applied.Change
        if let old = existing[resource.name] {
          guard old.kind == resource.kind else {
            throw PipelineError(
              resource.name,
              "is a \(old.kind) resource in the pond; this definition is a \(resource.kind)",
              hint:
                "remove it first with 'pond resources rm \(resource.name)', or choose another name")
          }
          resource.uuid = old.uuid
          change = old.text == resource.text ? .unchanged : .changed
        } else {
          resource.uuid = newUUID()
          change = .created
        }
        if change != .unchanged {
          if !(try fileSystem.exists(Resource.directory)) {
            try fileSystem.createDirectory(Resource.directory, withParents: true)
          }
          try fileSystem.writeFile(resource.path, contents: Array(resource.text.utf8))
        }
        applied.append(
          Applied(
            name: resource.name, kind: resource.kind.rawValue, uuid: resource.uuid, change: change))
      }
    }
    return ApplyReport(resources: applied, version: store.head == before ? nil : store.head)
  }

  /// Removes the resource `name` (its definition and its records) as one commit; returns the version.
  public static func remove(_ name: String, from store: PondStore, commandLine: String) throws
    -> Int64
  {
    try store.change(commandLine: commandLine) { fileSystem in
      let path = Resource.directory + "/" + name + ".yaml"
      guard try fileSystem.exists(path) else {
        throw PipelineError(name, "no such resource in the pond", hint: "see 'pond resources'")
      }
      try fileSystem.remove(path)
      let state = Resource.stateDirectory + "/" + name
      if try fileSystem.exists(state) { try fileSystem.remove(state, recursive: true) }
    }
    return store.head
  }
}

/// Random (version 4) UUIDs as text, from the system's random source.
public enum UUIDText {
  public static func random() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes[6] = (bytes[6] & 0x0F) | 0x40
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { Hex.encode(bytes[$0]) }.joined(
      separator: "-")
  }
}
