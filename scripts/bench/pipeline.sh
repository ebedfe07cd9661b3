#!/usr/bin/env bash
# Pipeline benchmark (docs/benchmarks.md, "Pipeline"): a year of 15-minute readings (10 parameters, 5 devices)
# collected from the fake HydroVu server by a HydroVu resource and `pond run`, next to a plain Python
# collector (urllib + pyarrow) against the same server in the same run, the stored values checked equal;
# then the Reduce resource (1h/6h/1d), `pond site build` (size, files, heaviest first view), and one more day
# collected, reduced and rebuilt. About 40 seconds. Smaller runs: DAYS=30 scripts/bench/pipeline.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${POND_TEST_PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || { echo "pipeline.sh: $PYTHON not found (run make deps)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "pipeline.sh: /usr/bin/time is missing (Debian's time package)" >&2; exit 1; }
if [ -z "${POND_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product pond >/dev/null
  POND_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pond-pipeline-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" scripts/bench/pipeline.py --pond-bin "$POND_BIN" --work "$WORK" \
  --fake scripts/hydrovu/fake_hydrovu.py --days "${DAYS:-365}" --page-size "${PAGE_SIZE:-1000}" \
  --rounds "${ROUNDS:-3}"
