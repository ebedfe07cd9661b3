#!/usr/bin/env bash
# Benchmarks (`make bench`): each script in scripts/bench/ compares DuckPond with a real peer on the same data,
# in the same run, and prints a side-by-side table with ratios. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
ran=0
for script in scripts/bench/*.sh; do
  echo "== $(basename "$script" .sh)"
  bash "$script"
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "bench: no benchmark scripts in scripts/bench/" >&2; exit 1; }
