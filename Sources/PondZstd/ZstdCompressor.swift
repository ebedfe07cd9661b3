internal import CZstd

/// How far one decoding call got: bytes taken from the input and bytes placed in the output.
public struct ZstdProgress: Sendable, Equatable {
  public var bytesRead: Int
  public var bytesWritten: Int
}

/// The sizes of one streamed pass: raw (uncompressed) bytes and compressed bytes.
public struct ZstdStreamSummary: Sendable, Equatable {
  public var rawBytes: Int
  public var compressedBytes: Int
}

/// Streaming zstd compression: owns one `ZSTD_CCtx` (freed in `deinit`) and produces frames chunk by
/// chunk with `ZSTD_compressStream2`, so memory does not grow with the data.
///
/// Feed a frame's data with `compress`, end it with `finishFrame`; the next `compress` starts a new
/// frame with the same settings. Frames carry zstd's content checksum unless disabled, so corruption
/// is detected on decompression. After a thrown error the frame in progress is discarded and the
/// compressor is ready for a new frame. Not `Sendable`: the context is mutable C state used by one
/// task at a time.
public final class ZstdCompressor {
  /// The compression level (`ZSTD_c_compressionLevel`).
  public let level: Int32
  private let context: OpaquePointer
  /// Output staging for the closure-based methods, allocated once.
  private let staging: UnsafeMutableRawBufferPointer

  /// Creates a compressor (`ZSTD_createCCtx`).
  ///
  /// - Parameters:
  ///   - level: between `Zstd.minimumLevel` and `Zstd.maximumLevel`; 1 is fastest.
  ///   - checksum: append a content checksum to each frame (`ZSTD_c_checksumFlag`).
  /// - Throws: `ZstdError` when the level is out of range or the context cannot be allocated.
  public init(level: Int32 = Zstd.defaultLevel, checksum: Bool = true) throws {
    guard (Zstd.minimumLevel...Zstd.maximumLevel).contains(level) else {
      throw ZstdError(
        code: Int(ZSTD_error_parameter_outOfBound.rawValue),
        message:
          "compression level \(level) is outside \(Zstd.minimumLevel)...\(Zstd.maximumLevel)")
    }
    guard let context = ZSTD_createCCtx() else {
      throw ZstdError(
        code: Int(ZSTD_error_memory_allocation.rawValue), message: "ZSTD_createCCtx failed")
    }
    do {
      _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
      _ = try ZstdError.check(
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, checksum ? 1 : 0))
    } catch {
      ZSTD_freeCCtx(context)
      throw error
    }
    self.level = level
    self.context = context
    self.staging = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
  }

  deinit {
    ZSTD_freeCCtx(context)
    staging.deallocate()
  }

  /// Compresses all of `input`, handing compressed bytes to `sink` in chunks of at most
  /// `ZSTD_CStreamOutSize()` bytes (the buffer passed to `sink` is only valid during the call).
  public func compress(
    _ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
    repeat {
      var outBuffer = ZSTD_outBuffer(dst: staging.baseAddress, size: staging.count, pos: 0)
      try step(&outBuffer, &inBuffer, ZSTD_e_continue)
      try emit(outBuffer.pos, to: sink)
    } while inBuffer.pos < inBuffer.size
  }

  /// Ends the current frame, handing the remaining compressed bytes to `sink`.
  public func finishFrame(to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    var remaining = 0
    repeat {
      var outBuffer = ZSTD_outBuffer(dst: staging.baseAddress, size: staging.count, pos: 0)
      remaining = try step(&outBuffer, &inBuffer, ZSTD_e_end)
      try emit(outBuffer.pos, to: sink)
    } while remaining != 0
  }

  /// Abandons the frame in progress, if any (`ZSTD_CCtx_reset`, session only); settings are kept.
  public func discardFrame() {
    _ = ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
  }

  @discardableResult
  private func step(
    _ outBuffer: inout ZSTD_outBuffer, _ inBuffer: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective
  ) throws -> Int {
    do {
      return try ZstdError.check(ZSTD_compressStream2(context, &outBuffer, &inBuffer, mode))
    } catch {
      discardFrame()
      throw error
    }
  }

  private func emit(_ count: Int, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    guard count > 0 else { return }
    do {
      try sink(UnsafeRawBufferPointer(rebasing: staging[0..<count]))
    } catch {
      discardFrame()
      throw error
    }
  }
}

@available(
  *, unavailable, message: "a ZstdCompressor is mutable C state used by one task at a time"
)
extension ZstdCompressor: Sendable {}
