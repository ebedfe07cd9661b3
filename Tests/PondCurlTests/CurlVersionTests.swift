import PondCurl
import Testing

@Suite("libcurl binding")
struct CurlVersionTests {
  @Test func linksAgainstOpenSSLBuildOfLibcurl() {
    #expect(curlVersion().contains("libcurl/"))
    #expect(curlVersion().contains("OpenSSL"))
  }
}
