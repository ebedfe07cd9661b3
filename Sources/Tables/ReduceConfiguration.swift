import PondFiles
public import TLogFS
import TinyFS

/// One aggregation of `pond reduce`, computed per bucket over a column's non-null values.
public enum ReduceAggregation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// The mean (a double; null when the bucket has no value).
  case avg
  /// The smallest value, as a double.
  case min
  /// The largest value, as a double.
  case max
  /// How many non-null values (an int64; 0 when all are null).
  case count
  /// Their sum, as a double.
  case sum

  public var description: String { rawValue }
}

/// A bucket width of `pond reduce`: a whole number of seconds, written with one unit (`90s`, `15m`, `1h`,
/// `1d`); buckets are aligned on multiples of it since 1970-01-01T00:00:00Z.
public struct ReduceResolution: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The width in microseconds.
  public let microseconds: Int64

  public init(seconds: Int64) {
    precondition(seconds > 0, "a resolution is at least one second")
    microseconds = seconds * 1_000_000
  }

  /// Reads `30s`, `15m`, `1h`, `1d` (a positive whole number and one unit); nil otherwise.
  public init?(parsing text: String) {
    guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else { return nil }
    let perUnit: Int64
    switch unit {
    case "s": perUnit = 1
    case "m": perUnit = 60
    case "h": perUnit = 3600
    case "d": perUnit = 86_400
    default: return nil
    }
    guard count <= Int64.max / 1_000_000 / perUnit else { return nil }
    self.init(seconds: count * perUnit)
  }

  /// The start of the bucket holding `time` (µs since the epoch), rounded towards the past.
  public func bucketStart(of time: Int64) -> Int64 {
    let remainder = time % microseconds
    return time - (remainder < 0 ? remainder + microseconds : remainder)
  }

  /// In the largest unit that divides it: `1d`, `6h`, `90m`, `45s`; the output series' name is
  /// `res=<description>`.
  public var description: String {
    let seconds = microseconds / 1_000_000
    for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds % size == 0 {
      return "\(seconds / size)\(unit)"
    }
    return "\(seconds)s"
  }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.microseconds < rhs.microseconds }
}

/// The configuration of `pond reduce` (docs/tables.md), read from YAML such as
///
/// ```yaml
/// reduce:
///   input: /stations/*/readings    # a pond glob of series of tables (or tables)
///   output: /reduced/$1            # a directory per input; $1, $2... are the glob's captures
///   resolutions: 1h, 6h, 1d        # each divides the next
/// columns:
///   temp_c: avg, min, max
///   rain_mm: sum, count
/// ```
public struct ReduceConfiguration: Sendable, Hashable {
  /// One aggregated input column and what is computed over it, in the order given.
  public struct Column: Sendable, Hashable {
    public var name: String
    public var aggregations: [ReduceAggregation]

    public init(name: String, aggregations: [ReduceAggregation]) {
      self.name = name
      self.aggregations = aggregations
    }
  }

  /// The pond glob of the inputs.
  public var input: String
  /// The output directory's pattern: `$1`... are replaced by the input's glob captures.
  public var output: String
  /// Finest first; each divides the next.
  public var resolutions: [ReduceResolution]
  /// Sorted by name; the output's columns follow this order (`<name>_<aggregation>`, aggregations in the
  /// order given).
  public var columns: [Column]

  /// Checks the parts: at least one resolution, each dividing the next, at least one column.
  public init(
    input: String, output: String, resolutions: [ReduceResolution], columns: [Column]
  ) throws(TableError) {
    func refuse(_ key: String, _ reason: String) -> TableError {
      TableError(.configuration, column: nil, reason: "\(key): \(reason)")
    }
    guard input.hasPrefix("/") else {
      throw refuse("reduce.input", "\"\(input)\" is not an absolute pond path or glob")
    }
    guard output.hasPrefix("/") else {
      throw refuse("reduce.output", "\"\(output)\" is not an absolute pond path")
    }
    guard !resolutions.isEmpty else { throw refuse("reduce.resolutions", "none given") }
    for (finer, coarser) in zip(resolutions, resolutions.dropFirst()) {
      guard finer < coarser, coarser.microseconds % finer.microseconds == 0 else {
        throw refuse(
          "reduce.resolutions",
          "\(finer) does not divide \(coarser): list them finest first, each dividing the next "
            + "(coarser buckets are folded from finer ones)")
      }
    }
    guard !columns.isEmpty else {
      throw refuse("columns", "no column to aggregate (for example 'temp_c: avg, min, max')")
    }
    self.input = input
    self.output = output
    self.resolutions = resolutions
    self.columns = columns.sorted { $0.name < $1.name }
  }

  /// Reads the YAML file at the host path `path`.
  public init(contentsOf path: String) throws(TableError) {
    let bytes: [UInt8]
    do {
      bytes = try LocalFiles.readFile(path)
    } catch {
      throw TableError(.io, path: path, reason: "cannot read the configuration: \(error)")
    }
    try self.init(yaml: String(decoding: bytes, as: UTF8.self), path: path)
  }

