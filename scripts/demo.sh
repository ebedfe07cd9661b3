#!/usr/bin/env bash
# The main job, end to end, with nothing but a file:// remote under a demo folder:
#   a "station" pond takes sensor readings in several commits and pushes them to the remote;
#   a "lab" restores the remote; the station commits more and pushes; the lab pulls;
#   then, for every version, both sides are shown to read the same (listing, JSON rows and every file's
#   bytes, and SQL over a series of tables), and where the deltalake venv exists, deltalake reads the remote
#   at every version; agents push and follow; then the field pipeline: a HydroVu collector (against a fake
#   server on 127.0.0.1), a reduce and a site as resources of the station's pond, run by 'pond run', which
#   pushes; the lab pulls and builds the same site.
# The demo folder is removed at the end; KEEP=1 keeps it (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product pond >/dev/null
swift build --product pond-agent >/dev/null
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
  # The same day's temperatures as a table: converted to Parquet, its rows and time range recorded.
  pond copy --pond "$STATION" --table --series "$DEMO/readings/temperature.csv" /sensors/lake/temperature
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
pond copy --pond "$STATION" --table --series "$DEMO/readings/temperature.csv" /sensors/lake/temperature
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
say "SQL over the series of tables, on both sides, at every version"
daily="SELECT count(*) AS readings, substr(min(time), 1, 10) AS first_day, round(avg(value), 2) AS mean FROM t"
for version in $(seq 0 "$head"); do
  a=$(pond query --pond "$STATION" --at "$version" --format csv --table t=/sensors/lake/temperature "$daily" 2>/dev/null | tail -1 | tr -d '\r' || true)
  b=$(pond query --pond "$LAB" --at "$version" --format csv --table t=/sensors/lake/temperature "$daily" 2>/dev/null | tail -1 | tr -d '\r' || true)
  if [ "$a" = "$b" ]; then verdict="same"; else verdict="DIFFERENT"; failures=$((failures + 1)); fi
  printf 'version %2d  station %-28s  lab %-28s  %s\n' "$version" "${a:-(no table yet)}" "${b:-(no table yet)}" "$verdict"
done
pond describe --pond "$LAB" /sensors/lake/temperature | sed -n '1p;/rows/p'

if diff -r "$STATION/data" "$LAB/data" >/dev/null; then
  echo "station/data and lab/data are byte-identical"
else
  echo "station/data and lab/data DIFFER"; failures=$((failures + 1))
fi

if [ -x .venv/bin/python ] && .venv/bin/python -c 'import deltalake' 2>/dev/null; then
  say "deltalake reads the remote at every version"
  .venv/bin/python - "$REMOTE" <<'PY'
import os, sys
from deltalake import DeltaTable
path = sys.argv[1]
for version in range(DeltaTable(path).version() + 1):
    rows = DeltaTable(path, version=version).to_pyarrow_table().num_rows
    print(f"version {version:2d}  {rows} rows")
sys.stdout.flush()
os._exit(0)  # deltalake's runtime can abort while the interpreter exits; the answer is printed by then
PY
else
  echo "(no .venv with deltalake: 'make deps' installs it; skipping the deltalake check)"
fi

say "agents: the station's pushes every commit, the lab's follows the remote"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
STATION_PORT=$(free_port) LAB_PORT=$(free_port)
cat >"$DEMO/station.yaml" <<YAML
listen: 127.0.0.1:$STATION_PORT
ponds:
  - path: $STATION
    push:
      - remote: bucket
        onCommit: true
        rpo: 30s
YAML
cat >"$DEMO/lab.yaml" <<YAML
listen: 127.0.0.1:$LAB_PORT
ponds:
  - path: $LAB
    follow:
      remote: origin
      interval: 500ms
      rpo: 30s
