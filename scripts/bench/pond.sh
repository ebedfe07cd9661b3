#!/usr/bin/env bash
# pond benchmark: single-file commits per second; streaming a large file into a pond (MB/s and peak RSS) next
# to `zstd -1 | openssl dgst -sha256` on the same file; `list '**'` and `cat --at` latency on a pond with many
# files and versions. Sizes can be lowered for a quick run:
#   COMMITS=1000 BIG_MIB=1024 VERSIONS=2000 FILES_PER_VERSION=10 scripts/bench/pond.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
COMMITS=${COMMITS:-1000}
BIG_MIB=${BIG_MIB:-1024}
VERSIONS=${VERSIONS:-2000}
FILES_PER_VERSION=${FILES_PER_VERSION:-10}

# POND_BIN names another build of pond to measure (scripts/bench-compare.sh measures two side by side).
if [ -z "${POND_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product pond >/dev/null
  POND_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# 1. Single-file commits.
export POND="$WORK/commits"
"$POND_BIN" init >/dev/null
echo "reading 42" >"$WORK/small.txt"
start=$(now)
for i in $(seq 1 "$COMMITS"); do "$POND_BIN" copy "$WORK/small.txt" "/f-$i" >/dev/null; done
end=$(now)
commit_seconds=$(elapsed "$start" "$end")
printf '%-44s %10s\n' "single-file commits ($COMMITS, one process each)" \
  "$(echo "$COMMITS / $commit_seconds" | bc -l | xargs printf '%.1f')/s"

# 2. A large file: pond copy vs zstd -1 | openssl dgst -sha256. Half random, half repetitive text.
BIG="$WORK/big.bin"
head -c $((BIG_MIB / 2 * 1048576)) /dev/urandom >"$BIG"
(yes "2026-11-24T10:00:00Z,buoy-3,temperature,7.125,ok" || true) | head -c $((BIG_MIB / 2 * 1048576)) >>"$BIG"
sync
export POND="$WORK/big"
"$POND_BIN" init >/dev/null
measure() {  # prints "seconds maxrss_kib"
  /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null
  cat "$WORK/time.txt"
}
read -r pond_s pond_kib < <(measure "$POND_BIN" copy "$BIG" /big.bin)
read -r peer_s peer_kib < <(measure sh -c "zstd -1 -T1 -c '$BIG' | openssl dgst -sha256")
size=$(stat -c %s "$BIG")
stored=$(du -b "$WORK/big/data/_large_files" | tail -1 | cut -f1)
printf '%-44s %10s %10s %8s\n' "copy of a ${BIG_MIB} MiB file" "MB/s" "peak RSS" "ratio"
printf '%-44s %10.1f %8d MiB %8s\n' "  pond copy (zstd -3, sha256, fsync)" \
  "$(echo "$size / 1000000 / $pond_s" | bc -l)" $((pond_kib / 1024)) \
  "$(echo "$stored / $size" | bc -l | xargs printf '%.3f')"
printf '%-44s %10.1f %8d MiB\n' "  zstd -1 | openssl dgst -sha256" \
  "$(echo "$size / 1000000 / $peer_s" | bc -l)" $((peer_kib / 1024))
cmp <("$POND_BIN" cat /big.bin | openssl dgst -sha256 -r | cut -c1-64) \
  <(openssl dgst -sha256 -r "$BIG" | cut -c1-64) || { echo "pond cat differs from the source" >&2; exit 1; }

# 3. Latency and memory on a pond with many versions and files, measured when a tenth of the history is
# written and again at the end: opening must not cost O(history), so cat --at and status stay flat while
# list '**' grows with the tree it prints.
export POND="$WORK/many"
"$POND_BIN" init >/dev/null
mkdir -p "$WORK/batch"
for j in $(seq 1 "$FILES_PER_VERSION"); do echo "value $j" >"$WORK/batch/r-$j.csv"; done
"$POND_BIN" mkdir $(seq -f '/d-%g' 0 99) >/dev/null
build() {  # versions $1..$2; prints commits per second
  local start end
  start=$(now)
  for i in $(seq "$1" "$2"); do
    "$POND_BIN" copy "$WORK/batch" "/d-$((i % 100))/v-$i" >/dev/null
  done
  end=$(now)
  echo "($2 - $1 + 1) / $(elapsed "$start" "$end")" | bc -l | xargs printf '%.1f/s'
}
ms_rss() {  # "<ms> ms, <MiB> MiB" of one run
  local seconds kib
  read -r seconds kib < <(measure "$@")
  printf '%.0f ms, %d MiB' "$(echo "$seconds * 1000" | bc -l)" $((kib / 1024))
}
report() {  # the measurements at the current head ($1 versions written)
  local files=$(($1 * FILES_PER_VERSION)) half=$(($1 / 2))
  printf '%s\n' "pond with $files files in $(($1 + 2)) versions"
  printf '%-44s %24s\n' "  list '**' (latest)" "$(ms_rss "$POND_BIN" list '/**')"
  printf '%-44s %24s\n' "  cat --at $((half + 1)) (one file)" \
    "$(ms_rss "$POND_BIN" cat --at $((half + 1)) "/d-$((half % 100))/v-$half/r-1.csv")"
  printf '%-44s %24s\n' "  describe (one file)" \
    "$(ms_rss "$POND_BIN" describe "/d-$((half % 100))/v-$half/r-1.csv")"
  printf '%-44s %24s\n' "  status (index up to date)" "$(ms_rss "$POND_BIN" status)"
  rm -f "$POND/local/index.sqlite" "$POND/local/index.sqlite-wal" "$POND/local/index.sqlite-shm"
  printf '%-44s %24s\n' "  status after deleting the index (rebuild)" "$(ms_rss "$POND_BIN" status)"
}
first=$((VERSIONS / 10))
rate=$(build 1 "$first")
printf '%-44s %10s\n' "copy commits, versions 1-$first" "$rate"
report "$first"
rate=$(build $((first + 1)) "$VERSIONS")
printf '%-44s %10s\n' "copy commits, versions $((first + 1))-$VERSIONS" "$rate"
report "$VERSIONS"