  /// Reads the YAML `text` of the file `path` (named in errors).
  /// - Throws: `TableError` (`.configuration`) naming the line (YAML that is not of this shape) or the key
  ///   (a missing, unknown or bad value).
  public init(yaml text: String, path: String) throws(TableError) {
    let documents: [LocalYAML.Node]
    do {
      documents = try LocalYAML.documents(text, path: path)
    } catch {
      throw TableError(.configuration, path: path, line: error.line, reason: error.reason)
    }
    guard documents.count == 1 else {
      throw TableError(
        .configuration, path: path,
        reason: documents.isEmpty ? "empty: expected reduce and columns" : "one document only")
    }
    try self.init(node: documents[0], path: path)
  }

  /// Reads a configuration from its YAML node (a file's document, or the `spec` of a `Reduce` resource);
  /// `path` names its file in errors. Resolutions and aggregations are comma-separated (`1h, 6h, 1d`) or
  /// flow lists (`[1h, 6h, 1d]`).
  public init(node: LocalYAML.Node, path: String) throws(TableError) {
    func refuse(_ key: String, _ reason: String, _ at: LocalYAML.Node? = nil) -> TableError {
      TableError(.configuration, path: path, line: at?.line, reason: "\(key): \(reason)")
    }
    guard let sections = node.entries else {
      throw refuse("reduce", "expected the keys reduce and columns", node)
    }
    for section in sections where section.key != "reduce" && section.key != "columns" {
      throw refuse(
        section.key, "unknown top-level key (expected reduce and columns)", section.value)
    }
    guard let reduce = node["reduce"], let reduceEntries = reduce.entries else {
      throw refuse(
        "reduce", "missing: a mapping with input, output and resolutions", node["reduce"])
    }
    for entry in reduceEntries where !["input", "output", "resolutions"].contains(entry.key) {
      throw refuse(
        "reduce.\(entry.key)", "unknown key (expected input, output, resolutions)", entry.value)
    }
    func required(_ key: String) throws(TableError) -> String {
      if let node = reduce[key], node.scalar == nil {
        throw refuse("reduce.\(key)", "expected one value, not a list or a mapping", node)
      }
      guard let value = reduce[key]?.scalar, !value.isEmpty else {
        throw refuse("reduce.\(key)", "missing", reduce[key])
      }
      return value
    }
    /// A comma-separated scalar or a flow list, as its items.
    func items(_ node: LocalYAML.Node, _ key: String) throws(TableError) -> [String] {
      if let text = node.scalar {
        return text.split(separator: ",").map { TableSchema.trimmed($0) }.filter { !$0.isEmpty }
      }
      guard let list = node.items else {
        throw refuse(key, "expected a list such as 1h, 6h, 1d", node)
      }
      var result: [String] = []
      for item in list {
        guard let text = item.scalar else { throw refuse(key, "expected plain values", item) }
        result.append(text)
      }
      return result
    }
    guard let resolutionsNode = reduce["resolutions"] else {
      throw refuse("reduce.resolutions", "missing", reduce)
    }
    var resolutions: [ReduceResolution] = []
    for text in try items(resolutionsNode, "reduce.resolutions") {
      guard let resolution = ReduceResolution(parsing: text) else {
        throw refuse(
          "reduce.resolutions", "\"\(text)\" is not a duration such as 30s, 15m, 1h or 1d",
          resolutionsNode)
      }
      resolutions.append(resolution)
    }
    var columns: [Column] = []
    guard let columnsNode = node["columns"] else {
      throw refuse("columns", "missing: a mapping such as 'temp_c: avg, min, max'", node)
    }
    guard let columnEntries = columnsNode.entries else {
      throw refuse("columns", "a mapping of column names to aggregations, not a list", columnsNode)
    }
    for entry in columnEntries {
      let name = entry.key
      var aggregations: [ReduceAggregation] = []
      for text in try items(entry.value, "columns.\(name)") {
        guard let aggregation = ReduceAggregation(rawValue: text) else {
          throw refuse(
            "columns.\(name)",
            "unknown aggregation \"\(text)\" (expected "
              + ReduceAggregation.allCases.map(\.rawValue).joined(separator: ", ") + ")",
            entry.value)
        }
        guard !aggregations.contains(aggregation) else {
          throw refuse("columns.\(name)", "\(aggregation) is given twice", entry.value)
        }
        aggregations.append(aggregation)
      }
      guard !aggregations.isEmpty else {
        throw refuse("columns.\(name)", "no aggregation (for example avg, min, max)", entry.value)
      }
      columns.append(Column(name: name, aggregations: aggregations))
    }
    do {
      try self.init(
        input: try required("input"), output: try required("output"), resolutions: resolutions,
        columns: columns)
    } catch {
      throw TableError(.configuration, path: path, reason: error.reason)
    }
  }

  /// The output directory for an input whose glob captured `captures`: `$1`... replaced, `$$` is `$`.
  /// - Throws: `TableError` for a `$n` beyond the captures.
  public func outputDirectory(captures: [String]) throws(TableError) -> String {
    do {
      return try CapturePattern.substitute(output, captures: captures)
    } catch {
      switch error {
      case .dollarWithoutNumber:
        throw TableError(
          .configuration,
          reason: "reduce.output: \"$\" must be followed by a capture number ($1...) or \"$\"")
      case .beyondCaptures(let number, let available):
        throw TableError(
          .configuration,
          reason:
            "reduce.output: $\(number), but the input glob \(input) has \(available) wildcard(s)")
      }
    }
  }
}
