import FoundationEssentials

/// What `pond reduce` keeps beside its output (`<output>/reduce-state`, JSON) to continue where it
/// stopped: the input's node and the last of its versions read (the watermark), the largest time read, the
/// configuration it was made with, and the partial sums of the buckets still open.
///
/// Doubles are kept as the hex of their bits: exact, and infinities need no special case.
struct ReduceState: Codable, Sendable, Hashable {
  struct Bucket: Codable, Sendable, Hashable {
    /// The resolution, as in the output's `res=` name.
    var resolution: String
    var start: Int64
    var rows: Int64
    var counts: [Int64]
    var sums: [String]
    var minimums: [String]
    var maximums: [String]
  }

  var format = 1
  /// The input's pond path and node.
  var input: String
  var node: String
  /// The last node version read, and the pond version that wrote it.
  var version: UInt64
  var transaction: Int64
  /// The largest time read (µs), nil before any row with a time.
  var maxTime: Int64?
  /// `ReduceConfiguration.signature` of the run that wrote this.
  var configuration: String
  var open: [Bucket]

  static func decode(_ bytes: [UInt8], path: String) throws(TableError) -> ReduceState {
    do {
      return try JSONDecoder().decode(ReduceState.self, from: Data(bytes))
    } catch {
      throw TableError(
        .reduceState, path: path,
        reason:
          "the state file cannot be read (\(error)); run 'pond reduce --rebuild' to start over")
    }
  }

  func encoded() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    } catch {
      preconditionFailure("the reduce state cannot be encoded: \(error)")
    }
  }

  static func hex(_ value: Double) -> String { String(value.bitPattern, radix: 16) }

  static func double(_ text: String, path: String) throws(TableError) -> Double {
    guard let bits = UInt64(text, radix: 16) else {
      throw TableError(
        .reduceState, path: path,
        reason: "the state file holds \"\(text)\" where a number's bits are expected; "
          + "run 'pond reduce --rebuild' to start over")
    }
    return Double(bitPattern: bits)
  }
}
