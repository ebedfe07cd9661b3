import FoundationEssentials

/// Prints `value` as pretty, key-sorted JSON.
func printJSON<Value: Encodable>(_ value: Value, to output: StandardOutput) throws {
  try output.write(try jsonEncoder().encode(value))
  try output.line()
}

private func jsonEncoder() -> JSONEncoder {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  return encoder
}

/// Prints a JSON array one element at a time, so that a long listing is never held whole in memory; a failed
/// write throws (the array is then left unfinished, and the command fails).
struct JSONArrayPrinter {
  private let output: StandardOutput
  private let encoder = jsonEncoder()
  private var count = 0

  init(to output: StandardOutput) { self.output = output }

  mutating func print<Value: Encodable>(_ value: Value) throws {
    let element = try encoder.encode(value)
    try output.write(count == 0 ? "[\n" : ",\n")
    try output.write(element)
    count += 1
  }

  /// Ends the array (`[]` when nothing was printed).
  func finish() throws {
    try output.write(count == 0 ? "[]\n" : "\n]\n")
  }
}
