"""The agent benchmark's driver (scripts/bench/agent.sh runs it inside the local S3 server; see that script).

Parts, chosen with PARTS (default: all):
  lag      commit-to-replica lag: a station agent pushes on commit, a lab agent follows at a 0.5 s poll; COMMITS
           commits at random intervals (mean 0.5 s); each commit's lag is from the moment `pond copy` returned
           (the commit is durable) to the moment its commit file appears in the lab's replica. file:// and S3.
  idle     an idle station agent pushing to two S3 remotes, and an idle lab agent following two S3 remotes at a
           0.5 s poll: requests per minute (counted by scripts/s3/fault_proxy.py in front of the S3 server) and
           CPU per cent (utime + stime from /proc) over IDLE_SECONDS.
  soak     one commit per second for SOAK_SECONDS, pushed to S3 and followed: both agents' resident memory at
           the start and every minute.
  healthz  /healthz latency (a new connection each time, every 20 ms) while the agent pushes a BIG_MIB file.
"""

import atexit
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

POND = os.environ["POND_BIN"]
WORK = os.environ["WORK"]
PROXY = os.environ["PROXY"]  # the counting proxy in front of the S3 server
BUCKET = os.environ["POND_TEST_S3_BUCKET"]
PARTS = os.environ.get("PARTS", "lag idle soak healthz").split()
COMMITS = int(os.environ.get("COMMITS", "200"))
IDLE_SECONDS = int(os.environ.get("IDLE_SECONDS", "60"))
SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
BIG_MIB = int(os.environ.get("BIG_MIB", "1024"))
S3_ENV = dict(
    os.environ,
    AWS_ACCESS_KEY_ID=os.environ["POND_TEST_S3_ACCESS_KEY"],
    AWS_SECRET_ACCESS_KEY=os.environ["POND_TEST_S3_SECRET_KEY"],
    AWS_REGION=os.environ["POND_TEST_S3_REGION"],
    AWS_ENDPOINT_URL=PROXY,
)
counter = [0]
AGENTS = []  # every agent started, stopped by its PID at exit whatever happened


def stop_leftover_agents():
    for process in AGENTS:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


atexit.register(stop_leftover_agents)


def fresh(name):
    counter[0] += 1
    return os.path.join(WORK, "%s-%d" % (name, counter[0]))


def pond(*args, pond_dir=None):
    command = [POND] + list(args) + (["--pond", pond_dir] if pond_dir else [])
    result = subprocess.run(command, env=S3_ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(command), result.returncode, result.stderr))
    return result.stdout


def remote(kind):
    """A new, empty remote: (url, the yaml line that allows plain HTTP, the CLI flags)."""
    if kind == "file":
        directory = fresh("remote")
        os.makedirs(directory)
        return "file://" + directory, "", []
    return "s3://%s/bench-agent-%d-%d" % (BUCKET, os.getpid(), counter[0] + 1), "allowHTTP: true", ["--allow-http"]


def station_with(url, flags):
    station = fresh("station")
    pond("init", pond_dir=station)
    pond("remote", "add", "lake", url, *flags, pond_dir=station)
    pond("push", pond_dir=station)
    return station


def replica_of(url, flags):
    lab = fresh("lab")
    pond("restore", url, *flags, pond_dir=lab)
    return lab


