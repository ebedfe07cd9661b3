import Pipeline
import Testing

@Suite struct PipelineLayoutTests {
  @Test func resourcesLiveUnderEtc() {
    #expect(Pipeline.resourcesDirectory == "/etc/resources")
  }
}
