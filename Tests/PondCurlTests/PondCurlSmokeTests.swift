import PondCurl
import Testing

@Suite("libcurl binding")
struct PondCurlSmokeTests {
  @Test func linksAgainstOpenSSLBuildOfLibcurl() {
    #expect(curlVersion().contains("libcurl/"))
    #expect(curlVersion().contains("OpenSSL"))
  }
}
