#!/usr/bin/env bash
# Benchmarks (`make bench`): each compares DuckPond with a real peer on the same data, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product pond
echo "bench: no benchmarks are defined yet"
