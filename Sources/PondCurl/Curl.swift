internal import CCurl

/// The libcurl version this binary runs with, for diagnostics.
public func curlVersion() -> String {
  String(cString: curl_version())
}
