internal import CSnappy
internal import CZlib
import PondZstd

/// The compression codecs the reader accepts (parquet.thrift `CompressionCodec`), each decompressing one
/// page body (or a v2 page's values) to exactly the size its header declares.
enum PageCodec: Int32, Sendable, CustomStringConvertible {
  case uncompressed = 0
  case snappy = 1
  case gzip = 2
  case zstd = 6

  /// The thrift name of any codec number, for errors.
  static func name(of codec: Int32) -> String {
    let names = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]
    return names.indices.contains(Int(codec)) ? names[Int(codec)] : "unknown"
  }

  var description: String { Self.name(of: rawValue) }

  /// Decompresses `input` into exactly `size` bytes.
  /// - Throws: the reason, when the input is not a valid stream of this codec or holds another size.
  func decompress(_ input: UnsafeRawBufferPointer, size: Int) throws(PageCodecError) -> [UInt8] {
    switch self {
    case .uncompressed:
      guard input.count == size else {
        throw PageCodecError("uncompressed page sizes differ (\(size) vs \(input.count))")
      }
      return Array(input)
    case .snappy: return try Snappy.decompress(input, size: size)
    case .gzip: return try Gzip.decompress(input, size: size)
    case .zstd:
      let body: [UInt8]
      do {
        body = try Zstd.decompress(input, maxOutputSize: size)
      } catch {
        throw PageCodecError("zstd page does not decompress: \(error)")
      }
      guard body.count == size else {
        throw PageCodecError("decompressed to \(body.count) bytes, header says \(size)")
      }
      return body
    }
  }
}

/// Why a page did not decompress; the reader adds the file and the page.
struct PageCodecError: Error, Sendable {
  let reason: String
  init(_ reason: String) { self.reason = reason }
}

/// libsnappy's raw block format (Parquet's SNAPPY: one block per page, no framing).
enum Snappy {
  /// The corresponding C functions are `snappy_uncompressed_length` and `snappy_uncompress`.
  static func decompress(_ input: UnsafeRawBufferPointer, size: Int) throws(PageCodecError)
    -> [UInt8]
  {
    guard let base = input.baseAddress?.assumingMemoryBound(to: CChar.self) else {
      throw PageCodecError("empty snappy block")
    }
    var length = 0
    guard snappy_uncompressed_length(base, input.count, &length) == SNAPPY_OK else {
      throw PageCodecError("snappy block has an invalid length header")
    }
    guard length == size else {
      throw PageCodecError("snappy block holds \(length) bytes, header says \(size)")
    }
    var produced = size
    // One spare byte, so that even an empty page has an output address.
    var output = [UInt8](repeating: 0, count: size + 1)
    let status = output.withUnsafeMutableBytes { buffer in
      snappy_uncompress(
        base, input.count, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), &produced)
    }
    guard status == SNAPPY_OK else { throw PageCodecError("snappy block is corrupt") }
    guard produced == size else {
      throw PageCodecError("snappy block decompressed to \(produced) bytes, header says \(size)")
    }
    output.removeLast()
    return output
  }
}

/// zlib's inflate over gzip members (Parquet's GZIP, RFC 1952); a zlib header is accepted too.
enum Gzip {
  /// The corresponding C functions are `inflateInit2`, `inflate` and `inflateEnd`.
  static func decompress(_ input: UnsafeRawBufferPointer, size: Int) throws(PageCodecError)
    -> [UInt8]
  {
    guard input.count <= Int(UInt32.max), size <= Int(UInt32.max) else {
      throw PageCodecError("gzip page of \(input.count) bytes is too large")
    }
    let inflater = try Inflater()
    let stream = inflater.stream
    // One spare byte: inflate wants an output address even for an empty page (and never gets to use it).
    var output = [UInt8](repeating: 0, count: size + 1)
    var failure: PageCodecError?
    output.withUnsafeMutableBytes { out in
      stream.pointee.next_in = UnsafeMutablePointer(
        mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.pointee.avail_in = uInt(input.count)
      stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = uInt(size)
      while true {
        let status = inflate(stream, Z_NO_FLUSH)
        switch status {
        case Z_STREAM_END:
          // A gzip file may hold several members; anything else after one is corrupt.
          if stream.pointee.avail_in == 0 { return }
          guard inflateReset(stream) == Z_OK else {
            failure = PageCodecError("gzip page: inflateReset failed")
            return
          }
        case Z_OK:
          continue
        case Z_BUF_ERROR:
          failure = PageCodecError(
            stream.pointee.avail_out == 0
              ? "gzip page decompresses to more than the \(size) bytes its header says"
              : "gzip page is truncated")
          return
        default:
          let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
          failure = PageCodecError("gzip page is corrupt: \(message)")
          return
        }
      }
    }
    if let failure { throw failure }
    let produced = size - Int(stream.pointee.avail_out)
    guard produced == size else {
      throw PageCodecError("gzip page decompressed to \(produced) bytes, header says \(size)")
    }
    output.removeLast()
    return output
  }

  /// The one owner of a `z_stream`, on the heap because zlib's state points back at it (it must not move).
  private final class Inflater {
    let stream: UnsafeMutablePointer<z_stream>

    init() throws(PageCodecError) {
      stream = .allocate(capacity: 1)
      stream.initialize(to: z_stream())
      // 15: the largest window; +32: detect a gzip or zlib header.
      // On failure deinit still runs (every property is set), and inflateEnd of a failed stream is a no-op.
      guard pond_inflate_init2(stream, 15 + 32) == Z_OK else {
        throw PageCodecError("zlib inflateInit2 failed (out of memory?)")
      }
    }

    deinit {
      inflateEnd(stream)
      stream.deallocate()
    }
  }
}
