internal import CCurl

/// The libcurl version this binary runs with, for diagnostics.
/// - Throws: `CurlError` when libcurl cannot be loaded.
public func curlVersion() throws -> String {
  String(cString: try CurlLibrary.shared.get().version()!)
}

/// libcurl, opened with `dlopen` on first use instead of linked: loading it and the thirty libraries it needs
/// (TLS, SSH, LDAP, Kerberos, ...) cost every `pond` process about 4.5 ms at start-up, and only the commands
/// that reach an object store use it (docs/development.md). The functions pond calls are looked up once;
/// the variadic ones are called through the shim's typed wrappers.
struct CurlLibrary: @unchecked Sendable {  // immutable pointers into a library that is never closed
  /// The library, loaded and `curl_global_init`-ed once per process (a static `let` is initialised once,
  /// thread-safely), or why it could not be.
  static let shared = Result { try CurlLibrary(soname: "libcurl.so.4") }

  typealias Handle = UnsafeMutableRawPointer?
  let easyInit: @convention(c) () -> Handle
  let easyCleanup, easyReset: @convention(c) (Handle) -> Void
  let easyPerform: @convention(c) (Handle) -> CURLcode
  let easyStrerror: @convention(c) (CURLcode) -> UnsafePointer<CChar>?
  let slistAppend:
    @convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) ->
      UnsafeMutablePointer<curl_slist>?
  let slistFreeAll: @convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void
  let version: @convention(c) () -> UnsafeMutablePointer<CChar>?
  let setopt, getinfo: OpaquePointer

  private init(soname: String) throws(CurlError) {
    func failure(_ message: String) -> CurlError {
      CurlError(
        code: Int(CURLE_FAILED_INIT.rawValue),
        message: "\(message); pond needs libcurl for object stores (Debian: apt install libcurl4)",
        request: "loading \(soname)")
    }
    guard let library = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
      throw failure(String(cString: dlerror()))
    }
    func function<F>(_ name: String) throws(CurlError) -> F {
      guard let address = dlsym(library, name) else { throw failure(String(cString: dlerror())) }
      return unsafeBitCast(address, to: F.self)
    }
    easyInit = try function("curl_easy_init")
    easyCleanup = try function("curl_easy_cleanup")
    easyReset = try function("curl_easy_reset")
    easyPerform = try function("curl_easy_perform")
    easyStrerror = try function("curl_easy_strerror")
    slistAppend = try function("curl_slist_append")
    slistFreeAll = try function("curl_slist_free_all")
    version = try function("curl_version")
    setopt = try function("curl_easy_setopt")
    getinfo = try function("curl_easy_getinfo")
    guard pond_curl_global_init(try function("curl_global_init")) == CURLE_OK else {
      throw failure("curl_global_init failed")
    }
  }
}
