#!/usr/bin/env bash
# Measures the pond benchmark (scripts/bench/pond.sh) for an earlier commit and for the working tree, one
# after the other in one run on the same machine, so that a change's effect is seen beside the noise:
#   scripts/bench-compare.sh REF          (e.g. HEAD~1, main, a commit id)
# Sizes as in scripts/bench/pond.sh (COMMITS, BIG_MIB, VERSIONS, FILES_PER_VERSION), passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${1:?usage: scripts/bench-compare.sh REF}
BASE=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-base.XXXXXX")
cleanup() {
  git worktree remove --force "$BASE/tree" >/dev/null 2>&1 || true
  rm -rf "$BASE"
}
trap cleanup EXIT
git worktree add --detach "$BASE/tree" "$REF" >/dev/null
echo "building $REF ($(git rev-parse --short "$REF")) and the working tree (release)..."
(cd "$BASE/tree" && swift build -c release --static-swift-stdlib --product pond >/dev/null)
swift build -c release --static-swift-stdlib --product pond >/dev/null
for side in base current; do
  if [ "$side" = base ]; then
    bin="$(cd "$BASE/tree" && swift build -c release --static-swift-stdlib --show-bin-path)/pond"
    echo "== $REF ($(git rev-parse --short "$REF"))"
  else
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/pond"
    echo "== working tree ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', modified'))"
  fi
  POND_BIN="$bin" bash scripts/bench/pond.sh
done