class Agent:
    """A running `pond agent --config FILE`; its port is read from its log."""

    def __init__(self, name, config):
        self.path = fresh(name)
        with open(self.path + ".yaml", "w") as out:
            out.write("listen: 127.0.0.1:0\nlogLevel: info\n" + config)
        self.log = open(self.path + ".log", "w+")
        self.process = subprocess.Popen(
            [POND, "agent", "--config", self.path + ".yaml"], env=S3_ENV, stdout=subprocess.DEVNULL, stderr=self.log
        )
        AGENTS.append(self.process)
        self.port = None
        deadline = time.time() + 30
        while self.port is None:
            if time.time() > deadline or self.process.poll() is not None:
                sys.exit("bench: the agent did not start: " + open(self.path + ".log").read())
            text = open(self.path + ".log").read()
            marker = "listening on http://127.0.0.1:"
            if marker in text:
                self.port = int(text.split(marker, 1)[1].split(" ")[0].split("/")[0].rstrip(")"))
            time.sleep(0.05)

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return response.status, body

    def rss_mib(self):
        with open("/proc/%d/status" % self.process.pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.process.pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        start = time.time()
        status = self.process.wait(timeout=20)
        if status != 0:
            sys.exit("bench: the agent exited %d: %s" % (status, open(self.path + ".log").read()))
        return time.time() - start


def push_config(station, remotes, rpo="1h"):
    lines = "ponds:\n  - path: %s\n    push:\n" % station
    for url, http_line in remotes:
        lines += "      - remote: %s\n        rpo: %s\n" % (url, rpo)
        if http_line:
            lines += "        %s\n" % http_line
    return lines


def follow_config(replicas):
    lines = "ponds:\n"
    for lab, url, http_line in replicas:
        lines += "  - path: %s\n    follow:\n      remote: %s\n      interval: 500ms\n      rpo: 1h\n" % (lab, url)
        if http_line:
            lines += "      %s\n" % http_line
    return lines


def commit_file(pond_dir, version):
    return os.path.join(pond_dir, "data", "_delta_log", "%020d.json" % version)


def head_of(pond_dir):
    names = [n for n in os.listdir(os.path.join(pond_dir, "data", "_delta_log")) if n.endswith(".json")]
    return max(int(n[:20]) for n in names)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def proxy_requests():
    host, port = PROXY.replace("http://", "").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/__fault__/stats")
    stats = json.loads(connection.getresponse().read())
    connection.close()
    return len(stats["seen"])


def lag(kind):
    url, http_line, flags = remote(kind)
    station = station_with(url, flags)
    lab = replica_of(url, flags)
    pusher = Agent("station-agent", push_config(station, [(url, http_line)]))
    follower = Agent("lab-agent", follow_config([(lab, url, http_line)]))
    source = fresh("reading")
    rng = random.Random(11)
    seen = {}
    committed = {}
    done = threading.Event()
    first = head_of(station) + 1

    def watch():  # notes when each version's commit file appears in the replica, every 2 ms
        version = first
        while not done.is_set() or version < first + COMMITS:
            if os.path.exists(commit_file(lab, version)):
                seen[version] = time.monotonic()
                version += 1
                continue
            if done.is_set() and time.monotonic() > deadline[0]:
                break
            time.sleep(0.002)

    deadline = [float("inf")]
    watcher = threading.Thread(target=watch)
    watcher.start()
    for i in range(COMMITS):
        with open(source, "w") as out:
            out.write("%d,%.3f\n" % (time.time(), rng.random() * 20))
        pond("copy", source, "/reading-%04d.csv" % i, pond_dir=station)
        committed[first + i] = time.monotonic()
        time.sleep(rng.uniform(0.1, 0.9))
    deadline[0] = time.monotonic() + 30
    done.set()
    watcher.join()
    pusher_stop, follower_stop = pusher.stop(), follower.stop()
    missing = [v for v in committed if v not in seen]
    if missing:
        sys.exit("bench: versions %s never reached the replica" % missing[:5])
    lags = [seen[v] - committed[v] for v in committed]
    print(
        "%-44s %8.3f %8.3f %8.3f %8.3f   (SIGTERM exit %.2f s / %.2f s)"
        % (
            "  lag via %s, %d commits (s)" % ("file://" if kind == "file" else "S3 (moto)", COMMITS),
            percentile(lags, 50),
            percentile(lags, 99),
            max(lags),
            statistics.mean(lags),
            pusher_stop,
            follower_stop,
        )
    )


def idle():
    remotes = []
    for _ in range(2):
        url, http_line, flags = remote("s3")
        remotes.append((url, http_line, flags))
    station = fresh("station")
    pond("init", pond_dir=station)
    for url, _, flags in remotes:
        pond("push", "--allow-http", url, pond_dir=station)
    replicas = [(replica_of(url, flags), url, http_line) for url, http_line, flags in remotes]
    for name, config, polls in [
        ("station: push to two S3 remotes", push_config(station, [(u, h) for u, h, _ in remotes]), 0),
        ("lab: follow two S3 remotes, 0.5 s poll", follow_config(replicas), 2 * 2 * 60),
    ]:
        agent = Agent("idle-agent", config)
        time.sleep(5)  # past the first push or pull
        requests, cpu, start = proxy_requests(), agent.cpu_seconds(), time.monotonic()
        time.sleep(IDLE_SECONDS)
        requests = proxy_requests() - requests
        cpu = agent.cpu_seconds() - cpu
        elapsed = time.monotonic() - start
        rss = agent.rss_mib()
        agent.stop()
        print(
            "  %-42s %8.1f %8d %8.2f %8.1f"
            % (name, requests * 60 / elapsed, polls, 100 * cpu / elapsed, rss)
        )


def soak():
    url, http_line, flags = remote("s3")
    station = station_with(url, flags)
    lab = replica_of(url, flags)
    pusher = Agent("soak-station", push_config(station, [(url, http_line)]))
    follower = Agent("soak-lab", follow_config([(lab, url, http_line)]))
    source = fresh("reading")
    pond("mkdir", "/soak", pond_dir=station)
    time.sleep(2)
    samples = [(0, pusher.rss_mib(), follower.rss_mib())]
    start = time.monotonic()
    next_sample = 60
    i = 0
    while time.monotonic() - start < SOAK_SECONDS:
        with open(source, "w") as out:
            out.write("%d,%d\n" % (time.time(), i))
        pond("copy", source, "/soak/r-%05d.csv" % i, pond_dir=station)
        i += 1
        if time.monotonic() - start >= next_sample:
            samples.append((next_sample, pusher.rss_mib(), follower.rss_mib()))
            next_sample += 60
        time.sleep(max(0, start + i - time.monotonic()))
    deadline = time.time() + 30
    while head_of(lab) < head_of(station) and time.time() < deadline:
        time.sleep(0.1)
    caught_up = head_of(lab) == head_of(station)
    samples.append((int(time.monotonic() - start), pusher.rss_mib(), follower.rss_mib()))
    pusher.stop()
    follower.stop()
    for seconds, station_rss, lab_rss in samples:
        print("  %-42s %8.1f %8.1f" % ("after %d s" % seconds, station_rss, lab_rss))
    print(
        "  %-42s %8.1f %8.1f   (%d commits; replica caught up: %s)"
        % (
            "growth from the start",
            samples[-1][1] - samples[0][1],
            samples[-1][2] - samples[0][2],
            i,
            "yes" if caught_up else "NO",
        )
    )


def healthz():
    url, http_line, flags = remote("s3")
    station = station_with(url, flags)
    big = fresh("big.bin")
    with open(big, "wb") as out:
        for _ in range(BIG_MIB):
            out.write(os.urandom(1 << 20))
    pond("copy", big, "/big.bin", pond_dir=station)
    os.remove(big)
    target = head_of(station)
    agent = Agent("healthz-agent", push_config(station, [(url, http_line)]))
    latencies = []
    statuses = set()
    start = time.monotonic()
    while True:
        t0 = time.monotonic()
        status, _ = agent.get("/healthz")
        latencies.append(time.monotonic() - t0)
        statuses.add(status)
        _, metrics = agent.get("/metrics")
        values = {
            line.split("{", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("pond_agent_") and "{" in line
        }
        # Gauges read 0 until set: done once a push succeeded and left nothing behind.
        if values.get("pond_agent_last_success_timestamp_seconds", 0) > 0 and values.get(
            "pond_agent_versions_behind"
        ) == 0:
            break
        if time.monotonic() - start > 1800:
            sys.exit("bench: the 1 GiB push did not finish in 30 minutes")
        time.sleep(0.02)
    pushed = time.monotonic() - start
    agent.stop()
    result = pond("verify", "lake", pond_dir=station)
    if not result.startswith("In sync"):
        sys.exit("bench: after the push, verify says: " + result)
    ms = [1000 * x for x in latencies]
    print(
        "  %-42s %8d %8.1f %8.1f %8.1f   (push %.1f s, %s)"
        % (
            "/healthz during a %d MiB push to S3" % BIG_MIB,
            len(ms),
            percentile(ms, 50),
            percentile(ms, 99),
            max(ms),
            pushed,
            "statuses " + ",".join(str(s) for s in sorted(statuses)),
        )
    )
    shutil.rmtree(station)


if "lag" in PARTS:
    print("%-44s %8s %8s %8s %8s" % ("commit-to-replica lag, 0.5 s poll", "p50", "p99", "max", "mean"))
    lag("file")
    lag("s3")
if "idle" in PARTS:
    print("%-44s %8s %8s %8s %8s" % ("idle agent, %d s" % IDLE_SECONDS, "req/min", "polls", "CPU %", "RSS MiB"))
    idle()
if "soak" in PARTS:
    print("%-44s %8s %8s" % ("RSS (MiB), one commit per second", "station", "lab"))
    soak()
if "healthz" in PARTS:
    print("%-44s %8s %8s %8s %8s" % ("/healthz latency (ms)", "requests", "p50", "p99", "max"))
    healthz()
