public import ObjectStore
import PondFiles
import TLogFS

/// A remote as `pond remote add` records it: a name, a URL (`file:///path` or `s3://bucket/prefix`) and the S3
/// settings `pond remote check` takes. Never a secret: credentials follow the AWS conventions.
public struct RemoteSettings: Codable, Sendable, Equatable {
  public var name: String
  public var url: String
  public var endpoint: String?
  public var region: String?
  public var profile: String?
  public var allowHTTP: Bool?
  public var virtualHosted: Bool?

  public init(
    name: String, url: String, endpoint: String? = nil, region: String? = nil,
    profile: String? = nil, allowHTTP: Bool = false, virtualHosted: Bool = false
  ) {
    self.name = name
    self.url = url
    self.endpoint = endpoint
    self.region = region
    self.profile = profile
    self.allowHTTP = allowHTTP ? true : nil
    self.virtualHosted = virtualHosted ? true : nil
  }

  /// Opens the remote's store; unset S3 settings come from the AWS configuration in `environment`.
  public func open(environment: [String: String], retry: RetryPolicy = RetryPolicy()) throws
    -> any ObjectStore
  {
    let options = S3Options(
      endpoint: endpoint, region: region, addressing: virtualHosted == true ? .virtualHosted : nil,
      allowHTTP: allowHTTP == true, retry: retry)
    return try ObjectStores.open(url, options: options, profile: profile, environment: environment)
  }
}

/// The remotes of a pond, kept in `$POND/local/remotes.yaml` (this replica's own, never replicated), and the
/// head each remote was last seen at, in `$POND/local/remote-heads.yaml` (a hint that saves requests: a stale
/// or missing entry costs a few more, never a wrong answer).
public struct RemoteRegistry: Sendable {
  /// `$POND`.
  public let pondRoot: String
  public private(set) var remotes: [RemoteSettings]
  /// By remote URL: the highest version known to be on the remote with this pond's bytes.
  public private(set) var lastSeenHeads: [String: Int64]

  static let remotesFile = PondLayout.localDirectory + "/remotes.yaml"
  static let headsFile = PondLayout.localDirectory + "/remote-heads.yaml"

  /// Reads the pond's remotes (none when the file does not exist).
  public init(pondRoot: String) throws {
    self.pondRoot = pondRoot
    let remotesPath = pondRoot + "/" + Self.remotesFile
    remotes = try Self.read(remotesPath).map { try Self.remotes(in: $0, path: remotesPath) } ?? []
    var heads: [String: Int64] = [:]
    if case .map(let map)? = (try? Self.read(pondRoot + "/" + Self.headsFile))??["heads"] {
      for (url, text) in map { if let version = Int64(text) { heads[url] = version } }
    }
    lastSeenHeads = heads
  }

  private static let settingKeys: Set = [
    "name", "url", "endpoint", "region", "profile", "allowHTTP", "virtualHosted",
  ]

  private static func remotes(in sections: [String: LocalYAML.Section], path: String) throws
    -> [RemoteSettings]
  {
    guard case .list(let items)? = sections["remotes"] ?? .list([]) else {
      throw ReplicationError(.invalidArgument, "\(path): 'remotes' is not a list")
    }
    return try items.map { item in
      guard let name = item["name"], let url = item["url"] else {
        throw ReplicationError(.invalidArgument, "\(path): a remote without a name or a url")
      }
      if let unknown = item.keys.first(where: { !settingKeys.contains($0) }) {
        throw ReplicationError(
          .invalidArgument, "\(path): remote '\(name)' has an unknown setting '\(unknown)'",
          hint: "the settings are: \(settingKeys.sorted().joined(separator: ", "))")
      }
      return RemoteSettings(
        name: name, url: url, endpoint: item["endpoint"], region: item["region"],
        profile: item["profile"], allowHTTP: item["allowHTTP"] == "true",
        virtualHosted: item["virtualHosted"] == "true")
    }
  }

  private var remotesText: String {
    LocalYAML.encode([
      (
        "remotes",
        remotes.map { remote in
          [("name", remote.name), ("url", remote.url)]
            + [
              ("endpoint", remote.endpoint), ("region", remote.region), ("profile", remote.profile),
              ("allowHTTP", remote.allowHTTP == true ? "true" : nil),
              ("virtualHosted", remote.virtualHosted == true ? "true" : nil),
            ].compactMap { key, value in value.map { (key, $0) } }
        }, true
      )
    ])
  }

