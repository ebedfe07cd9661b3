#!/usr/bin/env bash
# Runs CMD with a throwaway one-node Ceph RADOS Gateway (S3) on 127.0.0.1:
#   one monitor, one OSD keeping objects in RAM (memstore), pool size 1, no mgr, no cephx (loopback only),
#   and radosgw (beast frontend) on a free loopback port, with an S3 user and a bucket made for the run.
# Exports for CMD:
#   POND_TEST_RGW_ENDPOINT    http://127.0.0.1:PORT (path-style addressing)
#   POND_TEST_RGW_ACCESS_KEY  the S3 user's access key (generated)
#   POND_TEST_RGW_SECRET_KEY  its secret (generated)
#   POND_TEST_RGW_BUCKET      a bucket created for the run (pond-rgw-test)
#   POND_TEST_RGW_REGION      default (the zonegroup's name: RGW signs SigV4 with any region in the
#                             credential scope, but a CreateBucket LocationConstraint must be absent or "default")
# Everything (config, data, logs, sockets, pid files) lives in one mktemp -d directory, removed at the end;
# /etc/ceph, /var/lib/ceph and /var/log/ceph are neither needed nor touched. Every daemon is stopped by PID
# when CMD ends, fails, or the script is interrupted; exits with CMD's status.
# Needs Debian's ceph-mon ceph-osd radosgw ceph-common (scripts/deps.sh installs them). Without them it
# fails, unless POND_RGW_OPTIONAL=1: then it runs CMD without the variables and says so on stderr.
# POND_RGW_KEEP_LOGS=1 copies the logs to a kept directory (named on stderr) before cleaning up.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 64
fi

HERE="$(cd "$(dirname "$0")" && pwd)"
# Debian's python3-rados is built for the system interpreter, not for whatever python3 is first on PATH.
PY=/usr/bin/python3

missing=()
for tool in monmaptool ceph-mon ceph-osd radosgw radosgw-admin; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -x "$PY" ] && "$PY" -c 'import rados' 2>/dev/null || missing+=("python3-rados")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${POND_RGW_OPTIONAL:-0}" = "1" ]; then
    echo "with-rgw: Ceph is not installed (missing: ${missing[*]}); POND_RGW_OPTIONAL=1, so running the command without POND_TEST_RGW_* (RGW tests skip)" >&2
    exec "$@"
  fi
  echo "with-rgw: Ceph is not installed (missing: ${missing[*]})." >&2
  echo "with-rgw: install it with: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common" >&2
  echo "with-rgw: (or run scripts/deps.sh; set POND_RGW_OPTIONAL=1 to run the command without RGW)" >&2
  exit 69
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pond-rgw.XXXXXX")"
CONF="$WORK/ceph.conf"
MON_PID=""
OSD_PID=""
RGW_PID=""
STARTED=0

