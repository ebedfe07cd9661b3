#!/usr/bin/env bash
# Replication benchmark: pond push / restore against restic backup / restore on the same data, with rclone copy
# as the raw-transfer peer, to a local directory and to S3 servers on 127.0.0.1 (moto always; Ceph's RADOS
# Gateway when scripts/ceph/with-rgw.sh can start it). Then: peak RSS of push, restore and pull of a pond
# holding a 1 GiB file; what a 1 KiB series append sends; the requests of an idle push and of a one-version
# push on a long history; a restore of that history. Every restore is compared byte for byte.
# Sizes can be lowered for a quick run:
#   CSV_FILES=50 CSV_MIB=4 SMALL_FILES=5000 BIG_MIB=1024 SERIES_MIB=100 VERSIONS=10000 scripts/bench/replication.sh
# and parts chosen: PARTS="set big history" (the default: all three).
set -euo pipefail
cd "$(dirname "$0")/../.."
CSV_FILES=${CSV_FILES:-50}
CSV_MIB=${CSV_MIB:-4}
SMALL_FILES=${SMALL_FILES:-5000}
BIG_MIB=${BIG_MIB:-1024}
SERIES_MIB=${SERIES_MIB:-100}
VERSIONS=${VERSIONS:-10000}
PARTS=${PARTS:-set big history}
want() { [[ " $PARTS " == *" $1 "* ]]; }

