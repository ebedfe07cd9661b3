import Synchronization

/// What a write-if-absent did: losing a race is a result, not an error.
public enum PutIfAbsentResult: Sendable, Hashable {
  /// Nothing had the name; it now holds the new bytes.
  case created
  /// Something already had the name; it was left untouched and nothing was written.
  case alreadyExists
}

/// A new file written under a temporary name (`TemporaryName`) beside its final name, and given that name
/// only once complete: readers never see a partial file. Dropped unpublished, the temporary file is removed.
///
/// Publishing flushes the file (`fsync`), gives it its final name (`rename` replacing, or `link` if absent)
/// and flushes the directory, so the name survives a power cut. All calls block.
public final class PendingFile: Sendable {
  /// The name the file gets when published.
  public let destination: String
  /// Where the file is written until then.
  public let temporaryPath: String
  /// The open temporary file, for writing.
  public let file: OpenFile
  private let isFinished = Atomic<Bool>(false)

  /// Creates the temporary file in the directory of `destination`, which must exist.
  public init(publishingAs destination: String) throws(FileIOError) {
    self.destination = destination
    temporaryPath = TemporaryName.make(in: LocalFiles.parentDirectory(of: destination))
    file = try OpenFile(creatingAt: temporaryPath)
  }

  deinit {
    if !isFinished.load(ordering: .acquiring) { try? LocalFiles.remove(temporaryPath) }
  }

  /// Appends `bytes`.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) { try file.write(bytes) }

  /// Appends `bytes`.
  public func write(_ bytes: [UInt8]) throws(FileIOError) { try file.write(bytes) }

  /// Gives the file its final name, replacing what has it.
  ///
  /// - Parameters:
  ///   - modificationTime: milliseconds since 1970 to stamp on the file first.
  ///   - syncingDirectory: false leaves the directory's fsync to the caller (who publishes many files into
  ///     it and syncs it once); the file itself is still flushed when `durable`.
  public func publishReplacing(
    modificationTime: Int64? = nil, durable: Bool = true, syncingDirectory: Bool = true
  ) throws(FileIOError) {
    try finish(modificationTime: modificationTime, durable: durable)
    try LocalFiles.publishReplacing(
      temporaryPath, as: destination, durable: durable && syncingDirectory)
  }

  /// Gives the file its final name unless something already has it (then the new file is dropped).
  public func publishIfAbsent(modificationTime: Int64? = nil, durable: Bool = true)
    throws(FileIOError) -> PutIfAbsentResult
  {
    try finish(modificationTime: modificationTime, durable: durable)
    return try LocalFiles.publishIfAbsent(temporaryPath, as: destination, durable: durable)
  }

  /// Removes the temporary file now, unless it was published (then this does nothing). Dropping an
  /// unpublished file does the same, but only when its last reference goes, which another thread may hold.
  public func discard() {
    let (first, _) = isFinished.compareExchange(
      expected: false, desired: true, ordering: .acquiringAndReleasing)
    if first { try? LocalFiles.remove(temporaryPath) }
  }

  private func finish(modificationTime: Int64?, durable: Bool) throws(FileIOError) {
    let (first, _) = isFinished.compareExchange(
      expected: false, desired: true, ordering: .acquiringAndReleasing)
    precondition(first, "\(destination) published twice")
    do {
      if let modificationTime { try file.setModificationTime(milliseconds: modificationTime) }
      if durable { try file.sync() }
      try file.close()
    } catch {
      try? LocalFiles.remove(temporaryPath)
      throw error
    }
  }
}
