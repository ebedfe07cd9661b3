import PondCrypto
import PondFiles

/// Plain Parquet copies of large table versions in `$POND/local/tables/sha256=<hex>.parquet`.
///
/// A Parquet reader seeks (the footer is at the end), which a zstd frame in `_large_files` does not allow;
/// each large version is decompressed here the first time it is read, its SHA-256 checked, and published
/// atomically. The directory is derived state, like the index: deleting it costs only the next read.
struct TableCache {
  static let directory = "tables"
  let pondRoot: String

  /// The path of the plain copy of `part`, made now when it is missing or not of the right size.
  func path(of part: TableVersion, in largeFiles: LargeFiles) throws -> String {
    let directory = pondRoot + "/" + PondLayout.localDirectory + "/" + Self.directory
    let path = directory + "/sha256=" + part.sha256 + ".parquet"
    if let status = try? LocalFiles.status(path), status.size == part.size { return path }
    try HostIO.converting {
      if try LocalFiles.status(directory) == nil { _ = try LocalFiles.makeDirectory(directory) }
    }
    let pending = try HostIO.converting { try PendingFile(publishingAs: path) }
    // LargeFiles.stream checks the size and SHA-256 of what it hands over before it returns.
    try largeFiles.stream(sha256: part.sha256, expectedSize: part.size) { chunk in
      try HostIO.converting { try pending.write(chunk) }
    }
    try HostIO.converting { try pending.publishReplacing(durable: false, syncingDirectory: false) }
    return path
  }
}
