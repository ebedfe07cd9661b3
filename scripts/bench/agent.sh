#!/usr/bin/env bash
# Agent benchmark: the real `pond agent` (release build) against the local S3 server (moto behind the
# SigV4-verifying proxy, with scripts/s3/fault_proxy.py in front to count requests) and file:// remotes:
# commit-to-replica lag p50/p99 over COMMITS commits with a 0.5 s poll; requests per minute and CPU of idle
# agents with two remotes; resident memory over a soak of one commit per second; /healthz latency while a
# BIG_MIB file is pushed. The driver is scripts/bench/agent.py (its docstring says how each is measured).
# Sizes can be lowered for a quick run, and parts chosen:
#   COMMITS=200 IDLE_SECONDS=60 SOAK_SECONDS=600 BIG_MIB=1024 PARTS="lag idle soak healthz" scripts/bench/agent.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${POND_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product pond >/dev/null
  swift build -c release --static-swift-stdlib --product pond-agent >/dev/null
  POND_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
fi

# The S3 server: this script re-runs itself inside it.
if [ -z "${POND_BENCH_INSIDE:-}" ]; then
  export POND_BENCH_INSIDE=1 POND_BIN
  exec scripts/s3/with-s3-server.sh "$0"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-agent.XXXXXX")
source scripts/s3/counting-proxy.sh
cleanup() {
  stop_counting_proxy
  rm -rf "$WORK"
}
trap cleanup EXIT
start_counting_proxy "$WORK"
export WORK PROXY
"${POND_TEST_PYTHON:-.venv/bin/python}" -u scripts/bench/agent.py
