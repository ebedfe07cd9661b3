import Foundation
import PondTestSupport
import Testing

@Suite("start-up")
struct StartupTests {
  /// Every `pond` process would pay for loading these: libcurl (and its thirty dependencies) is opened on
  /// first use instead, and XML is read without FoundationXML (libxml2, ICU).
  @Test func pondLoadsNeitherLibcurlNorLibxml2NorICUAtStartUp() throws {
    let ldd = try #require(TestSupport.which("ldd"), "ldd (libc-bin) is needed")
    let result = try TestSupport.run(ldd, [PondBinary.url.path])
    #expect(result.status == 0, "\(result.stderrText)")
    for library in ["libcurl", "libxml2", "libicu", "libFoundation.so", "libFoundationXML"] {
      #expect(!result.stdoutText.contains(library), "pond links \(library)")
    }
  }
}
