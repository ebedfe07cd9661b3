public import PondZstd

/// How page bodies are compressed.
public struct ParquetCompression: Sendable, Hashable, CustomStringConvertible {
  enum Codec: Sendable, Hashable {
    case none, zstd
  }
  let codec: Codec
  let level: Int32

  /// No compression (codec UNCOMPRESSED).
  public static let none = ParquetCompression(codec: .none, level: 0)

  /// One zstd frame per page body (codec ZSTD).
  public static func zstd(level: Int32 = Zstd.defaultLevel) -> ParquetCompression {
    ParquetCompression(codec: .zstd, level: level)
  }

  var thriftCodec: Int32 { codec == .zstd ? 6 : 0 }

  public var description: String { codec == .zstd ? "zstd(level: \(level))" : "none" }
}

/// Settings of a `ParquetWriter`.
public struct ParquetWriterOptions: Sendable, Hashable {
  public var compression: ParquetCompression
  /// `FileMetaData.created_by`; readers key workarounds off this, so it names our writer.
  public var createdBy: String
  /// A page is closed once it holds this many rows (pyarrow's `max_rows_per_page` default is 20 000).
  public var maximumPageRows: Int
  /// A page is closed once its uncompressed body reaches this many bytes (about 1 MiB, as pyarrow).
  public var maximumPageBytes: Int
  /// Write the optional CRC-32 of each page.
  public var writesPageChecksums: Bool
  /// `fsync` the file in `finish()`, as a Delta data file must be durable before its commit.
  public var syncsOnFinish: Bool
  /// Finished pages held in memory (all columns together) before they are spilled to a temporary file
  /// next to the output. Together with the page limits, this bounds the writer's memory.
  public var spoolMemoryLimit: Int

  public init(
    compression: ParquetCompression = .zstd(), createdBy: String = "duckpond",
    maximumPageRows: Int = 20_000, maximumPageBytes: Int = 1 << 20,
    writesPageChecksums: Bool = false, syncsOnFinish: Bool = true, spoolMemoryLimit: Int = 16 << 20
  ) {
    precondition(maximumPageRows > 0 && maximumPageBytes > 0, "page limits must be positive")
    self.compression = compression
    self.createdBy = createdBy
    self.maximumPageRows = maximumPageRows
    self.maximumPageBytes = maximumPageBytes
    self.writesPageChecksums = writesPageChecksums
    self.syncsOnFinish = syncsOnFinish
    self.spoolMemoryLimit = spoolMemoryLimit
  }
}
