#!/usr/bin/env bash
# Object store benchmark: pond's S3 client vs `aws s3 cp` / `aws s3 sync`, on the same data, against the
# same local S3 server (moto behind the signature-verifying proxy). Extra arguments go to ObjectStoreBench,
# e.g. `--large-count 4 --small-count 1000` for a quick run.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --static-swift-stdlib --product ObjectStoreBench
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/ObjectStoreBench"
exec ./scripts/s3/with-s3-server.sh "$BIN" "$@"
