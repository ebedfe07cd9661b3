public import Foundation
import Testing

extension TestSupport {
  /// Mounts a tmpfs of `size` (as `mount -o size=` takes it, e.g. `"8m"`) on a new directory inside `parent`,
  /// runs `body` with the mount point, and unmounts it. Returns nil without running `body` when mounting is
  /// refused (it needs root with CAP_SYS_ADMIN); call `reportUnavailable(tmpfsUnavailable)` then.
  public static func withTmpfs<Value>(
    size: String, in parent: URL, _ body: (String) throws -> Value
  ) throws -> Value? {
    let mountPoint = parent.appendingPathComponent("mnt-\(UUID().uuidString.lowercased())").path
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mount = try run(
      URL(fileURLWithPath: "/bin/mount"),
      ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint])
    guard mount.status == 0 else { return nil }
    defer { _ = try? run(URL(fileURLWithPath: "/bin/umount"), [mountPoint]) }
    return try body(mountPoint)
  }

  /// Why `withTmpfs` returned nil.
  public static let tmpfsUnavailable = "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"

  /// Says loudly that a test could not run: an issue under CI (where nothing may be skipped), a printed
  /// "skipped" line otherwise.
  public static func reportUnavailable(_ reason: String) {
    if isCI {
      Issue.record(Comment(rawValue: reason))
    } else {
      print("skipped: \(reason)")
    }
  }
}
