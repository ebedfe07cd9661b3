import PondCurl
import Testing

@Suite("libcurl binding")
struct CurlVersionTests {
  @Test func loadsOpenSSLBuildOfLibcurl() throws {
    #expect(try curlVersion().contains("libcurl/"))
    #expect(try curlVersion().contains("OpenSSL"))
  }
}
