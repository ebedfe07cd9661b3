import PondTime
public import TLogFS
public import Tables

/// A resource's spec read for its kind: what `pond run` runs. Read at `apply` without the environment
/// (references stay as written, only checked) and at `run` with it (references replaced).
public enum ResourceSpec: Sendable {
  case hydroVu(HydroVuConfiguration)
  case inbox(InboxConfiguration)
  case reduce(ReduceConfiguration)
  /// The site and the host directory it is built into.
  case site(SiteConfiguration, out: String)

  /// Reads `resource`'s spec; `environment` nil checks it without replacing references.
  /// - Throws: `PipelineError` naming the key and its line.
  public init(_ resource: Resource, environment: [String: String]?) throws(PipelineError) {
    var reader = SpecReader(node: resource.spec, environment: environment)
    switch resource.kind {
    case .inbox:
      self = .inbox(try InboxConfiguration(&reader))
    case .reduce:
      do {
        self = .reduce(try ReduceConfiguration(node: resource.spec, path: "spec"))
      } catch {
        throw PipelineError(
          nil, "\(error)", hint: "the spec is pond reduce's configuration (docs/tables.md)")
      }
    case .hydroVu:
      self = .hydroVu(try HydroVuConfiguration(&reader))
    case .site:
      try reader.only(["out", "title", "series", "info", "dygraphs"])
      let out = try reader.absolutePath("out", hint: "the host directory the site is built into")
      self = .site(
        SiteConfiguration(
          title: try reader.string("title") ?? SiteConfiguration.defaultTitle,
          series: try reader.string("series") ?? SiteConfiguration.defaultSeries,
          info: try reader.string("info"),
          dygraphs: try reader.string("dygraphs") ?? SiteConfiguration.defaultDygraphs), out: out)
    }
  }

  /// The pond paths (or globs, or patterns with `$1`) this resource reads.
  public var inputs: [String] {
    switch self {
    case .hydroVu, .inbox: return []
    case .reduce(let configuration): return [configuration.input]
    case .site(let configuration, _):
      return [configuration.series] + (configuration.info.map { [$0] } ?? [])
    }
  }

  /// The pond paths (or patterns) this resource writes.
  public var outputs: [String] {
    switch self {
    case .hydroVu(let configuration): return [configuration.directory]
    case .inbox(let configuration): return [configuration.destination]
    case .reduce(let configuration): return [configuration.output]
    case .site: return []
    }
  }

  /// The pond directories Init creates (when missing).
  public var directories: [String] {
    switch self {
    case .hydroVu(let configuration): return [configuration.directory]
    case .site: return []
    case .inbox(let configuration):
      return configuration.mode == .tableSeries
        ? [PathPatterns.parent(of: configuration.destination)] : [configuration.destination]
    case .reduce(let configuration):
      return [PathPatterns.literalPrefix(of: configuration.output)]
    }
  }
}

/// Reads a spec's keys with their lines: each key read once, unknown keys refused, `${env:VAR}` replaced
/// when an environment is given.
struct SpecReader {
  let node: LocalYAML.Node
  let environment: [String: String]?
  /// Before a key's name in messages (`devices[0].`).
  var prefix = ""

  func refuse(_ key: String, _ reason: String, at node: LocalYAML.Node? = nil, hint: String? = nil)
    -> PipelineError
  {
    PipelineError("spec.\(prefix)\(key), line \((node ?? self.node).line)", reason, hint: hint)
  }

  /// Refuses keys other than `known`.
  func only(_ known: [String]) throws(PipelineError) {
    for entry in node.entries ?? [] where !known.contains(entry.key) {
      throw refuse(
        entry.key, "unknown key", at: entry.value,
        hint: "the keys here are " + known.joined(separator: ", "))
    }
  }

  func string(_ key: String) throws(PipelineError) -> String? {
    guard let value = node[key] else { return nil }
    guard let text = value.scalar else { throw refuse(key, "expected one value", at: value) }
    guard let environment else {
      _ = try wrapping(key, value) { () throws(PipelineError) in
        try EnvironmentReferences.parts(text)
      }
      return text
    }
    return try wrapping(key, value) { () throws(PipelineError) in
      try EnvironmentReferences.resolve(text, environment: environment)
    }
  }

  func required(_ key: String, hint: String? = nil) throws(PipelineError) -> String {
    guard let text = try string(key), !text.isEmpty else {
      throw refuse(key, "missing", hint: hint)
    }
    return text
  }

