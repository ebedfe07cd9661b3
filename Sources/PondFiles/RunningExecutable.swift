import Glibc

/// The running program's own file, for finding the programs installed beside it (`pond` runs `pond-agent`,
/// the agent runs `pond`).
public enum RunningExecutable {
  /// The program `name` in the directory of the running executable (`/proc/self/exe`, or the first
  /// argument when that cannot be read).
  public static func sibling(named name: String) -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let executable = count > 0 ? String(cString: buffer) : CommandLine.arguments[0]
    let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast()
      .joined(separator: "/")
    return (directory.isEmpty ? "." : directory) + "/" + name
  }
}