  private var headsText: String {
    LocalYAML.encode([
      (
        "heads", lastSeenHeads.sorted { $0.key < $1.key }.map { [($0.key, String($0.value))] },
        false
      )
    ])
  }

  /// The remote called `name`.
  public func remote(named name: String) -> RemoteSettings? { remotes.first { $0.name == name } }

  /// The remote a command means: `name` (a remote's name, or a URL: the remote recorded with that URL, with its
  /// settings, or the URL as it is); with no name, the only remote, or the one called `origin`.
  public func resolve(_ name: String?) throws -> RemoteSettings {
    if let name {
      // A store's URL ends in '/' (the origin file records it so); the remote may be recorded without it.
      let url = name.hasSuffix("/") ? String(name.dropLast()) : name
      if let remote = remote(named: name)
        ?? remotes.first(where: { $0.url == name || $0.url == url || $0.url == name + "/" })
      {
        return remote
      }
      if name.contains("://") { return RemoteSettings(name: name, url: name) }
      throw ReplicationError(
        .invalidArgument, "no remote named '\(name)' in \(pondRoot)/\(Self.remotesFile)",
        hint: remotes.isEmpty
          ? "add one with 'pond remote add NAME URL'"
          : "the remotes are: \(remotes.map(\.name).joined(separator: ", "))")
    }
    if remotes.count == 1 { return remotes[0] }
    if let origin = remote(named: "origin") { return origin }
    throw ReplicationError(
      .invalidArgument,
      remotes.isEmpty ? "the pond has no remotes" : "the pond has several remotes; name one",
      hint: remotes.isEmpty
        ? "add one with 'pond remote add NAME URL'"
        : "the remotes are: \(remotes.map(\.name).joined(separator: ", "))")
  }

  /// Adds `remote` (its name must be new) and saves the file durably.
  public mutating func add(_ remote: RemoteSettings) throws {
    guard !remote.name.isEmpty, !remote.name.contains("://"), !remote.name.contains("/") else {
      throw ReplicationError(
        .invalidArgument, "'\(remote.name)' is not a remote name",
        hint: "a name is a short word without '/', such as 'lab' or 'backup'")
    }
    if let existing = self.remote(named: remote.name) {
      throw ReplicationError(
        .invalidArgument, "a remote named '\(remote.name)' already exists (\(existing.url))",
        hint: "remove it first with 'pond remote remove \(remote.name)', or choose another name")
    }
    remotes.append(remote)
    try write(remotesText, to: Self.remotesFile)
  }

  /// Removes the remote called `name` and saves the file durably; returns it.
  @discardableResult
  public mutating func remove(named name: String) throws -> RemoteSettings {
    guard let index = remotes.firstIndex(where: { $0.name == name }) else {
      throw ReplicationError(
        .invalidArgument, "no remote named '\(name)'",
        hint: "'pond remote list' shows the remotes")
    }
    let removed = remotes.remove(at: index)
    try write(remotesText, to: Self.remotesFile)
    return removed
  }

  /// Records that `url` holds this pond's versions up to `version`. Best effort: the file is a hint.
  public mutating func recordHead(_ version: Int64, of url: String) {
    guard lastSeenHeads[url] != version else { return }
    lastSeenHeads[url] = version
    try? write(headsText, to: Self.headsFile, durable: false)
  }

  /// Forgets the head seen on `url`: the next push lists the remote. Best effort, like `recordHead`.
  public mutating func forgetHead(of url: String) {
    guard lastSeenHeads.removeValue(forKey: url) != nil else { return }
    try? write(headsText, to: Self.headsFile, durable: false)
  }

  private static func read(_ path: String) throws -> [String: LocalYAML.Section]? {
    let bytes: [UInt8]
    do {
      guard try LocalFiles.status(path) != nil else { return nil }
      bytes = try LocalFiles.readFile(path)
    } catch {
      throw ReplicationError(.localIO, "cannot read \(path): \(error)", underlying: error)
    }
    return try ReplicationError.decodingYAML(String(decoding: bytes, as: UTF8.self), path: path)
  }

  private func write(_ document: String, to file: String, durable: Bool = true) throws {
    let path = pondRoot + "/" + file
    do {
      let text =
        "# Written by pond; this replica's own, never replicated. No secrets: credentials follow "
        + "the AWS conventions.\n" + document
      try LocalFiles.makeDirectory(LocalFiles.parentDirectory(of: path))
      try LocalFiles.putReplacing(Array(text.utf8), at: path, durable: durable)
    } catch {
      throw ReplicationError(.localIO, "cannot write \(path): \(error)", underlying: error)
    }
  }
}
