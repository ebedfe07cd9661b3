#!/usr/bin/env bash
# Start-up benchmark: `pond --version` (release build, linked as `make release` links it) next to a trivial
# Swift program (scripts/bench/startup-trivial.swift) built two ways: plain `swiftc -O`, and with the Swift
# runtime linked statically as pond is. Then single-file commits per second, one `pond copy` process per
# commit, as a collector calls it. A few seconds; sizes can be changed:
#   RUNS=200 COMMITS=100 scripts/bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-200}
COMMITS=${COMMITS:-100}
ROUNDS=5

swift build -c release --static-swift-stdlib --product pond >/dev/null
POND_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
# The release `pond` links these statically (Package.swift). SwiftPM does not recompile objects when only a
# module map changes, so a release build from before that may still link them dynamically, unlike `make release` today.
if ldd "$POND_BIN" | grep -E 'lib(crypto|sqlite3|zstd|snappy|z|stdc\+\+)\.so'; then
  echo "startup.sh: $POND_BIN loads the libraries above: a stale build; rm -rf .build/release and run again" >&2
  exit 1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pond-startup.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
swiftc -O scripts/bench/startup-trivial.swift -o "$WORK/trivial"
swiftc -O -static-stdlib scripts/bench/startup-trivial.swift -o "$WORK/trivial-static"

# Milliseconds per run: each round runs every command RUNS/ROUNDS times, interleaved, and the fastest round
# counts, so a burst of other work on the machine moves one round, not the comparison.
names=(trivial trivial-static pond)
commands=("$WORK/trivial" "$WORK/trivial-static" "$POND_BIN --version")
declare -A best
per_round=$((RUNS / ROUNDS))
for _ in $(seq "$ROUNDS"); do
  for k in "${!names[@]}"; do
    read -r -a cmd <<<"${commands[$k]}"
    start=$(date +%s%N)
    for _ in $(seq "$per_round"); do "${cmd[@]}" >/dev/null; done
    ns=$((($(date +%s%N) - start) / per_round))
    if [ -z "${best[${names[$k]}]:-}" ] || [ "$ns" -lt "${best[${names[$k]}]}" ]; then
      best[${names[$k]}]=$ns
    fi
  done
done
ms() { echo "$1 / 1000000" | bc -l | xargs printf '%.2f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
printf '%-52s %10s %10s\n' "start-up, best of $ROUNDS rounds of $per_round runs" "ms/run" "pond/this"
printf '%-52s %10s %10s\n' "  trivial Swift program (swiftc -O)" "$(ms "${best[trivial]}")" \
  "$(ratio "${best[pond]}" "${best[trivial]}")"
printf '%-52s %10s %10s\n' "  trivial Swift program (swiftc -O -static-stdlib)" "$(ms "${best[trivial-static]}")" \
  "$(ratio "${best[pond]}" "${best[trivial-static]}")"
printf '%-52s %10s\n' "  pond --version" "$(ms "${best[pond]}")"

# Single-file commits: each one a process that starts, opens the pond, writes, fsyncs and commits.
export POND="$WORK/pond"
"$POND_BIN" init >/dev/null
echo "reading 42" >"$WORK/small.txt"
start=$(date +%s%N)
for i in $(seq "$COMMITS"); do "$POND_BIN" copy "$WORK/small.txt" "/f-$i" >/dev/null; done
commit_ns=$((($(date +%s%N) - start) / COMMITS))
printf '%-52s %10s %10s\n' "single-file commits ($COMMITS, one pond copy each)" \
  "$(echo "1000000000 / $commit_ns" | bc -l | xargs printf '%.1f')/s" "$(ms "$commit_ns") ms"
printf '%-52s %10s\n' "  of which start-up (pond --version / pond copy)" "$(ratio "${best[pond]}" "$commit_ns")"
