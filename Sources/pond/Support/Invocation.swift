import Foundation

/// The command line as typed, recorded in each commit.
enum Invocation {
  static var commandLine: String {
    (["pond"] + CommandLine.arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
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
    let hasControl = argument.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    guard hasControl else {
      return "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
    var quoted = "$'"
    for scalar in argument.unicodeScalars {
      switch scalar {
      case "\\": quoted += #"\\"#
      case "'": quoted += #"\'"#
      case "\n": quoted += #"\n"#
      case "\t": quoted += #"\t"#
      case "\r": quoted += #"\r"#
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        quoted += #"\x"# + String(scalar.value, radix: 16, uppercase: true).leftPadded(2, with: "0")
      default: quoted.unicodeScalars.append(scalar)
      }
    }
    return quoted + "'"
  }
}

extension String {
  func leftPadded(_ width: Int, with pad: Character = " ") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }

  /// The string on one line of tab-separated text: tab, newline, carriage return and other control
  /// characters as `\t`, `\n`, `\r`, `\xHH` (`--json` gives the exact value).
  var escapedForLine: String {
    guard unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
      return self
    }
    var escaped = ""
    for scalar in unicodeScalars {
      switch scalar {
      case "\n": escaped += #"\n"#
      case "\t": escaped += #"\t"#
      case "\r": escaped += #"\r"#
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        escaped +=
          #"\x"# + String(scalar.value, radix: 16, uppercase: true).leftPadded(2, with: "0")
      default: escaped.unicodeScalars.append(scalar)
      }
    }
    return escaped
  }
}
