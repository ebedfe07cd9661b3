import Synchronization
public import SystemPackage

/// The one owner of an open file descriptor: closed exactly once, by `close()` or else in `deinit`.
///
/// Reads and writes take caller-owned buffers; the `read(into:)`/`write(_:)` family loops until the buffer is
/// full or written (a short count means end of file), retrying interrupted calls. All of them block: from async
/// code, call them on a thread of your own, not on Swift's cooperative pool.
public final class OpenFile: Sendable {
  /// The path the file was opened at, named in every error.
  public let path: String
  private let descriptor: FileDescriptor
  private let isClosed = Atomic<Bool>(false)

  private init(descriptor: FileDescriptor, path: String) {
    self.descriptor = descriptor
    self.path = path
  }

  deinit {
    // An explicit `close()` reports errors; here there is no one left to tell.
    if !isClosed.load(ordering: .acquiring) { try? descriptor.close() }
  }

  /// Opens the existing file at `path` for reading. The corresponding C function is `open`.
  public convenience init(readingAt path: String) throws(FileIOError) {
    let descriptor = try Self.open(path, .readOnly, options: [.closeOnExec], as: .openForReading)
    self.init(descriptor: descriptor, path: path)
  }

  /// Creates a new file at `path`, which must not exist yet (`O_CREAT | O_EXCL`), with permissions 0644.
  ///
  /// The corresponding C function is `open`.
  public convenience init(creatingAt path: String, mode: FileDescriptor.AccessMode = .writeOnly)
    throws(FileIOError)
  {
    let descriptor = try Self.open(
      path, mode, options: [.create, .exclusiveCreate, .closeOnExec],
      permissions: [.ownerReadWrite, .groupRead, .otherRead], as: .create)
    self.init(descriptor: descriptor, path: path)
  }

  /// Opens the file at `path` for reading and writing, creating it (mode 0644) when missing; its content is
  /// kept. The corresponding C function is `open`.
  public convenience init(updatingAt path: String) throws(FileIOError) {
    let descriptor = try Self.open(
      path, .readWrite, options: [.create, .closeOnExec],
      permissions: [.ownerReadWrite, .groupRead, .otherRead], as: .openForUpdate)
    self.init(descriptor: descriptor, path: path)
  }

  /// The name `standardInput()` gives the process's standard input in errors.
  public static let standardInputName = "standard input"

  /// A descriptor of its own for the process's standard input (a duplicate, so that closing it leaves
  /// descriptor 0 open), named `standardInputName` in errors. The corresponding C function is `fcntl`
  /// (`F_DUPFD_CLOEXEC`).
  public static func standardInput() throws(FileIOError) -> OpenFile {
    let descriptor = try SystemCall.duplicateClosingOnExec(.standardInput).mapError {
      FileIOError(.openForReading, path: standardInputName, errno: $0)
    }.get()
    return OpenFile(descriptor: descriptor, path: standardInputName)
  }

  static func open(
    _ path: String, _ mode: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions,
    permissions: FilePermissions? = nil, as operation: FileIOError.Operation
  ) throws(FileIOError) -> FileDescriptor {
    do {
      return try FileDescriptor.open(
        FilePath(path), mode, options: options, permissions: permissions, retryOnInterrupt: true)
    } catch {
      throw FileIOError(operation, path: path, errno: error as? Errno ?? .ioError)
    }
  }

