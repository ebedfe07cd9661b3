/// Why a site could not be built: what failed, on which path, and what to do.
public struct SiteError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What kind of problem; a struct so that kinds can be added.
  public struct Code: Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// The configuration names nothing usable (no match, a bad `$n`).
    public static let configuration = Code("configuration")
    /// dygraphs is not installed where the configuration says.
    public static let dygraphs = Code("dygraphs")
    /// The pond holds something the site cannot show (a malformed station file, a table without time).
    public static let input = Code("input")
    /// The output directory cannot be used or written.
    public static let output = Code("output")
  }

  public let code: Code
  /// The pond or host path the problem is about.
  public let path: String
  public let message: String
  public let hint: String?

  init(_ code: Code, path: String, _ message: String, hint: String? = nil) {
    self.code = code
    self.path = path
    self.message = message
    self.hint = hint
  }

  public var description: String {
    "\(path): \(message)" + (hint.map { " (\($0))" } ?? "")
  }
}
