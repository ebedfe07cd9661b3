internal import CZstd

/// Streaming, bounded zstd decompression: owns one `ZSTD_DCtx` (freed in `deinit`) and decodes with
/// `ZSTD_decompressStream`, chunk by chunk.
///
/// A stream is one or more concatenated frames (skippable frames are ignored). The decompressor
/// refuses to produce more than `maxOutputSize` bytes per stream, so a small malicious input cannot
/// exhaust memory or disk, and `finish` detects a stream that ends inside a frame. `finish` and
/// every thrown error reset it for the next stream. Not `Sendable`: the context is mutable C state
/// used by one task at a time.
public final class ZstdDecompressor {
  /// The most bytes one stream may produce.
  public private(set) var maxOutputSize: Int
  /// Bytes produced so far by the current stream.
  public private(set) var totalOutput = 0
  private let context: OpaquePointer
  private let staging: UnsafeMutableRawBufferPointer
  private var sawInput = false
  private var insideFrame = false

  /// Creates a decompressor (`ZSTD_createDCtx`) whose streams may produce at most `maxOutputSize`
  /// bytes.
  public init(maxOutputSize: Int) throws {
    precondition(maxOutputSize >= 0, "maxOutputSize must not be negative")
    guard let context = ZSTD_createDCtx() else {
      throw ZstdError(
        code: Int(ZSTD_error_memory_allocation.rawValue), message: "ZSTD_createDCtx failed")
    }
    self.maxOutputSize = maxOutputSize
    self.context = context
    self.staging = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
  }

  deinit {
    ZSTD_freeDCtx(context)
    staging.deallocate()
  }

  /// Decodes from `input` into `output` (`ZSTD_decompressStream`).
  ///
  /// Call again with `input[bytesRead...]` while input remains, and also while the output came back
  /// full (zstd may hold decoded bytes it could not place yet).
  ///
  /// - Throws: `ZstdError` for corrupt input or when the stream would exceed `maxOutputSize`; the
  ///   decompressor is then reset.
  public func decompress(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  )
    throws -> ZstdProgress
  {
    precondition(output.count > 0, "ZstdDecompressor.decompress needs a non-empty output buffer")
    // Offer zstd at most one byte more than the bound allows, so overflow is seen, not hidden.
    let remaining = maxOutputSize - totalOutput
    let window = remaining < output.count ? remaining + 1 : output.count
    var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
    var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: window, pos: 0)
    let hint: Int
    do {
      hint = try ZstdError.check(ZSTD_decompressStream(context, &outBuffer, &inBuffer))
    } catch {
      reset()
      throw error
    }
    if inBuffer.pos > 0 || outBuffer.pos > 0 {
      sawInput = sawInput || inBuffer.pos > 0
      // 0 means a frame was fully decoded and flushed: the stream may end here.
      insideFrame = hint != 0
    }
    totalOutput += outBuffer.pos
    if totalOutput > maxOutputSize {
      let limit = maxOutputSize
      reset()
      throw ZstdError.outputLimitExceeded(limit)
    }
    return ZstdProgress(bytesRead: inBuffer.pos, bytesWritten: outBuffer.pos)
  }

  /// Decodes all of `input`, handing decoded bytes to `sink` in chunks of at most
  /// `ZSTD_DStreamOutSize()` bytes (the buffer passed to `sink` is only valid during the call).
  public func decompress(
    _ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var offset = 0
    var outputWasFull = false
    repeat {
      let progress = try decompress(
        UnsafeRawBufferPointer(rebasing: input[offset...]), into: staging)
      offset += progress.bytesRead
      outputWasFull = progress.bytesWritten == staging.count
      if progress.bytesWritten > 0 {
        do {
          try sink(UnsafeRawBufferPointer(rebasing: staging[0..<progress.bytesWritten]))
        } catch {
          reset()
          throw error
        }
      }
    } while offset < input.count || outputWasFull
  }

  /// Ends the stream: checks that it held at least one frame and did not stop inside one, then
  /// resets the decompressor for the next stream.
  ///
  /// - Returns: the number of bytes the stream produced.
  /// - Throws: `ZstdError` with `isTruncated` when the input was empty or ended inside a frame.
  @discardableResult
  public func finish() throws -> Int {
    let total = totalOutput
    let empty = !sawInput
    let truncated = insideFrame
    reset()
    if empty {
      throw ZstdError.truncated("the input holds no zstd frame (it is empty)")
    }
    if truncated {
      throw ZstdError.truncated(
        "the input ends inside a zstd frame (truncated after \(total) decoded bytes)")
    }
    return total
  }

  /// Decodes everything `read` yields, handing decoded bytes to `write`, in bounded chunks, then
  /// calls `finish`.
  ///
  /// `read` fills the buffer it is given and returns how many bytes it placed there, 0 at the end.
  /// `write` sees every decoded byte exactly once, in order, so it can hash them in the same pass.
  public func decompressStream(
    chunkSize: Int = Zstd.defaultChunkSize,
    read: (UnsafeMutableRawBufferPointer) throws -> Int,
    write: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> ZstdStreamSummary {
    precondition(chunkSize > 0, "chunkSize must be positive")
    let input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { input.deallocate() }
    var compressed = 0
    do {
      while true {
        let count = try read(input)
        precondition(
          count >= 0 && count <= chunkSize, "read returned \(count) for a \(chunkSize)-byte buffer")
        if count == 0 { break }
        compressed += count
        try decompress(UnsafeRawBufferPointer(rebasing: input[0..<count]), to: write)
      }
    } catch {
      reset()
      throw error
    }
    let raw = try finish()
    return ZstdStreamSummary(rawBytes: raw, compressedBytes: compressed)
  }

  /// Abandons the current stream (`ZSTD_DCtx_reset`, session only) and optionally changes the bound.
  public func reset(maxOutputSize: Int? = nil) {
    if let maxOutputSize {
      precondition(maxOutputSize >= 0, "maxOutputSize must not be negative")
      self.maxOutputSize = maxOutputSize
    }
    _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
    totalOutput = 0
    sawInput = false
    insideFrame = false
  }
}

@available(
  *, unavailable, message: "a ZstdDecompressor is mutable C state used by one task at a time"
)
extension ZstdDecompressor: Sendable {}
