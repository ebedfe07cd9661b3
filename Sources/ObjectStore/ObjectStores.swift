import FoundationEssentials

/// Opens object stores by URL.
public enum ObjectStores {
  /// Opens `file:///path` (an existing directory) or `s3://bucket/prefix`.
  ///
  /// - Parameters:
  ///   - options: S3 settings (ignored for `file://`); unset values come from the AWS configuration.
  ///   - profile: an explicitly chosen AWS profile (`--profile`): it wins over keys in the environment.
  ///   - environment: where AWS credentials, region, endpoint and profiles are looked up.
  ///
  /// A `file://` directory must already exist: it is never created here, so a remote on a disk that is not
  /// mounted fails instead of filling the root filesystem.
  public static func open(
    _ url: String, options: S3Options = S3Options(), profile: String? = nil,
    environment: [String: String]
  ) throws -> any ObjectStore {
    if url.hasPrefix("file://") {
      let path = String(url.dropFirst("file://".count))
      guard path.hasPrefix("/") else {
        throw ObjectStoreError(
          .invalidArgument, store: url, key: nil, operation: "open",
          message: "a file URL needs an absolute path: file:///absolute/path")
      }
      return try FileObjectStore(root: URL(fileURLWithPath: AWSURIEncoding.decode(path)))
    }
    if url.hasPrefix("s3://") {
      let rest = url.dropFirst("s3://".count)
      let bucket = String(rest.prefix { $0 != "/" })
      let prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
      let configuration: AWSConfiguration
      do {
        configuration = try AWSConfiguration.resolve(
          region: options.region, endpoint: options.endpoint, profile: profile,
          environment: environment)
      } catch let error as AWSConfigurationError {
        throw ObjectStoreError(
          .invalidArgument, store: url, key: nil, operation: "open", message: error.message)
      }
      var resolved = options
      resolved.endpoint = configuration.endpoint
      resolved.region = configuration.region
      return try S3ObjectStore(
        bucket: bucket, prefix: prefix, credentials: configuration.credentials, options: resolved)
    }
    throw ObjectStoreError(
      .invalidArgument, store: url, key: nil, operation: "open",
      message: "unsupported URL: use file:///path or s3://bucket/prefix")
  }
}
