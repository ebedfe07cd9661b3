/// A failure of the HydroVu collector: what failed, on which request, device or pond path, and what the user
/// can do. Nothing is committed when one is thrown.
public struct HydroVuError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What kind of failure it is (more may be added).
  public struct Kind: Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// The configuration cannot be used (a missing start time, a bad device name, an unknown device).
    public static let configuration = Kind("configuration")
    /// HydroVu refused the client's credentials (401/403 even with a fresh token).
    public static let credentials = Kind("credentials")
    /// HydroVu answered with an error status that no retry cures, or kept failing until the retries ran out.
    public static let http = Kind("HTTP")
    /// The network failed on every try.
    public static let network = Kind("network")
    /// An answer is not the JSON HydroVu sends (malformed, cut short, or of another shape).
    public static let malformed = Kind("malformed answer")
    /// The pond holds something the collector cannot append to, or changed while it collected.
    public static let pond = Kind("pond")

    public var description: String { name }
  }

  public let kind: Kind
  /// The whole message: what failed, where, and what to do.
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { "HydroVu: \(message)" }
}