YAML
pond agent --check-config "$DEMO/station.yaml" && pond agent --check-config "$DEMO/lab.yaml"
"$POND_BIN" agent --config "$DEMO/station.yaml" >/dev/null 2>"$DEMO/station-agent.log" &
STATION_AGENT=$!
"$POND_BIN" agent --config "$DEMO/lab.yaml" >/dev/null 2>"$DEMO/lab-agent.log" &
LAB_AGENT=$!
stop_agents() {
  for pid in "$STATION_AGENT" "$LAB_AGENT"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$STATION_AGENT" "$LAB_AGENT"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop_agents; finish' EXIT
for day in 4 5 6; do
  pond copy --pond "$STATION" --series "$(reading "$day" temperature)" /sensors/lake
  committed=$(date +%s.%N)
  target=$(pond log --pond "$STATION" | tail -1 | cut -f1)
  for _ in $(seq 1 200); do
    [ "$(pond log --pond "$LAB" | tail -1 | cut -f1)" = "$target" ] && break
    sleep 0.1
  done
  if [ "$(pond log --pond "$LAB" | tail -1 | cut -f1)" = "$target" ]; then
    printf 'version %s reached the lab %.1f s after its commit, with no command run\n' "$target" \
      "$(echo "$(date +%s.%N) - $committed" | bc -l)"
  else
    echo "version $target did NOT reach the lab within 20 s (logs: $DEMO/*-agent.log)"; failures=$((failures + 1))
  fi
done
echo "station /healthz: $(curl -s "http://127.0.0.1:$STATION_PORT/healthz")"
echo "lab /metrics (a few lines):"
curl -s "http://127.0.0.1:$LAB_PORT/metrics" | grep -v '^#' | grep -E 'head|behind|lag' | head -6
stop_agents

say "field pipeline: HydroVu (a fake server on 127.0.0.1), reduce and site as resources, pond run, then the lab"
python3 scripts/hydrovu/fake_hydrovu.py --devices 2 --parameters 3 --start 1767225600 --end 1767830400 \
  --page-size 500 >"$DEMO/hydrovu.out" 2>"$DEMO/hydrovu.log" &
HYDROVU=$!
trap 'kill "$HYDROVU" 2>/dev/null || true; stop_agents; finish' EXIT
for _ in $(seq 1 50); do [ -s "$DEMO/hydrovu.out" ] && break; sleep 0.1; done
HYDROVU_PORT=$(head -1 "$DEMO/hydrovu.out")
cat >"$DEMO/pipeline.yaml" <<YAML
kind: HydroVu
name: lake
spec:
  base_url: http://127.0.0.1:$HYDROVU_PORT
  client_id: \${env:HYDROVU_CLIENT_ID}
  client_secret: \${env:HYDROVU_CLIENT_SECRET}
  directory: /hydrovu
  start: 2026-01-01T00:00:00Z
  devices:
    - id: 100
      name: north
      scope: probe
    - id: 101
      name: south
      scope: probe
---
kind: Reduce
name: summaries
spec:
  reduce:
    input: /hydrovu/*/readings
    output: /reduced/\$1
    resolutions: [1h, 6h, 1d]
  columns:
    probe.Temperature.C: [avg, min, max]
    probe.Depth.m: [avg, min, max]
---
kind: Site
name: web
spec:
  out: $DEMO/station-site
  title: Lake stations
  series: /reduced/*
  info: /hydrovu/\$1/device.json
YAML
pond apply --pond "$STATION" -f "$DEMO/pipeline.yaml"
HYDROVU_CLIENT_ID=test-client HYDROVU_CLIENT_SECRET=test-secret pond run --pond "$STATION"
kill "$HYDROVU"; wait "$HYDROVU" 2>/dev/null || true
pond pull --pond "$LAB"
head=$(pond log --pond "$STATION" | tail -1 | cut -f1)
pond site build --pond "$LAB" --title "Lake stations" --series '/reduced/*' --info '/hydrovu/$1/device.json' \
  "$DEMO/lab-site"
if diff -r "$DEMO/station-site" "$DEMO/lab-site" >/dev/null; then
  echo "the station's site (its Site resource) and the lab's (pond site build at version $head) are byte-identical:"
  echo "  $(find "$DEMO/lab-site" -type f | wc -l) files, $(du -sh "$DEMO/lab-site" | cut -f1); open $DEMO/lab-site/index.html (KEEP=1)"
else
  echo "the station's and the lab's sites DIFFER"; failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "demo FAILED: $failures difference(s)"; KEEP=1; exit 1
fi
say "done: the station's history, restored and followed by the lab, reads the same on both"
