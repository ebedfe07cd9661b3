import FoundationEssentials
import Glibc

/// Every byte a command writes to standard output goes through one of these, so that a full disk or a closed
/// output is an error the command reports (exit 1), never a trap (`FileHandle.write(_:)` traps on failure) nor
/// a silent loss (`print` buffers in stdio and drops write errors at exit).
///
/// Output is buffered up to 64 KiB and written with write(2); large chunks (`cat`) bypass the buffer. Memory
/// does not grow with the output. Used by one command on one task: not `Sendable`.
final class StandardOutput {
  private var buffer: [UInt8] = []
  private let capacity = 64 * 1024

  init() { buffer.reserveCapacity(capacity) }

  /// Writes `text` and a newline.
  func line(_ text: String = "") throws {
    buffer.append(contentsOf: text.utf8)
    buffer.append(UInt8(ascii: "\n"))
    if buffer.count >= capacity { try flush() }
  }

  /// Writes and flushes the confirmation line of a command that has changed the pond (`done` says what it
  /// did). The change is made, so a failure to write the line is only a warning on stderr and the command
  /// still exits 0: exit 1 promises that nothing changed, and a script would redo the change. A closed pipe
  /// is ignored.
  func confirm(_ text: String, command: String, done: String) {
    do {
      try line(text)
      try flush()
    } catch let error as StandardOutputError where error.isBrokenPipe {
      return
    } catch {
      StandardStream.printError("pond \(command): warning: \(error); \(done)")
    }
  }

  /// Writes `bytes` as they are.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    if buffer.count + bytes.count <= capacity {
      buffer.append(contentsOf: bytes)
      return
    }
    try flush()
    if bytes.count < capacity {
      buffer.append(contentsOf: bytes)
    } else {
      try StandardStream.output.write(bytes)
    }
  }

  func write(_ data: Data) throws {
    try data.withUnsafeBytes { try write($0) }
  }

  func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  /// Writes out everything buffered. Also flushes stdio's buffers (`fflush(NULL)`) and fails when that
  /// fails, in case anything (a library) wrote to stdio's `stdout` with `print`; `pond` itself does not.
  /// (Swift 6 does not let us name the C global `stdout` to ask `ferror` about it.)
  func flush() throws {
    if fflush(nil) != 0 { throw StandardOutputError(code: errno == 0 ? EIO : errno) }
    guard !buffer.isEmpty else { return }
    defer { buffer.removeAll(keepingCapacity: true) }
    try buffer.withUnsafeBytes { try StandardStream.output.write($0) }
  }
}

/// Standard output could not be written; `code` is the errno of write(2).
struct StandardOutputError: Error, CustomStringConvertible {
  var code: Int32

  /// The reader of a pipe went away (`pond cat F | head -c1`): not worth a message.
  var isBrokenPipe: Bool { code == EPIPE }

  var description: String {
    let reason = String(cString: strerror(code))
    let hint =
      switch code {
      case ENOSPC: "the disk is full: free some space, or send the output elsewhere"
      case EDQUOT: "the disk quota is used up: free some space, or send the output elsewhere"
      case EFBIG: "the output file grew past the size limit: send the output elsewhere"
      case EBADF: "standard output is closed: redirect it to a file or a pipe"
      default: "check the file, pipe or terminal the output goes to"
      }
    return "standard output: \(reason); \(hint)"
  }
}

/// A standard stream written with write(2), retrying after EINTR and partial writes, and waiting when the
/// descriptor was left non-blocking.
///
/// Raw calls on purpose, not PondFiles: the standard descriptors belong to the shell, so nothing here may own
/// (and close) them as `OpenFile` does, and a non-blocking stdout needs `poll` between partial writes.
enum StandardStream {
  case output, error

  private var descriptor: Int32 { self == .output ? STDOUT_FILENO : STDERR_FILENO }

  /// Writes all of `bytes`, or throws the errno that stopped it.
  func write(_ bytes: UnsafeRawBufferPointer) throws(StandardOutputError) {
    guard var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let written = Glibc.write(descriptor, next, remaining)
      if written > 0 {
        next += written
        remaining -= written
        continue
      }
      // A write that takes nothing and reports no error would loop forever: treat it as an I/O error.
      if written == 0 { throw StandardOutputError(code: EIO) }
      let code = errno
      switch code {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK:
        var poll = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        _ = Glibc.poll(&poll, 1, -1)
      default: throw StandardOutputError(code: code)
      }
    }
  }

  /// Opens `/dev/null` on any of descriptors 0, 1, 2 that the shell left closed (`pond log >&-`), before
  /// anything else runs: otherwise the next file `pond` opens (the index, a data file) would become "standard
  /// output" and receive its text. It is opened in the wrong direction, so that writing "standard output"
  /// still fails (EBADF: "standard output is closed") instead of vanishing.
  static func reserveClosedDescriptors() {
    for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
      guard fcntl(descriptor, F_GETFD) == -1, errno == EBADF else { continue }
      // open(2) returns the lowest free descriptor: this one, as the lower ones are open by now.
      let opened = open("/dev/null", descriptor == STDIN_FILENO ? O_WRONLY : O_RDONLY)
      if opened >= 0 && opened != descriptor { close(opened) }
    }
  }

  /// Writes a message line to standard error. Failures are ignored: there is nowhere left to report them.
  static func printError(_ message: String, newline: Bool = true) {
    var line = message + (newline ? "\n" : "")
    line.withUTF8 { try? StandardStream.error.write(UnsafeRawBufferPointer($0)) }
  }
}
