public import PondTime

/// What the HydroVu collector collects, and where it puts it in the pond.
public struct HydroVuConfiguration: Sendable, Equatable {
  /// One HydroVu location (an instrument) to collect.
  public struct Device: Sendable, Equatable {
    /// The HydroVu location id.
    public var id: Int64
    /// Its directory's name under `directory`.
    public var name: String
    /// The prefix of its column names (`<scope>.<parameter>.<unit>`); nil for `name`.
    public var scope: String?
    /// Inactive devices are skipped.
    public var active: Bool

    public init(id: Int64, name: String, scope: String? = nil, active: Bool = true) {
      self.id = id
      self.name = name
      self.scope = scope
      self.active = active
    }
  }

  /// Where HydroVu's API is.
  public var baseURL: String
  public var clientID: String
  public var clientSecret: String
  /// The pond directory that holds a directory per device (`/hydrovu`).
  public var directory: String
  /// The most readings (distinct timestamps) stored per device in one run.
  public var maxPointsPerRun: Int
  /// Where a device with no data in the pond yet starts; required as soon as there is such a device
  /// (never silently from the epoch).
  public var start: UTCMicroseconds?
  public var devices: [Device]

  public static let defaultBaseURL = "https://www.hydrovu.com"
  public static let defaultMaxPointsPerRun = 100_000

  public init(
    baseURL: String = HydroVuConfiguration.defaultBaseURL, clientID: String,
    clientSecret: String, directory: String,
    maxPointsPerRun: Int = HydroVuConfiguration.defaultMaxPointsPerRun,
    start: UTCMicroseconds?, devices: [Device]
  ) {
    self.baseURL = baseURL
    self.clientID = clientID
    self.clientSecret = clientSecret
    self.directory = directory
    self.maxPointsPerRun = maxPointsPerRun
    self.start = start
    self.devices = devices
  }

  /// Refuses a configuration the collector cannot run, naming the field and what to write instead.
  public func validate() throws(HydroVuError) {
    func refuse(_ field: String, _ why: String) -> HydroVuError {
      HydroVuError(.configuration, "\(field): \(why)")
    }
    guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
      throw refuse("baseURL", "\"\(baseURL)\" is not an http:// or https:// URL")
    }
    guard !clientID.isEmpty else {
      throw refuse("clientID", "is empty; give the HydroVu client id")
    }
    guard !clientSecret.isEmpty else {
      throw refuse("clientSecret", "is empty; give the HydroVu client secret")
    }
    guard directory.hasPrefix("/"), directory != "/" else {
      throw refuse(
        "directory",
        "\"\(directory)\" is not an absolute pond directory below / (write e.g. /hydrovu)")
    }
    guard maxPointsPerRun >= 1 else {
      throw refuse("maxPointsPerRun", "is \(maxPointsPerRun); it must be at least 1")
    }
    guard !devices.isEmpty else { throw refuse("devices", "none is listed") }
    var ids = Set<Int64>()
    var names = Set<String>()
    for device in devices {
      let field = "devices[id \(device.id)]"
      guard ids.insert(device.id).inserted else { throw refuse(field, "the id is listed twice") }
      guard !device.name.isEmpty, device.name != ".", device.name != "..",
        !device.name.contains("/")
      else {
        throw refuse(field, "name \"\(device.name)\" is not a directory name (no /, not empty)")
      }
      guard names.insert(device.name).inserted else {
        throw refuse(field, "name \(device.name) is used by another device too")
      }
      if let scope = device.scope,
        scope.isEmpty || scope.contains(",") || scope.contains(":")
      {
        throw refuse(field, "scope \"\(scope)\" must be non-empty, without , or :")
      }
    }
  }
}
