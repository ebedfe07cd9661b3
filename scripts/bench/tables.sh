#!/usr/bin/env bash
# Tables benchmark (docs/benchmarks.md, "Tables"): a series of ten years of 30-second readings (6 double
# columns, about 10.5 million rows) ingested from monthly CSV files, queried and reduced by pond, next to
# DuckDB (single-threaded and default) and the sqlite3 CLI on the same data, in the same run, with peak RSS.
# Smaller runs: YEARS=1 scripts/bench/tables.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${POND_TEST_PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || { echo "tables.sh: $PYTHON not found (run make deps)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "tables.sh: the sqlite3 CLI is missing (run make deps)" >&2; exit 1; }
if [ -z "${POND_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product pond >/dev/null
  POND_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pond-tables-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" scripts/bench/tables.py --pond-bin "$POND_BIN" --work "$WORK" --years "${YEARS:-10}"
