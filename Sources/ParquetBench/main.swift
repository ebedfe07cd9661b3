// ParquetBench: writes and reads a sensor-like table (timestamp, station, three int64 readings) with the
// pond's Parquet writer and reader, and prints key=value figures for scripts/bench/parquet.sh, which runs
// pyarrow on the very same rows (scripts/bench/parquet.py) and prints the comparison.
import Foundation
import Parquet

struct Settings {
  var rows = 1_000_000
  var directory = FileManager.default.temporaryDirectory.path
  var level: Int32 = 3
  var pageRows = 20_000
  var pageBytes = 1 << 20
  var repeats = 3

  init(_ arguments: [String]) {
    var iterator = arguments.dropFirst().makeIterator()
    while let flag = iterator.next() {
      guard let value = iterator.next() else { Self.usage("missing value for \(flag)") }
      if flag == "--dir" {
        directory = value
        continue
      }
      guard let number = Int(value), number > 0 else { Self.usage("bad value for \(flag)") }
      switch flag {
      case "--rows": rows = number
      case "--level": level = Int32(number)
      case "--page-rows": pageRows = number
      case "--page-bytes": pageBytes = number
      case "--repeats": repeats = number
      default: Self.usage("unknown flag \(flag)")
      }
    }
  }

  static func usage(_ message: String) -> Never {
    FileHandle.standardError.write(
      Data(
        "ParquetBench: \(message)\nusage: ParquetBench [--rows N] [--dir DIR] [--level L] [--page-rows N] [--page-bytes N] [--repeats N]\n"
          .utf8))
    exit(2)
  }
}

/// Deterministic sensor rows: 20 stations reporting every minute, readings from a SplitMix64 stream.
func sensorColumns(rows: Int) -> [ParquetColumnData] {
  var timestamps: [Int64] = []
  var stations = ParquetByteArrays()
  var temperature: [Int64] = []
  var humidity: [Int64] = []
  var pressure: [Int64] = []
  timestamps.reserveCapacity(rows)
  temperature.reserveCapacity(rows)
  humidity.reserveCapacity(rows)
  pressure.reserveCapacity(rows)
  stations.reserveCapacity(count: rows, byteCount: rows * 10)
  let names = (0..<20).map { "station-\($0 < 10 ? "0" : "")\($0)" }
  var state: UInt64 = 0x5EED
  for row in 0..<rows {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    timestamps.append(1_717_243_200_000_000 + Int64(row / 20) * 60_000_000 + Int64(z % 1000))
    stations.append(names[row % 20])
    temperature.append(150 + Int64(z % 200))
    humidity.append(30 + Int64((z >> 16) % 70))
    pressure.append(100_325 + Int64((z >> 32) % 2000))
  }
  return [
    ParquetColumnData(values: .int64(timestamps)),
    ParquetColumnData(values: .byteArray(stations)),
    ParquetColumnData(values: .int64(temperature)),
    ParquetColumnData(values: .int64(humidity)),
    ParquetColumnData(values: .int64(pressure)),
  ]
}

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let settings = Settings(CommandLine.arguments)
let schema = try ParquetSchema([
  ParquetColumn(name: "timestamp", type: .timestamp, nullable: false),
  ParquetColumn(name: "station", type: .string, nullable: false),
  ParquetColumn(name: "temperature", type: .int64, nullable: false),
  ParquetColumn(name: "humidity", type: .int64, nullable: false),
  ParquetColumn(name: "pressure", type: .int64, nullable: false),
])
let columns = sensorColumns(rows: settings.rows)
// PLAIN-encoded size of the data: what "MB/s" and the compression ratio are measured against.
var rawBytes = settings.rows * 8 * 4
if case .byteArray(let stations) = columns[1].values {
  rawBytes += stations.bytes.count + 4 * stations.count
}

let options = ParquetWriterOptions(
  compression: .zstd(level: settings.level), maximumPageRows: settings.pageRows,
  maximumPageBytes: settings.pageBytes, syncsOnFinish: false)
let path = settings.directory + "/parquetbench-swift.parquet"
let clock = ContinuousClock()
var bestWrite = Double.infinity
var bestRead = Double.infinity
var summary: ParquetFileSummary?
for _ in 0..<settings.repeats {
  try? FileManager.default.removeItem(atPath: path)
  let elapsed = try clock.measure {
    summary = try ParquetWriter.write(
      path: path, schema: schema, columns: columns, options: options)
  }
  bestWrite = min(bestWrite, seconds(elapsed))
}
var readBack: [ParquetColumnData] = []
for _ in 0..<settings.repeats {
  let elapsed = try clock.measure {
    readBack = try ParquetReader(path: path).readAllColumns()
  }
  bestRead = min(bestRead, seconds(elapsed))
}
guard readBack == columns else {
  FileHandle.standardError.write(
    Data("ParquetBench: the file read back differs from what was written\n".utf8))
  exit(1)
}
print("path=\(path)")
print("rows=\(settings.rows)")
print("raw_bytes=\(rawBytes)")
print("file_bytes=\(summary!.size)")
print("write_seconds=\(bestWrite)")
print("read_seconds=\(bestRead)")
