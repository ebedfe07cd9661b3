import Foundation
import Testing

@testable import ObjectStore

@Suite("the XML reader for S3 responses, and HTTP dates")
struct XMLTreeTests {
  @Test func readsAListingWithEntitiesAndComments() throws {
    let xml = """
      <?xml version="1.0" encoding="UTF-8"?>
      <!-- a listing -->
      <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/" a='x>y'>
        <Name>bucket</Name><IsTruncated>false</IsTruncated><Prefix/>
        <Contents><Key>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x263A;</Key><Size>3</Size></Contents>
        <Contents><Key>x</Key><!-- <Size>1</Size> --><Size>0</Size></Contents>
      </ListBucketResult>
      """
    let root = try #require(XMLElement.parse(Array(xml.utf8)))
    #expect(root.name == "ListBucketResult")
    #expect(root.value("Name") == "bucket")
    #expect(root.value("Prefix") == "")
    #expect(root.all("Contents").map { $0.value("Key") } == ["a & b <c> \"d\" 'e' é☺", "x"])
    #expect(root.all("Contents").map { $0.value("Size") } == ["3", "0"])
  }

  @Test(arguments: [
    "", "<a>", "<a></b>", "<a/><b/>", "text<a/>", "<a>&nbsp;</a>", "<a>&amp</a>", "<a><!-- x </a>",
    "<a x='>", "<a><![CDATA[x]]></a>", "<!DOCTYPE a><a/>", "<a></a>x", "<?xml",
  ])
  func rejectsWhatIsNotWellFormed(_ xml: String) {
    #expect(XMLElement.parse(Array(xml.utf8)) == nil)
  }

  @Test func rejectsTextThatIsNotUTF8() {
    #expect(XMLElement.parse(Array("<a>".utf8) + [0xFF] + Array("</a>".utf8)) == nil)
  }

  @Test func readsHTTPDatesAndWritesSigV4Timestamps() {
    let date = Date(timeIntervalSince1970: 1_445_412_480)
    #expect(S3ObjectStore.parseHTTPDate("Wed, 21 Oct 2015 07:28:00 GMT") == date)
    #expect(S3ObjectStore.parseHTTPDate("Wed, 21 Oct 2015 07:28:00 CET") == nil)
    #expect(S3ObjectStore.parseHTTPDate("Wed, 21 Okt 2015 07:28:00 GMT") == nil)
    #expect(SigV4Signer.timestamp(date.addingTimeInterval(0.9)) == "20151021T072800Z")
  }
}
