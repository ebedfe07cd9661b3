"""Helper for scripts/ceph/with-rgw.sh; stdlib plus Debian's python3-rados (run it with /usr/bin/python3).

  free-port                                   print a free TCP port on 127.0.0.1
  prepare CONF OSD_UUID POOL...               register the OSD and create the given pools (one monitor session,
                                              instead of one `ceph` CLI start per command)
  wait-osd CONF TIMEOUT PID                   wait until osd.0 is up (fail at once if PID exits)
  wait-http URL TIMEOUT PID                   wait until radosgw answers at URL (fail at once if PID exits)
  create-bucket ENDPOINT AK SK REGION BUCKET  CreateBucket, signed with SigV4
"""
import datetime
import hashlib
import hmac
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request


def die(msg):
    print(f"with-rgw: {msg}", file=sys.stderr)
    sys.exit(1)


def connect(conf):
    import rados  # python3-rados, pulled in by ceph-common

    cluster = rados.Rados(conffile=conf, conf={"rados_mon_op_timeout": "30", "client_mount_timeout": "30"})
    cluster.connect()
    return cluster


def mon(cluster, **cmd):
    ret, out, err = cluster.mon_command(json.dumps(cmd), b"")
    if ret != 0:
        die(f"mon command {cmd} failed ({ret}): {err}")
    return out


def prepare(conf, osd_uuid, *pools):
    cluster = connect(conf)
    try:
        osd_id = mon(cluster, prefix="osd new", uuid=osd_uuid).decode().strip()
        if osd_id != "0":
            die(f"expected osd id 0, got {osd_id!r}")
        for pool in pools:
            mon(cluster, prefix="osd pool create", pool=pool, pg_num=8, pgp_num=8)
            mon(cluster, prefix="osd pool application enable", pool=pool, app="rgw")
    finally:
        cluster.shutdown()


def alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except ProcessLookupError:
        return False


def wait_osd(conf, timeout, pid):
    deadline = time.monotonic() + float(timeout)
    cluster = connect(conf)
    try:
        while time.monotonic() < deadline:
            if not alive(pid):
                die(f"ceph-osd (PID {pid}) exited during start")
            dump = json.loads(mon(cluster, prefix="osd dump", format="json"))
            if any(o["osd"] == 0 and o["up"] for o in dump["osds"]):
                return
            time.sleep(0.05)
    finally:
        cluster.shutdown()
    die(f"osd.0 did not come up in {timeout} s")


def wait_http(url, timeout, pid):
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        if not alive(pid):
            die(f"radosgw (PID {pid}) exited during start (is port {url} taken?)")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            body = e.read()
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
            continue
        # An anonymous GET / on radosgw lists the anonymous user's (no) buckets.
        if b"ListAllMyBucketsResult" in body and alive(pid):
            return
        die(f"{url} answered, but not as radosgw: {body[:200]!r}")
    die(f"radosgw did not answer HTTP at {url} in {timeout} s")


def create_bucket(endpoint, access_key, secret_key, region, bucket):
    host = endpoint.split("://", 1)[1].rstrip("/")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
    canonical = "\n".join(["PUT", f"/{bucket}", "", canonical_headers, signed, payload_hash])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"{endpoint}/{bucket}", method="PUT", data=b"")
    for k, v in headers.items():
        if k != "host":
            req.add_header(k, v)
    req.add_header(
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}",
    )
    try:
        urllib.request.urlopen(req, timeout=30).close()
    except urllib.error.HTTPError as e:
        die(f"CreateBucket {bucket} failed: HTTP {e.code} {e.read().decode(errors='replace')}")


def main(argv):
    if not argv:
        die(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "free-port":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
        s.close()
    elif cmd == "prepare":
        prepare(*args)
    elif cmd == "wait-osd":
        wait_osd(*args)
    elif cmd == "wait-http":
        wait_http(*args)
    elif cmd == "create-bucket":
        create_bucket(*args)
    else:
        die(f"unknown helper command {cmd}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        sys.exit(130)
