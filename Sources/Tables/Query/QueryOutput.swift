import DeltaLog
import PondCrypto
public import PondSQLite

/// How query results are printed.
public enum QueryOutputFormat: String, Sendable, CaseIterable {
  /// Columns aligned under a header (widths measured on the first `QueryOutput.measuredRows` rows).
  case table
  /// RFC 4180: a header line, fields quoted when they hold a comma, quote or line break; CRLF line ends.
  case csv
  /// JSON lines: one object per row, keys the column names.
  case json
}

/// Turns result rows into text in one `QueryOutputFormat`, handing it to `write` line by line (a table's
/// lines only at `finish()`).
///
/// Values: NULL is empty in CSV, `NULL` in a table and `null` in JSON; reals are written in the shortest
/// form that reads back the same number (non-finite ones as `null` in JSON); blobs as lowercase hex
/// (`\x` prefixed in tables and CSV, a string in JSON). A table writes line breaks and tabs in text as `\n`,
/// `\r` and `\t`, to keep one line per row.
///
/// Not `Sendable`: it calls `write`, which belongs to the caller's thread of control.
public struct QueryOutput {
  public let format: QueryOutputFormat
  private let columns: [String]
  private let write: (String) -> Void
  private var held: [[String]] = []
  /// A table's column widths, once measured.
  private var widths: [Int]?

  public init(format: QueryOutputFormat, columns: [String], write: @escaping (String) -> Void) {
    self.format = format
    self.columns = columns
    self.write = write
    if format == .csv { write(columns.map(Self.csvField).joined(separator: ",") + "\r\n") }
  }

  public mutating func add(_ row: [SQLiteValue]) {
    switch format {
    case .table:
      let fields = row.map { Self.text($0).map(Self.escapingControls) ?? "NULL" }
      if let widths {
        write(line(fields, widths))
      } else {
        held.append(fields)
        if held.count == Self.measuredRows { finish() }
      }
    case .csv:
      // An empty text is quoted: an empty field is NULL, so that the CSV reads back as it was.
      let fields = row.map { value in
        if case .text(let text) = value, text.isEmpty { return "\"\"" }
        return Self.csvField(Self.text(value) ?? "")
      }
      write(fields.joined(separator: ",") + "\r\n")
    case .json:
      var line = "{"
      for (index, value) in row.enumerated() {
        if index > 0 { line += "," }
        line += Self.jsonString(index < columns.count ? columns[index] : "column\(index)") + ":"
        switch value {
        case .null: line += "null"
        case .integer(let number): line += String(number)
        case .real(let number): line += number.isFinite ? Self.real(number) : "null"
        case .text(let text): line += Self.jsonString(text)
        case .blob(let bytes): line += Self.jsonString(Hex.encode(bytes))
        }
      }
      write(line + "}\n")
    }
  }

  /// Rows a table's column widths are measured on; later rows are written as they come (a wider value
  /// shifts its line), so that memory does not grow with the result.
  static let measuredRows = 1000

  /// Writes what is held (a table's first lines); later rows of a table are written as they come.
  public mutating func finish() {
    guard format == .table, widths == nil else { return }
    var widths = columns.map(\.count)
    for row in held {
      for (index, field) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], field.count)
      }
    }
    self.widths = widths
    write(line(columns, widths))
    write(line(widths.map { String(repeating: "-", count: $0) }, widths))
    for row in held { write(line(row, widths)) }
    held = []
  }

  /// One line of a table: fields padded to `widths`, two spaces apart.
  private func line(_ fields: [String], _ widths: [Int]) -> String {
    var parts: [String] = []
    for (index, field) in fields.enumerated() {
      let width = index < widths.count ? widths[index] : field.count
      let pad = String(repeating: " ", count: max(width - field.count, 0))
      parts.append(index == fields.count - 1 ? field : field + pad)
    }
    return parts.joined(separator: "  ") + "\n"
  }

  private static func text(_ value: SQLiteValue) -> String? {
    switch value {
    case .null: nil
    case .integer(let number): String(number)
    case .real(let number): real(number)
    case .text(let text): text
    case .blob(let bytes): "\\x" + Hex.encode(bytes)
    }
  }

  /// One line per row: line breaks and tabs in text are written as `\n`, `\r`, `\t`.
  private static func escapingControls(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 9 }) else { return text }
    return text.replacing("\n", with: "\\n").replacing("\r", with: "\\r").replacing(
      "\t", with: "\\t")
  }

  private static func real(_ number: Double) -> String {
    number.description
  }

  private static func csvField(_ field: String) -> String {
    guard field.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else {
      return field
    }
    return "\"" + field.replacing("\"", with: "\"\"") + "\""
  }

  /// `text` as a JSON string (DeltaLog's JSON writer, the project's one).
  private static func jsonString(_ text: String) -> String {
    JSONValue.string(text).serialized
  }
}
