import PondFiles
public import TLogFS

/// The kinds of resource `pond apply` takes (docs/pipeline.md).
public enum ResourceKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Collects HydroVu readings into a series of tables per device.
  case hydroVu = "HydroVu"
  /// Copies new host files matching a glob into the pond, once each.
  case inbox = "Inbox"
  /// `pond reduce`'s configuration.
  case reduce = "Reduce"
  /// Builds the static site into a host directory.
  case site = "Site"

  public var description: String { rawValue }
}

/// One resource definition as stored in the pond, at `/etc/resources/<name>.yaml`: its kind, name, UUID
/// (given when it is first applied, kept while its kind stays) and its `spec` (references to secrets kept as
/// `${env:VAR}`, resolved only when it runs).
public struct Resource: Sendable, Equatable {
  public var kind: ResourceKind
  public var name: String
  public var uuid: String
  public var spec: LocalYAML.Node

  public init(kind: ResourceKind, name: String, uuid: String, spec: LocalYAML.Node) {
    self.kind = kind
    self.name = name
    self.uuid = uuid
    self.spec = spec
  }

  /// Where definitions live in a pond.
  public static let directory = "/etc/resources"
  /// Where a resource's own records live (its Init, an Inbox's copied files).
  public static let stateDirectory = "/var/resources"

  /// The pond path of its definition.
  public var path: String { Self.directory + "/" + name + ".yaml" }

  /// The pond directory of its records.
  public var statePath: String { Self.stateDirectory + "/" + name }

  /// The stored text: the same definition always gives the same bytes, so an unchanged `apply` is seen.
  public var text: String {
    "# A DuckPond resource (pond apply; docs/pipeline.md)\n"
      + LocalYAML.Node(
        .map([
          .init(key: "kind", value: LocalYAML.Node(.scalar(kind.rawValue), line: 0)),
          .init(key: "name", value: LocalYAML.Node(.scalar(name), line: 0)),
          .init(key: "uuid", value: LocalYAML.Node(.scalar(uuid), line: 0)),
          .init(key: "spec", value: spec),
        ]), line: 0
      ).encoded()
  }

  /// A resource from one YAML document (`kind`, `name`, `spec`, and `uuid` when read back from the pond);
  /// `file` names the file in errors. The spec is checked for its kind, without the environment.
  public init(document: LocalYAML.Node, file: String) throws(PipelineError) {
    func refuse(_ node: LocalYAML.Node, _ reason: String, hint: String? = nil) -> PipelineError {
      PipelineError("\(file), line \(node.line)", reason, hint: hint)
    }
    guard let entries = document.entries else {
      throw refuse(document, "a resource is a mapping with kind, name and spec")
    }
    for entry in entries where !["kind", "name", "spec", "uuid"].contains(entry.key) {
      throw refuse(entry.value, "unknown key '\(entry.key)' (expected kind, name, spec)")
    }
    guard let kindText = document["kind"]?.scalar, !kindText.isEmpty else {
      throw refuse(document, "no 'kind'", hint: Self.kindsHint)
    }
    guard let kind = ResourceKind(rawValue: kindText) else {
      throw refuse(document["kind"]!, "unknown kind '\(kindText)'", hint: Self.kindsHint)
    }
    guard let name = document["name"]?.scalar, !name.isEmpty else {
      throw refuse(document, "no 'name'")
    }
    guard Self.isValidName(name) else {
      throw refuse(
        document["name"]!, "'\(name)' is not a resource name",
        hint: "letters, digits, '.', '_' and '-', not starting with '.' or '-'")
    }
    guard let spec = document["spec"], spec.entries != nil else {
      throw refuse(document, "no 'spec' mapping for \(kind) \(name)")
    }
    try Self.checkSecrets(spec, file: file)
    self.init(kind: kind, name: name, uuid: document["uuid"]?.scalar ?? "", spec: spec)
    do {
      _ = try ResourceSpec(self, environment: nil)
    } catch {
      throw PipelineError(
        "\(file): \(kind) \(name)", (error.place.map { "\($0): " } ?? "") + error.reason,
        hint: error.hint)
    }
  }

  /// Reads the definitions in `text` (one or more YAML documents); `file` names it in errors.
  public static func parse(_ text: String, file: String) throws -> [Resource] {
    let documents: [LocalYAML.Node]
    do {
      documents = try LocalYAML.documents(text, path: file)
    } catch {
      throw PipelineError("\(error.path), line \(error.line)", error.reason)
    }
    var resources: [Resource] = []
    for document in documents {
      let resource = try Resource(document: document, file: file)
      if resources.contains(where: { $0.name == resource.name }) {
        throw PipelineError(
          "\(file), line \(document.line)", "the name '\(resource.name)' is defined twice")
      }
      resources.append(resource)
    }
    return resources
  }

