#!/usr/bin/env bash
# Parquet benchmark: the pond's writer/reader (ParquetBench, release build) against pyarrow on the same
# 1M sensor rows with the same settings (zstd level, no dictionary, v1 pages, page limits), in the same run.
# Usage: scripts/bench/parquet.sh [--rows N] [--level L]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=1000000
LEVEL=3
PAGE_ROWS=20000
PAGE_BYTES=1048576
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --level) LEVEL="$2"; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--level L]" >&2; exit 2 ;;
  esac
done
PYTHON="${POND_TEST_PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || { echo "parquet.sh: $PYTHON not found (run make deps)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

swift build -c release --static-swift-stdlib --product ParquetBench >&2
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/ParquetBench"
"$BIN" --rows "$ROWS" --dir "$WORK" --level "$LEVEL" --page-rows "$PAGE_ROWS" --page-bytes "$PAGE_BYTES" > "$WORK/swift.txt"
"$PYTHON" scripts/bench/parquet.py --source "$WORK/parquetbench-swift.parquet" --dir "$WORK" --level "$LEVEL" \
  --page-rows "$PAGE_ROWS" --page-bytes "$PAGE_BYTES" > "$WORK/pyarrow.txt"

"$PYTHON" - "$WORK/swift.txt" "$WORK/pyarrow.txt" "$LEVEL" <<'PY'
import os, sys
def load(path):
    return dict(line.strip().split("=", 1) for line in open(path) if "=" in line)
swift, arrow, level = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
rows = int(swift["rows"])
assert rows == int(arrow["rows"]), "row counts differ"
def figures(d):
    raw, size = int(d["raw_bytes"]), int(d["file_bytes"])
    w, r = float(d["write_seconds"]), float(d["read_seconds"])
    return {"write rows/s": rows / w, "write MB/s": raw / w / 1e6, "read rows/s": rows / r,
            "read MB/s": raw / r / 1e6, "file bytes": size, "compression ratio": raw / size}
s, a = figures(swift), figures(arrow)
print("Parquet benchmark: %d sensor rows (timestamp, station, 3 x int64), zstd level %s, PLAIN, v1 pages, "
      "no dictionary, no statistics; MB/s of PLAIN data; best of 3; pyarrow reads with use_threads=False" % (rows, level))
print("%-18s %16s %16s %14s" % ("metric", "swift", "pyarrow", "swift/pyarrow"))
for key in s:
    fmt = "%16.0f" if key != "compression ratio" else "%16.2f"
    print("%-18s " % key + fmt % s[key] + " " + fmt % a[key] + " %14.2f" % (s[key] / a[key]))
sys.stdout.flush()
os._exit(0)
PY
