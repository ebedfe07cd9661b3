/// A resource that cannot be applied or run: says which resource (or file and line) and why, and what to do.
public struct PipelineError: Error, Sendable, Hashable, CustomStringConvertible {
  /// Where: a resource's name, or a file and line.
  public let place: String?
  public let reason: String
  /// What the user can do, when it is not obvious from the reason.
  public let hint: String?

  public init(_ place: String?, _ reason: String, hint: String? = nil) {
    self.place = place
    self.reason = reason
    self.hint = hint
  }

  public var description: String {
    (place.map { "\($0): " } ?? "") + reason + (hint.map { " (\($0))" } ?? "")
  }
}
