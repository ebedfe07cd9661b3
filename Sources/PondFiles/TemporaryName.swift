/// The one naming scheme of the temporary files PondFiles creates: `.pond-tmp-` and 16 random hex digits, in
/// the directory of the file they will become (a rename or link never crosses file systems).
///
/// The prefix is reserved: stores never list such names and refuse them as keys.
public enum TemporaryName {
  /// The reserved prefix of every temporary name.
  public static let prefix = ".pond-tmp-"

  /// A fresh temporary path in `directory`.
  public static func make(in directory: String) -> String {
    let random = String(UInt64.random(in: .min ... .max), radix: 16)
    let name = prefix + String(repeating: "0", count: 16 - random.count) + random
    return directory == "/" ? "/" + name : directory + "/" + name
  }

  /// True when the last component of `path` (or the name itself) is a temporary name.
  public static func isTemporary(_ path: String) -> Bool {
    let name = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path[...]
    return name.hasPrefix(prefix)
  }
}
