#!/usr/bin/env bash
# Runs CMD with a local S3-compatible server that enforces SigV4 signatures:
#   moto_server (the S3 implementation) on a free loopback port, behind scripts/s3/verifying_proxy.py
#   (signature, payload hash and clock checks) on another.
# Exports for CMD:
#   POND_TEST_S3_ENDPOINT    http://127.0.0.1:PORT of the verifying proxy (use this)
#   POND_TEST_S3_ACCESS_KEY  the access key the proxy knows
#   POND_TEST_S3_SECRET_KEY  its secret
#   POND_TEST_S3_READONLY_ACCESS_KEY, POND_TEST_S3_READONLY_SECRET_KEY
#                            a second key that may only read and list (PUT/POST/DELETE: 403 AccessDenied)
#   POND_TEST_S3_REGION      us-east-1
#   POND_TEST_S3_BUCKET      a bucket created for the run (pond-test)
#   POND_TEST_S3_UPSTREAM    moto_server itself (no signature checks; for test setup only)
# Stops both servers by PID when CMD ends, fails, or the script is interrupted; exits with CMD's status.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 64
fi

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${POND_VENV:-$ROOT/.venv}"
PYTHON="$VENV/bin/python"
MOTO="$VENV/bin/moto_server"
for tool in "$PYTHON" "$MOTO"; do
  if [ ! -x "$tool" ]; then
    echo "with-s3-server: $tool is missing; run 'make deps' first" >&2
    exit 69
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pond-s3-server.XXXXXX")"
MOTO_PID=""
PROXY_PID=""
cleanup() {
  for pid in "$PROXY_PID" "$MOTO_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

MOTO_PORT="$(free_port)"
"$MOTO" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!

ACCESS_KEY="POND${RANDOM}TESTKEY${RANDOM}"
SECRET_KEY="pond/test+secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
READONLY_ACCESS_KEY="PONDRO${RANDOM}TESTKEY${RANDOM}"
READONLY_SECRET_KEY="pond/read-only+secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
"$PYTHON" "$ROOT/scripts/s3/verifying_proxy.py" --upstream "http://127.0.0.1:$MOTO_PORT" \
  --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
  --read-only-access-key "$READONLY_ACCESS_KEY" --read-only-secret-key "$READONLY_SECRET_KEY" >"$WORK/proxy.port" 2>"$WORK/proxy.log" &
PROXY_PID=$!

# Wait for both to answer (moto takes a few seconds to import).
for _ in $(seq 1 150); do
  if [ -s "$WORK/proxy.port" ] && "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$MOTO_PORT/', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$MOTO_PID" 2>/dev/null || ! kill -0 "$PROXY_PID" 2>/dev/null; then
    echo "with-s3-server: a server exited early" >&2
    cat "$WORK/moto.log" "$WORK/proxy.log" >&2
    exit 70
  fi
  sleep 0.2
done
PROXY_PORT="$(head -n1 "$WORK/proxy.port")"
if [ -z "$PROXY_PORT" ]; then
  echo "with-s3-server: the servers did not start in 30 s" >&2
  cat "$WORK/moto.log" "$WORK/proxy.log" >&2
  exit 70
fi

export POND_TEST_S3_ENDPOINT="http://127.0.0.1:$PROXY_PORT"
export POND_TEST_S3_ACCESS_KEY="$ACCESS_KEY"
export POND_TEST_S3_SECRET_KEY="$SECRET_KEY"
export POND_TEST_S3_READONLY_ACCESS_KEY="$READONLY_ACCESS_KEY"
export POND_TEST_S3_READONLY_SECRET_KEY="$READONLY_SECRET_KEY"
export POND_TEST_S3_REGION="us-east-1"
export POND_TEST_S3_BUCKET="pond-test"
export POND_TEST_S3_UPSTREAM="http://127.0.0.1:$MOTO_PORT"

# The run's bucket, created on moto directly (moto checks no signatures).
"$PYTHON" -c "import urllib.request as u; u.urlopen(u.Request('$POND_TEST_S3_UPSTREAM/$POND_TEST_S3_BUCKET', method='PUT'), timeout=10)"

set +e
"$@"
STATUS=$?
set -e
exit "$STATUS"
