#!/usr/bin/env bash
# The main job, end to end, with nothing but a file:// remote under a demo folder:
#   a "station" pond takes sensor readings in several commits and pushes them to the remote;
#   a "lab" restores the remote; the station commits more and pushes; the lab pulls;
#   then, for every version, both sides are shown to read the same (listing, JSON rows and every file's
#   bytes), and where the deltalake venv exists, deltalake reads the remote at every version.
# The demo folder is removed at the end; KEEP=1 keeps it (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product pond >/dev/null
POND_BIN="$(swift build --show-bin-path)/pond"
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/pond-demo.XXXXXX")
finish() {
  if [ "${KEEP:-0}" = 1 ]; then echo "demo files kept in $DEMO"; else rm -rf "$DEMO"; fi
}
trap finish EXIT
pond() { "$POND_BIN" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
STATION="$DEMO/station" LAB="$DEMO/lab" REMOTE="$DEMO/bucket"
mkdir -p "$REMOTE" "$DEMO/readings"

# Sensor-like readings: one CSV per sensor per "day", and a large raw file.
reading() {  # day sensor
  local file="$DEMO/readings/$2.csv"
  echo "time,value" >"$file"
  for hour in $(seq -w 0 23); do echo "2026-12-0$1T$hour:00:00Z,$(( (RANDOM % 400) + 100 )).$((RANDOM % 10))"; done >>"$file"
  echo "$file"
}

say "station: a new pond and two days of readings"
pond init --pond "$STATION" --birthplace station-7
pond mkdir --pond "$STATION" -p /sensors/lake
for day in 1 2; do
  pond copy --pond "$STATION" --series "$(reading "$day" temperature)" "$(reading "$day" oxygen)" /sensors/lake
done
head -c 300000 /dev/urandom >"$DEMO/readings/raw-sonar.bin"
pond copy --pond "$STATION" "$DEMO/readings/raw-sonar.bin" /sensors/lake/sonar.bin

say "station: push every commit to file://$REMOTE"
pond remote add --pond "$STATION" bucket "file://$REMOTE"
pond push --pond "$STATION"

say "lab: restore the pond from the remote (a read-only replica)"
pond restore --pond "$LAB" "file://$REMOTE"

say "station: a third day of readings, pushed; lab: pull"
pond copy --pond "$STATION" --series "$(reading 3 temperature)" "$(reading 3 oxygen)" /sensors/lake
pond push --pond "$STATION"
pond pull --pond "$LAB"
pond verify --pond "$STATION"

say "both sides read the same at every version"
head=$(pond log --pond "$STATION" | tail -1 | cut -f1)
fingerprint() {  # pond version: the listing, the rows, and every file's bytes, hashed
  {
    pond list --pond "$1" -l --at "$2" '/**'
    pond show --pond "$1" --at "$2" --json
    for path in $(pond list --pond "$1" --at "$2" '/**'); do
      pond cat --pond "$1" --at "$2" "$path" 2>/dev/null || true
    done
  } | sha256sum | cut -c1-16
}
failures=0
for version in $(seq 0 "$head"); do
  a=$(fingerprint "$STATION" "$version") b=$(fingerprint "$LAB" "$version")
  if [ "$a" = "$b" ]; then verdict="same"; else verdict="DIFFERENT"; failures=$((failures + 1)); fi
  printf 'version %2d  station %s  lab %s  %s\n' "$version" "$a" "$b" "$verdict"
done
if diff -r "$STATION/data" "$LAB/data" >/dev/null; then
  echo "station/data and lab/data are byte-identical"
else
  echo "station/data and lab/data DIFFER"; failures=$((failures + 1))
fi

if [ -x .venv/bin/python ] && .venv/bin/python -c 'import deltalake' 2>/dev/null; then
  say "deltalake reads the remote at every version"
  .venv/bin/python - "$REMOTE" <<'PY'
import sys
from deltalake import DeltaTable
path = sys.argv[1]
for version in range(DeltaTable(path).version() + 1):
    rows = DeltaTable(path, version=version).to_pyarrow_table().num_rows
    print(f"version {version:2d}  {rows} rows")
PY
else
  echo "(no .venv with deltalake: 'make deps' installs it; skipping the deltalake check)"
fi

if [ "$failures" -ne 0 ]; then
  echo "demo FAILED: $failures difference(s)"; KEEP=1; exit 1
fi
say "done: the station's history, restored and followed by the lab, reads the same on both"