  static let kindsHint =
    "the kinds are " + ResourceKind.allCases.map(\.rawValue).joined(separator: ", ")

  static func isValidName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first != ".", first != "-" else { return false }
    return name.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        || "._-".unicodeScalars.contains($0)
    }
  }

  /// Refuses a literal secret: a value under a key that holds a credential (`client_secret`, `password`,
  /// `token`...) must be `${env:VAR}` references only, and no value may be an AWS access key id.
  static func checkSecrets(_ node: LocalYAML.Node, file: String) throws(PipelineError) {
    switch node.value {
    case .scalar(let text):
      if ConfigurationSecrets.looksLikeAccessKey(text) {
        throw PipelineError(
          "\(file), line \(node.line)", "an AWS access key id written in the resource",
          hint: "write ${env:VAR} and set VAR where 'pond run' runs")
      }
    case .list(let items):
      for item in items { try checkSecrets(item, file: file) }
    case .map(let entries):
      for entry in entries {
        if ConfigurationSecrets.isSecretKey(entry.key) {
          let onlyReferences: Bool
          do {
            onlyReferences =
              try entry.value.scalar.map(EnvironmentReferences.isOnlyReferences) ?? false
          } catch {
            // Not the value: it may be the secret itself.
            throw PipelineError(
              "\(file), line \(entry.value.line)",
              "'\(entry.key)' holds a malformed reference (its value is not shown)",
              hint: "write '\(entry.key): ${env:VAR}'")
          }
          guard onlyReferences else {
            throw PipelineError(
              "\(file), line \(entry.value.line)",
              "'\(entry.key)' holds a literal secret: secrets are never stored in the pond",
              hint: "write '\(entry.key): ${env:VAR}' and set VAR in the environment of 'pond run' "
                + "or the agent")
          }
        }
        try checkSecrets(entry.value, file: file)
      }
    }
  }
}

/// `${env:VAR}` in a resource's values: kept as written in the pond, replaced from the environment when the
/// resource runs.
public enum EnvironmentReferences {
  /// `text` with each `${env:VAR}` replaced by `environment[VAR]`.
  /// - Throws: `PipelineError` for a variable that is not set or a malformed reference.
  public static func resolve(_ text: String, environment: [String: String]) throws(PipelineError)
    -> String
  {
    var result = ""
    for part in try parts(text) {
      switch part {
      case .literal(let literal): result += literal
      case .reference(let name):
        guard let value = environment[name] else {
          throw PipelineError(
            nil, "the environment variable \(name) is not set",
            hint: "set it where 'pond run' runs (for the agent: its environment file)")
        }
        result += value
      }
    }
    return result
  }

  /// True when `text` is made of references only (and at least one).
  public static func isOnlyReferences(_ text: String) throws(PipelineError) -> Bool {
    let parts = try parts(text)
    return !parts.isEmpty
      && parts.allSatisfy {
        if case .reference = $0 { return true }
        return false
      }
  }

  enum Part: Equatable {
    case literal(String)
    case reference(String)
  }

  static func parts(_ text: String) throws(PipelineError) -> [Part] {
    var parts: [Part] = []
    var rest = Substring(text)
    while let start = rest.firstRange(of: "${") {
      if start.lowerBound > rest.startIndex {
        parts.append(.literal(String(rest[..<start.lowerBound])))
      }
      let after = rest[start.upperBound...]
      guard after.hasPrefix("env:"), let end = after.firstIndex(of: "}") else {
        throw PipelineError(
          nil, "'\(text)' has a '${' that is not a reference '${env:VAR}'",
          hint: "references name an environment variable: ${env:HYDROVU_CLIENT_SECRET}")
      }
      let name = String(after[after.index(after.startIndex, offsetBy: 4)..<end])
      guard !name.isEmpty,
        name.unicodeScalars.allSatisfy({
          ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0)
            || $0 == "_"
        })
      else {
        throw PipelineError(nil, "'${env:\(name)}' does not name an environment variable")
      }
      parts.append(.reference(name))
      rest = after[after.index(after: end)...]
    }
    if !rest.isEmpty { parts.append(.literal(String(rest))) }
    return parts
  }
}