  func integer(_ key: String) throws(PipelineError) -> Int64? {
    guard let text = try string(key) else { return nil }
    guard let value = Int64(text) else {
      throw refuse(key, "'\(text)' is not a whole number", at: node[key])
    }
    return value
  }

  func bool(_ key: String) throws(PipelineError) -> Bool? {
    guard let text = try string(key) else { return nil }
    switch text {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default: throw refuse(key, "'\(text)' is not true or false", at: node[key])
    }
  }

  /// An absolute path or pattern (checked once references are replaced: `${env:DIR}/x` is left for then).
  func absolutePath(_ key: String, hint: String? = nil) throws(PipelineError) -> String {
    let text = try required(key, hint: hint)
    guard text.hasPrefix("/") || (environment == nil && text.hasPrefix("${env:")) else {
      throw refuse(key, "'\(text)' is not an absolute path", at: node[key], hint: hint)
    }
    return text
  }

  private func wrapping<T>(
    _ key: String, _ value: LocalYAML.Node, _ body: () throws(PipelineError) -> T
  ) throws(PipelineError) -> T {
    do {
      return try body()
    } catch {
      throw refuse(key, error.reason, at: value, hint: error.hint)
    }
  }
}

/// Literal parts of pond path patterns, for Init's directories and the order of resources.
enum PathPatterns {
  /// The components of `pattern` before the first one with a wildcard or a `$` capture, as a path.
  static func literalPrefix(of pattern: String) -> String {
    var kept: [Substring] = []
    for component in pattern.split(separator: "/") {
      if component.contains(where: { "*?[{$".contains($0) }) { break }
      kept.append(component)
    }
    return "/" + kept.joined(separator: "/")
  }

  /// The parent directory of an absolute path.
  static func parent(of path: String) -> String {
    let components = path.split(separator: "/").dropLast()
    return "/" + components.joined(separator: "/")
  }

  /// True when what one pattern names may be what the other names, or inside it: compared component by
  /// component, a component with a wildcard or a `$` capture matches any, `**` any number; the shorter
  /// pattern's components must all match (a directory holds what is below it).
  static func overlap(_ a: String, _ b: String) -> Bool {
    let left = a.split(separator: "/")
    let right = b.split(separator: "/")
    for (x, y) in zip(left, right) {
      if x == "**" || y == "**" { return true }
      let wild = { (component: Substring) in component.contains(where: { "*?[{$".contains($0) }) }
      if wild(x) || wild(y) { continue }
      if x != y { return false }
    }
    return true
  }
}

extension HydroVuConfiguration {
  /// From a `HydroVu` resource's spec: `base_url`, `client_id`, `client_secret`, `directory`,
  /// `max_points_per_run`, `start` (ISO 8601) and `devices` (each `id`, `name`, `scope`, `active`).
  init(_ reader: inout SpecReader) throws(PipelineError) {
    try reader.only([
      "base_url", "client_id", "client_secret", "directory", "max_points_per_run", "start",
      "devices",
    ])
    let maxPoints = try reader.integer("max_points_per_run")
    var start: UTCMicroseconds?
    if let text = try reader.string("start") {
      guard let time = UTCMicroseconds(iso8601: text) else {
        throw reader.refuse(
          "start", "'\(text)' is not an ISO 8601 time", at: reader.node["start"],
          hint: "such as 2026-01-01T00:00:00Z")
      }
      start = time
    }
    guard let list = reader.node["devices"]?.items, !list.isEmpty else {
      throw reader.refuse(
        "devices", "expected a list of devices (- id: 123, name: lake)", at: reader.node["devices"])
    }
    var devices: [Device] = []
    for (index, item) in list.enumerated() {
      var device = SpecReader(
        node: item, environment: reader.environment, prefix: "devices[\(index)].")
      try device.only(["id", "name", "scope", "active"])
      guard let id = try device.integer("id") else { throw device.refuse("id", "missing") }
      devices.append(
        Device(
          id: id, name: try device.required("name"), scope: try device.string("scope"),
          active: try device.bool("active") ?? true))
    }
    self.init(
      baseURL: try reader.string("base_url") ?? HydroVuConfiguration.defaultBaseURL,
      clientID: try reader.required("client_id"),
      clientSecret: try reader.required("client_secret"),
      directory: try reader.absolutePath("directory", hint: "a pond directory such as /hydrovu"),
      maxPointsPerRun: Int(maxPoints ?? Int64(HydroVuConfiguration.defaultMaxPointsPerRun)),
      start: start, devices: devices)
    if reader.environment != nil {
      do {
        try validate()
      } catch {
        throw PipelineError("spec", error.description)
      }
    }
  }
}