wait_gone() { # PID SIGNAL: send SIGNAL, allow 10 s to exit, then SIGKILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -s "$2" "$pid" 2>/dev/null || true
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "with-rgw: PID $pid did not stop in 10 s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
stop_pid() { wait_gone "$1" TERM; }
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ "$STARTED" != 1 ] && [ "$status" -ne 0 ] && [ "$status" -lt 129 ] && [ -d "$WORK/log" ]; then
    echo "with-rgw: start failed; last log lines:" >&2
    tail -n 15 "$WORK"/log/*.log "$WORK"/log/*.out >&2 2>/dev/null || true
  fi
  # radosgw first (it is a client of the others), then the OSD, then the monitor.
  stop_pid "$RGW_PID"
  stop_pid "$OSD_PID"
  stop_pid "$MON_PID"
  if [ "${POND_RGW_KEEP_LOGS:-0}" = "1" ] && [ -d "$WORK/log" ]; then
    local keep
    keep="$(mktemp -d "${TMPDIR:-/tmp}/pond-rgw-logs.XXXXXX")"
    cp -r "$WORK/log/." "$keep/"
    echo "with-rgw: logs kept in $keep" >&2
  fi
  rm -rf "$WORK"
  exit "$status"
}
CMD_PID=""
on_signal() { # STATUS SIGNAL: pass the signal on to CMD, give it 10 s to end, then clean up
  wait_gone "$CMD_PID" "$2"
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130 INT' INT
trap 'on_signal 143 TERM' TERM
trap 'on_signal 129 HUP' HUP

helper() { "$PY" "$HERE/rgw_helper.py" "$@"; }

MON_PORT="$(helper free-port)"
RGW_PORT="$(helper free-port)"
FSID="$(cat /proc/sys/kernel/random/uuid)"
OSD_UUID="$(cat /proc/sys/kernel/random/uuid)"
mkdir -p "$WORK/mon" "$WORK/osd" "$WORK/rgw" "$WORK/run" "$WORK/log" "$WORK/crash"

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr1 = false
# No cephx: the cluster listens on loopback only and lives for one run.
auth cluster required = none
auth service required = none
auth client required = none
# Without this, clients (radosgw above all) ask the monitor for "secure" mode, which needs cephx,
# and radosgw hangs for 300 s at start.
ms mon client mode = crc
keyring = $WORK/keyring
# Every path inside \$WORK; in particular the monitor's cluster log defaults to /var/log/ceph.
run dir = $WORK/run
admin socket = $WORK/run/\$name.asok
pid file = $WORK/run/\$name.pid
log file = $WORK/log/\$name.log
mon cluster log file = $WORK/log/cluster.\$channel.log
crash dir = $WORK/crash
mon data = $WORK/mon
osd data = $WORK/osd
rgw data = $WORK/rgw
# Small and quick: one OSD, pools of size 1, monitor proposals without the default 1 s batching delay.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
paxos propose interval = 0.01
paxos min wait = 0.01
# The monitor stops itself when its disk is nearly full (5 % free); its store here is tiny.
mon data avail warn = 1
mon data avail crit = 0

[osd]
# Objects in RAM; the size is only what the OSD reports as its capacity (RAM is used as data is written).
osd objectstore = memstore
memstore device bytes = 8589934592

[client.rgw.pond]
# tcp_nodelay: without it each small response waits for the peer's delayed ACK (~40 ms).
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw thread pool size = 64
EOF

monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$WORK/monmap" >/dev/null
ceph-mon -c "$CONF" -i a --mkfs --monmap "$WORK/monmap" >"$WORK/log/mon-mkfs.out" 2>&1
# Each daemon runs in its own session (setsid execs it in place, so $! is the daemon), so that Ctrl-C in
# a terminal does not stop them all at once: the OSD waits 5 s for a monitor that stopped first.
setsid ceph-mon -c "$CONF" -i a -f >"$WORK/log/mon.out" 2>&1 &
MON_PID=$!

# Register the OSD and create radosgw's pools up front (radosgw creating them itself makes its first
# start several seconds slower), while the OSD is still being made.
RGW_POOLS=(.rgw.root default.rgw.log default.rgw.control default.rgw.meta
  default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec)
helper prepare "$CONF" "$OSD_UUID" "${RGW_POOLS[@]}"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$WORK/log/osd-mkfs.out" 2>&1
setsid ceph-osd -c "$CONF" -i 0 -f >"$WORK/log/osd.out" 2>&1 &
OSD_PID=$!
helper wait-osd "$CONF" 60 "$OSD_PID"

ACCESS_KEY="PONDRGW$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
SECRET_KEY="pond/rgw+secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
timeout 60 radosgw-admin -c "$CONF" user create --uid pond --display-name "DuckPond tests" \
  --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >"$WORK/log/user.json" 2>"$WORK/log/radosgw-admin.out"

setsid radosgw -c "$CONF" -n client.rgw.pond -f >"$WORK/log/rgw.out" 2>&1 &
RGW_PID=$!
# radosgw exits 0 when its port is taken, so wait for it to answer, as itself.
helper wait-http "http://127.0.0.1:$RGW_PORT/" 60 "$RGW_PID"

export POND_TEST_RGW_ENDPOINT="http://127.0.0.1:$RGW_PORT"
export POND_TEST_RGW_ACCESS_KEY="$ACCESS_KEY"
export POND_TEST_RGW_SECRET_KEY="$SECRET_KEY"
export POND_TEST_RGW_BUCKET="pond-rgw-test"
export POND_TEST_RGW_REGION="default"
helper create-bucket "$POND_TEST_RGW_ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY" "$POND_TEST_RGW_REGION" "$POND_TEST_RGW_BUCKET"
STARTED=1

# CMD runs in the background so that a SIGTERM to this script is acted on at once (bash runs traps only
# between foreground commands), keeping its standard input and its default reaction to Ctrl-C.
(trap - INT QUIT HUP; exec "$@") <&0 &
CMD_PID=$!
set +e
wait "$CMD_PID"
STATUS=$?
set -e
CMD_PID=""
exit "$STATUS"
