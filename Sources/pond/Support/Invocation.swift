import FoundationEssentials

/// The command line as typed, recorded in each commit.
enum Invocation {
  static var commandLine: String {
    // A loop, not `joined(separator:)`, whose unspecialized generic code looks up conformances at run time.
    var line = "pond"
    for argument in CommandLine.arguments.dropFirst() { line += " " + shellQuoted(argument) }
    return line
  }

  /// `argument` as a shell word: bare when it holds only characters no shell treats specially, in single
  /// quotes otherwise, and as `$'...'` (bash, zsh, ksh, POSIX 2024) when it holds a control character, so that
  /// the recorded command line stays on one line and can be pasted back into a shell.
  static func shellQuoted(_ argument: String) -> String {
    let isPlain = { (character: Character) in
      character.isASCII
        ? (character.isLetter || character.isNumber || "@%+=:,./-_".contains(character))
        : (character.isLetter || character.isNumber)
    }
    // zsh expands a leading `=` (`=ls` is the path of ls).
    if !argument.isEmpty && argument.allSatisfy(isPlain) && !argument.hasPrefix("=") {
      return argument
    }
    guard argument.hasControlCharacters else {
      return "'" + argument.replacing("'", with: #"'\''"#) + "'"
    }
    return "$'" + argument.escapingControlCharacters(also: #"\'"#) + "'"
  }
}

extension String {
  func leftPadded(_ width: Int, with pad: Character = " ") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }

  /// The string followed by spaces up to `width` characters; a longer string is kept whole.
  func rightPadded(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }

  /// The string on one line of tab-separated text: tab, newline, carriage return and other control
  /// characters as `\t`, `\n`, `\r`, `\xHH` (`--json` gives the exact value).
  var escapedForLine: String { hasControlCharacters ? escapingControlCharacters() : self }

  fileprivate var hasControlCharacters: Bool {
    unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
  }

  /// Control characters as `\t`, `\n`, `\r` or `\xHH`, and each character of `also` after a backslash.
  fileprivate func escapingControlCharacters(also escaped: String = "") -> String {
    var result = ""
    for scalar in unicodeScalars {
      switch scalar {
      case "\n": result += #"\n"#
      case "\t": result += #"\t"#
      case "\r": result += #"\r"#
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        result += #"\x"# + String(scalar.value, radix: 16, uppercase: true).leftPadded(2, with: "0")
      case _ where escaped.unicodeScalars.contains(scalar): result += "\\" + String(scalar)
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }
}