# The peers, from Debian, installed by the bench's own setup.
missing=()
for tool in restic rclone; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)" >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -z "${POND_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product pond >/dev/null
  POND_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
fi

# The S3 servers: this script re-runs itself inside them (moto always, RGW when it starts).
if [ -z "${POND_BENCH_INSIDE:-}" ]; then
  export POND_BENCH_INSIDE=1 POND_BIN POND_RGW_OPTIONAL=1
  if [ -x scripts/ceph/with-rgw.sh ]; then
    exec scripts/s3/with-s3-server.sh scripts/ceph/with-rgw.sh "$0"
  fi
  exec scripts/s3/with-s3-server.sh "$0"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-replication.XXXXXX")
source scripts/s3/counting-proxy.sh
cleanup() {
  stop_counting_proxy
  rm -rf "$WORK"
}
trap cleanup EXIT
pond() { "$POND_BIN" "$@"; }
measure() {  # runs the command; prints "seconds maxrss_kib"
  /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || {
    cat "$WORK/stderr.txt" >&2
    return 1
  }
  cat "$WORK/time.txt"
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
mbs() { echo "$1 / 1000000 / $2" | bc -l | xargs printf '%.1f'; }
same_tree() { diff -r "$1" "$2" >/dev/null || { echo "bench: $3 differs from the source set" >&2; exit 1; }; }

if want set; then
# 1. The set: sensor-like CSV files and many small files.
SET="$WORK/set"
mkdir -p "$SET/csv" "$SET/small"
"${POND_TEST_PYTHON:-.venv/bin/python}" - "$SET" "$CSV_FILES" "$CSV_MIB" "$SMALL_FILES" <<'PY'
import os, random, sys
root, csv_files, csv_mib, small_files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(7)
for f in range(csv_files):
    lines, size, t = [], 0, 1_700_000_000 + f * 86_400
    while size < csv_mib << 20:
        line = "%d,station-%02d,%.3f,%.2f,%d\n" % (t, f, 4 + rng.random() * 20, 90 + rng.random() * 10, rng.randrange(1000))
        lines.append(line)
        size += len(line)
        t += 10
    with open(os.path.join(root, "csv", "sensor-%02d.csv" % f), "w") as out:
        out.write("".join(lines)[: csv_mib << 20])
for f in range(small_files):
    with open(os.path.join(root, "small", "note-%05d.txt" % f), "wb") as out:
        out.write(rng.randbytes(512) + bytes("reading %d\n" % f, "ascii") * 40)
PY
set_bytes=$(du -sb "$SET" | cut -f1)
echo "set: $CSV_FILES CSV files of $CSV_MIB MiB and $SMALL_FILES small files, $((set_bytes / 1048576)) MiB"

export RESTIC_PASSWORD=bench-only RESTIC_CACHE_DIR="$WORK/restic-cache"
compare() {  # name pond_remote_url restic_repo rclone_remote
  local name=$1 url=$2 repo=$3 rclone_dst=$4 pond_dir="$WORK/pond-$1" s kib
  echo
  echo "-- $name"
  printf '%-46s %9s %9s %9s\n' "" "seconds" "MB/s" "peak RSS"
  pond init --pond "$pond_dir" >/dev/null
  read -r s kib < <(measure "$POND_BIN" copy --pond "$pond_dir" "$SET" /set)
  local copy_s=$s
  printf '%-46s %9.2f %9s %6d MiB   (data/: %d MiB)\n' "pond copy (into the pond)" "$s" "$(mbs "$set_bytes" "$s")" \
    $((kib / 1024)) $(($(du -sb "$pond_dir/data" | cut -f1) / 1048576))
  read -r s kib < <(measure "$POND_BIN" push --pond "$pond_dir" "$url" $S3_FLAGS)
  local push_s=$s
  printf '%-46s %9.2f %9s %6d MiB\n' "pond push" "$s" "$(mbs "$set_bytes" "$s")" $((kib / 1024))
  restic init --repo "$repo" >/dev/null 2>&1
  read -r s kib < <(measure restic backup --repo "$repo" --no-cache "$SET")
  local backup_s=$s
  printf '%-46s %9.2f %9s %6d MiB\n' "restic backup" "$s" "$(mbs "$set_bytes" "$s")" $((kib / 1024))
  read -r s kib < <(measure env -u AWS_CA_BUNDLE rclone copy "$SET" "$rclone_dst/up" --transfers 8)
  printf '%-46s %9.2f %9s %6d MiB\n' "rclone copy (up, raw transfer)" "$s" "$(mbs "$set_bytes" "$s")" $((kib / 1024))
  read -r s kib < <(measure "$POND_BIN" restore --pond "$WORK/restored-$name" "$url" $S3_FLAGS)
  local restore_s=$s
  printf '%-46s %9.2f %9s %6d MiB\n' "pond restore" "$s" "$(mbs "$set_bytes" "$s")" $((kib / 1024))
  read -r s kib < <(measure restic restore latest --repo "$repo" --no-cache --target "$WORK/restic-$name")
  local restic_restore_s=$s
  printf '%-46s %9.2f %9s %6d MiB\n' "restic restore" "$s" "$(mbs "$set_bytes" "$s")" $((kib / 1024))
  read -r s kib < <(measure env -u AWS_CA_BUNDLE rclone copy "$rclone_dst/up" "$WORK/rclone-$name" --transfers 8)
  printf '%-46s %9.2f %9s %6d MiB\n' "rclone copy (down, raw transfer)" "$s" "$(mbs "$set_bytes" "$s")" $((kib / 1024))
  mkdir -p "$WORK/out-$name"
  pond copy --pond "$WORK/restored-$name" --out /set "$WORK/out-$name" >/dev/null
  same_tree "$SET" "$WORK/out-$name/set" "pond restore ($name)"
  same_tree "$SET" "$WORK/restic-$name$SET" "restic restore ($name)"
  same_tree "$SET" "$WORK/rclone-$name" "rclone copy down ($name)"
  diff -r "$pond_dir/data" "$WORK/restored-$name/data" >/dev/null || { echo "bench: restored data/ differs" >&2; exit 1; }
  echo "push: $(ratio "$backup_s" "$push_s")x restic backup's speed (copy + push: $(ratio "$backup_s" "$(echo "$copy_s + $push_s" | bc -l)")x);" \
    "restore: $(ratio "$restic_restore_s" "$restore_s")x restic restore's; every restore byte-identical"
  rm -rf "$pond_dir" "$WORK/restored-$name" "$WORK/restic-$name" "$WORK/rclone-$name" "$WORK/out-$name"
}

# 2. To a local directory.
mkdir -p "$WORK/remote-file" "$WORK/rclone-file"
S3_FLAGS=""
compare "local directory" "file://$WORK/remote-file" "$WORK/restic-file" "$WORK/rclone-file"

# 3. To the S3 servers.
s3_compare() {  # name endpoint access secret bucket region
  local name=$1 prefix="bench-$RANDOM$RANDOM"
  export AWS_ACCESS_KEY_ID=$3 AWS_SECRET_ACCESS_KEY=$4 AWS_ENDPOINT_URL=$2 AWS_REGION=$6
  export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT=$2 \
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$3 RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$4 RCLONE_CONFIG_BENCH_REGION=$6
  S3_FLAGS="--allow-http"
  compare "$name" "s3://$5/$prefix/pond" "s3:$2/$5/$prefix/restic" "bench:$5/$prefix/rclone"
}
# moto directly (its upstream port): the project's verifying proxy refuses the streaming signatures restic sends.
s3_compare "moto (local S3 emulator)" "$POND_TEST_S3_UPSTREAM" "$POND_TEST_S3_ACCESS_KEY" \
  "$POND_TEST_S3_SECRET_KEY" "$POND_TEST_S3_BUCKET" "$POND_TEST_S3_REGION"
if [ -n "${POND_TEST_RGW_ENDPOINT:-}" ]; then
  s3_compare "Ceph RGW" "$POND_TEST_RGW_ENDPOINT" "$POND_TEST_RGW_ACCESS_KEY" "$POND_TEST_RGW_SECRET_KEY" \
    "$POND_TEST_RGW_BUCKET" "$POND_TEST_RGW_REGION"
else
  echo; echo "-- Ceph RGW: not available here (scripts/ceph/with-rgw.sh could not start it); skipped"
fi

fi

# 4. Peak RSS of push, restore and pull of a pond holding a 1 GiB file (file:// remote).
if want big; then
echo
echo "-- a pond holding a $BIG_MIB MiB file (local directory remote)"
head -c $((BIG_MIB / 2 * 1048576)) /dev/urandom >"$WORK/big.bin"
(yes "2026-11-24T10:00:00Z,buoy-3,temperature,7.125,ok" || true) | head -c $((BIG_MIB / 2 * 1048576)) >>"$WORK/big.bin"
pond init --pond "$WORK/big" >/dev/null
pond copy --pond "$WORK/big" "$WORK/big.bin" /big.bin >/dev/null
mkdir -p "$WORK/remote-big"
read -r s kib < <(measure "$POND_BIN" push --pond "$WORK/big" "file://$WORK/remote-big")
printf '%-46s %9.2f s, peak RSS %d MiB\n' "pond push" "$s" $((kib / 1024))
read -r s kib < <(measure "$POND_BIN" restore --pond "$WORK/big-restored" --version 0 "file://$WORK/remote-big")
read -r s kib < <(measure "$POND_BIN" pull --pond "$WORK/big-restored")
printf '%-46s %9.2f s, peak RSS %d MiB\n' "pond pull (the version holding the file)" "$s" $((kib / 1024))
rm -rf "$WORK/big-restored"
read -r s kib < <(measure "$POND_BIN" restore --pond "$WORK/big-restored" "file://$WORK/remote-big")
printf '%-46s %9.2f s, peak RSS %d MiB\n' "pond restore" "$s" $((kib / 1024))
cmp "$WORK/big.bin" <(pond cat --pond "$WORK/big-restored" /big.bin) || { echo "bench: big file differs" >&2; exit 1; }
rm -rf "$WORK/big" "$WORK/big-restored" "$WORK/remote-big" "$WORK/big.bin"
fi
want history || exit 0

# 5. Through a counting proxy in front of the local S3 server: what an append sends, what an idle push and a
# one-version push on a long history ask, and a restore of that history.
start_counting_proxy "$WORK"
export AWS_ACCESS_KEY_ID=$POND_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$POND_TEST_S3_SECRET_KEY \
  AWS_ENDPOINT_URL=$PROXY AWS_REGION=$POND_TEST_S3_REGION
stats() { curl -s "$PROXY/__fault__/stats" >"$1"; }
difference() {  # prints "requests body_bytes" between two stats files
  "${POND_TEST_PYTHON:-.venv/bin/python}" -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:3]); print(len(b["seen"])-len(a["seen"]), b["request_bytes"]-a["request_bytes"])' "$1" "$2"
}
counted() {  # runs the command; prints "requests body_bytes" it sent through the proxy
  stats "$WORK/before.json"
  "$@" >/dev/null
  stats "$WORK/after.json"
  difference "$WORK/before.json" "$WORK/after.json"
}
echo
echo "-- requests and bytes (local S3 server, counted by a proxy)"
URL="s3://$POND_TEST_S3_BUCKET/bench-series-$RANDOM$RANDOM"
pond init --pond "$WORK/series" >/dev/null
(yes "2026-11-24T10:00:00Z,buoy-3,temperature,7.125,ok" || true) | head -c $((SERIES_MIB * 1048576)) >"$WORK/series.csv"
pond copy --pond "$WORK/series" --series "$WORK/series.csv" /series.csv >/dev/null
pond remote add --pond "$WORK/series" lake "$URL" --allow-http >/dev/null
pond push --pond "$WORK/series" lake >/dev/null
# `copy --series` appends the whole host file to the series: the new readings only.
head -c 1024 /dev/urandom | base64 -w 64 | head -c 1024 >"$WORK/append.csv"
pond copy --pond "$WORK/series" --series "$WORK/append.csv" /series.csv >/dev/null
head=$(pond log --pond "$WORK/series" | tail -1 | cut -f1)
read -r requests bytes < <(counted pond push --pond "$WORK/series" lake)
data_file=$(ls -S "$WORK/series/data"/part-*"$(printf '%020d' "$head")"* | head -1)
commit_file="$WORK/series/data/_delta_log/$(printf '%020d' "$head").json"
printf '%-60s %s\n' "push of a 1 KiB append to a $SERIES_MIB MiB series" \
  "$requests requests, $bytes body bytes (data file $(stat -c %s "$data_file") + commit $(stat -c %s "$commit_file") bytes)"
