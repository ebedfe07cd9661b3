#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The real-time clock, the source of node-id timestamps and transaction times.
enum WallClock {
  /// Microseconds since the Unix epoch (UTC).
  static func microsecondsSinceEpoch() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
  }
}
