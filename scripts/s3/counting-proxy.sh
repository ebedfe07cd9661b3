# Sourced by the bench scripts that count requests: start_counting_proxy DIR starts scripts/s3/fault_proxy.py
# (no faults: it counts request lines and bytes, GET /__fault__/stats) in front of the local S3 server
# (POND_TEST_S3_ENDPOINT, from scripts/s3/with-s3-server.sh) and sets PROXY (its URL) and PROXY_PID;
# stop_counting_proxy stops it by its PID.
PROXY_PID=""
start_counting_proxy() {
  local out="$1/proxy.port"
  "${POND_TEST_PYTHON:-.venv/bin/python}" scripts/s3/fault_proxy.py --upstream "$POND_TEST_S3_ENDPOINT" >"$out" &
  PROXY_PID=$!
  for _ in $(seq 1 100); do [ -s "$out" ] && break; sleep 0.1; done
  [ -s "$out" ] || { echo "the counting proxy (scripts/s3/fault_proxy.py) did not start" >&2; return 1; }
  PROXY="http://127.0.0.1:$(head -n1 "$out")"
}
stop_counting_proxy() {
  if [ -n "$PROXY_PID" ] && kill -0 "$PROXY_PID" 2>/dev/null; then
    kill "$PROXY_PID"
    wait "$PROXY_PID" || true
  fi
}