read -r requests bytes < <(counted pond push --pond "$WORK/series" lake)
printf '%-60s %s\n' "push with nothing new" "$requests requests"

# A history of $VERSIONS versions (one small file each), pushed; then one more version.
pond init --pond "$WORK/long" >/dev/null
echo "reading" >"$WORK/reading.txt"
for i in $(seq 1 $((VERSIONS - 1))); do pond copy --pond "$WORK/long" "$WORK/reading.txt" "/r-$i" >/dev/null; done
LONG="s3://$POND_TEST_S3_BUCKET/bench-long-$RANDOM$RANDOM"
pond remote add --pond "$WORK/long" lake "$LONG" --allow-http >/dev/null
read -r s kib < <(measure "$POND_BIN" push --pond "$WORK/long" lake)
printf '%-60s %s\n' "push of $VERSIONS versions" "$s s, peak RSS $((kib / 1024)) MiB"
pond copy --pond "$WORK/long" "$WORK/reading.txt" /one-more >/dev/null
read -r requests bytes < <(counted pond push --pond "$WORK/long" lake)
printf '%-60s %s\n' "push of one version onto $VERSIONS versions" "$requests requests"
stats "$WORK/before.json"
read -r s kib < <(measure "$POND_BIN" restore --pond "$WORK/long-restored" "$LONG" --allow-http)
stats "$WORK/after.json"
read -r restore_requests bytes < <(difference "$WORK/before.json" "$WORK/after.json")
printf '%-60s %s\n' "restore of $((VERSIONS + 1)) versions" "$s s, $restore_requests requests, peak RSS $((kib / 1024)) MiB"
diff -r "$WORK/long/data" "$WORK/long-restored/data" >/dev/null || { echo "bench: long restore differs" >&2; exit 1; }
