import PondTestSupport
import Tables
import Testing

@Suite("CSV reader (RFC 4180)")
struct CSVReaderTests {
  /// Every record of `text` as its fields' texts.
  static func records(_ text: String, expecting count: Int? = nil) throws -> [[String]] {
    let scratch = try ScratchDirectory("csv-reader")
    let path = try scratch.write(Array(text.utf8), to: "data.csv")
    let reader = try CSVReader(path: path)
    reader.expectedFieldCount = count
    var records: [[String]] = []
    while try reader.readRecord() {
      records.append((0..<reader.fieldCount).map { reader.text(ofField: $0) })
    }
    return records
  }

  @Test func quotedFieldsHoldCommasLineEndsAndQuotes() throws {
    let text = "a,b,c\r\n\"x, y\",\"line1\nline2\",\"say \"\"hi\"\"\"\r\n,\"\",z"
    #expect(
      try Self.records(text) == [
        ["a", "b", "c"], ["x, y", "line1\nline2", "say \"hi\""], ["", "", "z"],
      ])
  }

  @Test func lineEndsOfEveryKindAndBlankLines() throws {
    #expect(try Self.records("a\nb\r\nc\rd\n\n\r\ne\n") == [["a"], ["b"], ["c"], ["d"], ["e"]])
  }

  @Test func byteOrderMarkIsSkipped() throws {
    #expect(try Self.records("\u{FEFF}a,b\n1,2") == [["a", "b"], ["1", "2"]])
  }

  @Test func recordsLongerThanAChunkAndSplitLineEnds() throws {
    let long = String(repeating: "x", count: CSVReader.chunkSize + 17)
    let pad = String(repeating: "p", count: CSVReader.chunkSize - 2)
    // The CRLF after `pad` straddles the first chunk's end.
    let text = "\(pad),\r\n\"\(long)\",1\r\n"
    let records = try Self.records(text)
    #expect(records.count == 2)
    #expect(records[1] == [long, "1"])
  }

  @Test func raggedRowIsRefusedWithLineAndColumn() throws {
    #expect {
      try Self.records("a,b\n1,2\n\"x\ny\",2,3\n", expecting: 2)
    } throws: { error in
      let error = error as! TableError
      return error.kind == .malformedCSV && error.line == 3 && error.column == "3"
        && error.description.contains("data.csv, line 3, column 3: the record has 3 fields")
    }
    #expect {
      try Self.records("a,b\n1\n", expecting: 2)
    } throws: { error in
      (error as! TableError).line == 2 && (error as! TableError).column == "2"
    }
  }

  @Test func unterminatedQuoteIsRefusedWhereItStarts() throws {
    #expect {
      try Self.records("a,b\n1,2\n3,\"never\nends\n")
    } throws: { error in
      let error = error as! TableError
      return error.line == 3 && error.column == "2" && error.description.contains("never ends")
    }
  }

  @Test func textAfterAClosingQuoteIsRefused() throws {
    #expect {
      try Self.records("a\n\"x\"y\n")
    } throws: { error in
      let error = error as! TableError
      return error.line == 2 && error.column == "1"
        && error.description.contains("after the closing quote")
    }
  }

  @Test func missingFileIsAnIOError() {
    #expect {
      try CSVReader(path: "/nonexistent/x.csv")
    } throws: { error in
      (error as! TableError).kind == .io
        && (error as! TableError).description.contains("/nonexistent/x.csv")
    }
  }
}