  /// Reads from the current offset until `buffer` is full or the file ends; returns the bytes read, which
  /// is less than `buffer.count` only at the end of the file. The corresponding C function is `read`.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileIOError) -> Int {
    try fill(buffer) { remaining, _ in
      try descriptor.read(into: remaining, retryOnInterrupt: true)
    }
  }

  /// Reads at `offset` until `buffer` is full or the file ends, without moving the file offset; returns the
  /// bytes read (less than `buffer.count` only at the end of the file). The corresponding C function is
  /// `pread`.
  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileIOError)
    -> Int
  {
    try fill(buffer) { remaining, done in
      try descriptor.read(
        fromAbsoluteOffset: offset + Int64(done), into: remaining, retryOnInterrupt: true)
    }
  }

  private func fill(
    _ buffer: UnsafeMutableRawBufferPointer,
    _ readSome: (UnsafeMutableRawBufferPointer, Int) throws -> Int
  ) throws(FileIOError) -> Int {
    try calling(.read) { _ in
      var done = 0
      while done < buffer.count {
        let count = try readSome(UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), done)
        if count == 0 { break }
        done += count
      }
      return done
    }
  }

  /// Runs `body` on the open descriptor, reporting what it throws as a failure of `operation`.
  private func calling<Value>(
    _ operation: FileIOError.Operation, _ body: (FileDescriptor) throws -> Value
  ) throws(FileIOError) -> Value {
    precondition(!isClosed.load(ordering: .acquiring), "\(operation) \(path) after close()")
    do {
      return try body(descriptor)
    } catch {
      throw FileIOError(operation, path: path, errno: error as? Errno ?? .ioError)
    }
  }

  /// Everything from the current offset to the end of the file, read in chunks of 64 KiB.
  public func readToEnd() throws(FileIOError) -> [UInt8] {
    var bytes: [UInt8] = []
    if let size = try? status().size, size > 0 { bytes.reserveCapacity(Int(size)) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { chunk.deallocate() }
    while true {
      let count = try read(into: chunk)
      bytes.append(contentsOf: chunk[0..<count])
      if count < chunk.count { return bytes }
    }
  }

  /// Writes all of `bytes` at the current offset. The corresponding C function is `write`.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
    try calling(.write) { descriptor in
      var done = 0
      while done < bytes.count {
        done += try descriptor.write(
          UnsafeRawBufferPointer(rebasing: bytes[done...]), retryOnInterrupt: true)
      }
    }
  }

  /// Writes all of `bytes` at `offset`, without moving the file offset. The corresponding C function is
  /// `pwrite`.
  public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileIOError) {
    _ = try calling(.write) { try $0.writeAll(toAbsoluteOffset: offset, bytes) }
  }

  /// Cuts or extends the file to `size` bytes. The corresponding C function is `ftruncate`.
  public func resize(to size: Int64) throws(FileIOError) {
    try calling(.write) { try $0.resize(to: size, retryOnInterrupt: true) }
  }

  /// How much `copy(to:length:observe:)` moves at a time.
  public static let copyChunkSize = 1 << 20

  /// Copies `length` bytes (all to the end when nil) from the start of this file to the current offset of
  /// `target`, in bounded chunks; `observe` sees every chunk in order (to hash in the same pass). Returns
  /// the bytes copied: fewer than `length` only when this file ends first.
  public func copy(
    to target: OpenFile, length: Int64? = nil,
    observe: (UnsafeRawBufferPointer) -> Void = { _ in }
  ) throws(FileIOError) -> Int64 {
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: Self.copyChunkSize, alignment: 16)
    defer { buffer.deallocate() }
    var copied: Int64 = 0
    while copied < length ?? .max {
      let want = Int(min(Int64(buffer.count), (length ?? .max) - copied))
      let count = try read(
        into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: copied)
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
      observe(chunk)
      try target.write(chunk)
      copied += Int64(count)
      if count < want { break }
    }
    return copied
  }

  func flock(_ operation: Int32, wait: Bool) throws(FileIOError) {
    try calling(.lock) { try SystemCall.flock($0, operation, wait: wait).get() }
  }

  /// Writes all of `bytes` at the current offset.
  public func write(_ bytes: [UInt8]) throws(FileIOError) {
    try bytes.withUnsafeBytes { buffer in Result { () throws(FileIOError) in try write(buffer) } }
      .get()
  }

  /// Flushes the file's data and metadata to stable storage. The corresponding C function is `fsync`.
  public func sync() throws(FileIOError) {
    try calling(.sync) { try SystemCall.fsync($0).get() }
  }

  /// The file's type, size and modification time. The corresponding C function is `fstat`.
  public func status() throws(FileIOError) -> FileStatus {
    try calling(.status) { FileStatus(try $0.stat(retryOnInterrupt: true)) }
  }

  /// Sets the file's access and modification times to `milliseconds` since 1970-01-01 UTC.
  ///
  /// The corresponding C function is `futimens`.
  public func setModificationTime(milliseconds: Int64) throws(FileIOError) {
    try calling(.setModificationTime) {
      try SystemCall.setTimes($0, milliseconds: milliseconds).get()
    }
  }

  /// Closes the descriptor now, reporting the system's error (`deinit` would swallow it). Calling it twice
  /// is a bug. The descriptor is released even when an error is reported: never retry.
  ///
  /// The corresponding C function is `close`.
  public func close() throws(FileIOError) {
    let (exchanged, _) = isClosed.compareExchange(
      expected: false, desired: true, ordering: .acquiringAndReleasing)
    precondition(exchanged, "\(path) closed twice")
    do {
      try descriptor.close()
    } catch {
      throw FileIOError(.close, path: path, errno: error as? Errno ?? .ioError)
    }
  }
}

/// What `stat` tells about a file.
public struct FileStatus: Sendable, Hashable {
  /// Regular file, directory, symbolic link (only from `lstat`), ...
  public var type: FileType
  /// The size in bytes.
  public var size: Int64
  /// The modification time in milliseconds since 1970-01-01 UTC.
  public var modificationTime: Int64

  init(_ stat: Stat) {
    let time = stat.st_mtim
    type = stat.type
    size = stat.size
    modificationTime = Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
  }

  public var isDirectory: Bool { type == .directory }
  public var isRegularFile: Bool { type == .regular }
}
