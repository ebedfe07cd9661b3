#!/usr/bin/env python3
"""Driver of scripts/bench/pipeline.sh (docs/benchmarks.md, "Pipeline").

The field pipeline end to end on the release `pond`: a year of 15-minute readings (10 parameters, 5 devices)
collected from the project's fake HydroVu server (scripts/hydrovu/fake_hydrovu.py) by a HydroVu resource and
`pond run`, reduced by a Reduce resource to 1h/6h/1d, and published by `pond site build` (and by a Site
resource, which must write the same bytes); then one more day collected, reduced and the site rebuilt.

The peer, in the same run against the same server: `peer`, below, the plain Python collector a scientist
would write (urllib and pyarrow: a token, the pages of each location's data, parameters joined on their
timestamp, one Parquet file per device). The script checks that pond stored what the peer got (rows, first
and last time, per column the count and the sum of the values: all values are multiples of 1/8 far below
2^53, so the sums are exact in any order) and that pond's reduced series equal DuckDB's GROUP BY over the
peer's files.

Every measured step is its own process under /usr/bin/time (seconds, CPU, peak RSS); the fake server's CPU
time during each collection is read from /proc so that the client's share is visible.
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time

START = 1735689600  # 2025-01-01T00:00:00Z
INTERVAL = 900
DEVICES = 5
PARAMETERS = 10
FIRST_ID = 100
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
SCOPE = "lake"
RESOLUTIONS = ["1h", "6h", "1d"]


# -- the peer: a plain Python collector ---------------------------------------------------------------------

def peer(base_url, client_id, client_secret, start, out_dir, scope):
    """Collects every location's readings since `start` (Unix seconds) into OUT_DIR/<id>.parquet."""
    import urllib.parse
    import urllib.request
    import pyarrow as pa
    import pyarrow.parquet as pq

    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": client_secret,
                                   "scope": "read:locations read:data"}).encode()
    with urllib.request.urlopen(base_url + "/public-api/oauth/token", data=form, timeout=60) as response:
        token = json.load(response)["access_token"]

    def get(path, page=None):
        request = urllib.request.Request(base_url + path, headers={"Authorization": "Bearer " + token})
        if page:
            request.add_header("x-isi-start-page", page)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response), response.headers.get("x-isi-next-page")

    def pages(path):
        page = None
        while True:
            body, page = get(path, page)
            yield body
            if not page:
                return

    names, _ = get("/public-api/v1/sispec/friendlynames")
    locations = [location for body in pages("/public-api/v1/locations/list") for location in body]
    os.makedirs(out_dir, exist_ok=True)
    for location in locations:
        rows = {}  # timestamp -> {column: value}
        columns = []
        for body in pages(f"/public-api/v1/locations/{location['id']}/data?startTime={start}"):
            for parameter in body["parameters"]:
                name = "%s.%s.%s" % (scope, names["parameters"].get(parameter["parameterId"],
                                                                   parameter["parameterId"]),
                                     names["units"].get(parameter["unitId"], parameter["unitId"]))
                if name not in columns:
                    columns.append(name)
                for reading in parameter["readings"]:
                    rows.setdefault(reading["timestamp"], {})[name] = reading["value"]
        times = sorted(rows)
        table = pa.table(
            [pa.array([t * 1_000_000 for t in times], pa.timestamp("us", tz="UTC"))]
            + [pa.array([rows[t].get(c) for t in times], pa.float64()) for c in columns],
            names=["time"] + columns)
        pq.write_table(table, os.path.join(out_dir, f"{location['id']}.parquet"), compression="zstd")


# -- the benchmark -------------------------------------------------------------------------------------------

RESULTS = []


CPU = {}  # label -> the CPU seconds (user + system) of its last measured process


def measure(label, command, env=None):
    """Runs command under /usr/bin/time; returns (seconds, peak MiB, stdout)."""
    timing = os.path.join(ARGS.work, "time.txt")
    start = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", timing] + command, capture_output=True,
                            env=env)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"{label}: {' '.join(command[:3])} failed ({result.returncode}):\n"
                 f"{result.stdout.decode()[-2000:]}{result.stderr.decode()[-3000:]}")
    user, system, peak = open(timing).read().split()[-3:]
    CPU[label] = float(user) + float(system)
    return seconds, int(peak) / 1024, result.stdout.decode()


def record(step, who, seconds, peak, note=""):
    RESULTS.append((step, who, seconds, peak, note))
    print(f"  {step:<40} {who:<8} {seconds:8.2f} s {peak:8.1f} MiB  {note}", flush=True)


class Server:
    """The fake HydroVu server, on 127.0.0.1; stopped by its PID."""

    def __init__(self, end, port=0):
        self.process = subprocess.Popen(
            [ARGS.python, ARGS.fake, "--port", str(port), "--start", str(START), "--end", str(end),
             "--devices", str(DEVICES), "--parameters", str(PARAMETERS), "--interval", str(INTERVAL),
             "--page-size", str(ARGS.page_size), "--first-id", str(FIRST_ID),
             "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET],
            stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu(self):
        """The server's CPU seconds so far (user + system)."""
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def tree(path):
    """(files, bytes) under path."""
    files = size = 0
    for directory, _, names in os.walk(path):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(directory, name))
    return files, size


class References(html.parser.HTMLParser):
    """The files a page loads as it opens: stylesheets, icon, scripts; and its pondSite.start configuration."""

    def __init__(self):
        super().__init__()
        self.files = []
        self.inline = []
        self.in_script = False

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "link" and attributes.get("href"):
            self.files.append(attributes["href"])
        if tag == "script":
            if attributes.get("src"):
                self.files.append(attributes["src"])
            else:
                self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.inline.append(data)


def page_weight(site, page):
    """Bytes a browser loads for the first view of `page`: the html, what it links and its scripts, and the
    data files site.js loads first (every chunk of the coarsest resolution: pondSite.start's `whole()`)."""
    parser = References()
    text = open(page, encoding="utf-8").read()
    parser.feed(text)
    base = os.path.dirname(page)
    files = [page] + [os.path.normpath(os.path.join(base, f)) for f in parser.files]
    for script in parser.inline:
        match = re.search(r"pondSite\.start\((.*)\);", script, re.S)
        if match:
            config = json.loads(match.group(1))
            if config.get("range") and config["resolutions"]:
                coarsest = config["resolutions"][-1]
                files += [os.path.join(base, f"res={coarsest['name']}", f"{n}.js") for n in coarsest["chunks"]]
    for f in files:
        assert os.path.isfile(f), f"{page} loads {f}, which the site does not hold"
    return sum(os.path.getsize(f) for f in files), len(files), \
        ", ".join(f"{os.path.relpath(f, site)} {os.path.getsize(f) / 1e3:.1f} kB" for f in files)


def site_figures(site):
    files, size = tree(site)
    largest = max(((os.path.getsize(os.path.join(d, n)), os.path.relpath(os.path.join(d, n), site))
                   for d, _, names in os.walk(site) for n in names))
    data = max((os.path.getsize(os.path.join(d, n)), os.path.relpath(os.path.join(d, n), site))
               for d, _, names in os.walk(site) for n in names if "/res=" in d)
    largest = (largest, data)
    pages = [os.path.join(d, n) for d, _, names in os.walk(site) for n in names if n.endswith(".html")]
    weights = sorted(((page_weight(site, p), os.path.relpath(p, site)) for p in pages), reverse=True)
    return files, size, largest, weights[0], len(pages)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--pond-bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--page-size", type=int, default=1000, help="timestamps per data page")
    parser.add_argument("--dygraphs", default=None)
    parser.add_argument("--rounds", type=int, default=3, help="collections by each side (median reported)")
    ARGS = parser.parse_args()
    ARGS.python = sys.executable
    work = ARGS.work
    started = time.monotonic()
    end = START + ARGS.days * 86400 - INTERVAL  # the fixed "now": the last reading of the last day
    pond_dir = os.path.join(work, "pond")
    env = dict(os.environ, POND=pond_dir, HYDROVU_CLIENT_ID=CLIENT_ID, HYDROVU_CLIENT_SECRET=CLIENT_SECRET)

    def pond(*arguments):
        return [ARGS.pond_bin] + list(arguments)

    server = Server(end)
    servers = [server]
    try:
        timestamps = (end - START) // INTERVAL + 1
        print(f"data: {ARGS.days} days of {INTERVAL // 60}-minute readings from 2025-01-01, {PARAMETERS} "
              f"parameters, {DEVICES} devices: {timestamps * DEVICES:,} rows, "
              f"{timestamps * DEVICES * PARAMETERS:,} readings; fake HydroVu on {server.url}, "
              f"{ARGS.page_size} timestamps per page", flush=True)

        # 1. Collect: the HydroVu resource into a fresh pond, then the peer into a fresh directory, against the
        # same server; ROUNDS times, alternating; the median of each is reported, the last round's data kept.
        resources = os.path.join(work, "pipeline.yaml")
        devices = "".join(f"    - id: {FIRST_ID + i}\n      name: d{FIRST_ID + i}\n      scope: {SCOPE}\n"
                          for i in range(DEVICES))
        with open(resources, "w") as out:
            out.write("kind: HydroVu\nname: lake\nspec:\n"
                      f"  base_url: {server.url}\n"
                      "  client_id: ${env:HYDROVU_CLIENT_ID}\n"
                      "  client_secret: ${env:HYDROVU_CLIENT_SECRET}\n"
                      "  directory: /hydrovu\n"
                      "  max_points_per_run: 100000\n"
                      "  start: 2025-01-01T00:00:00Z\n"
                      "  devices:\n" + devices)
        rounds = {"pond": [], "peer": []}  # (seconds, peak MiB, CPU s, server CPU s)
        for round_ in range(ARGS.rounds):
            shutil.rmtree(pond_dir, ignore_errors=True)
            subprocess.run(pond("init"), env=env, check=True, capture_output=True)
            measure("apply", pond("apply", "-f", resources), env=env)
            cpu = server.cpu()
            s, p, _ = measure("collect", pond("run", "--no-backup", "lake"), env=env)
            rounds["pond"].append((s, p, CPU["collect"], server.cpu() - cpu))
            peer_dir = os.path.join(work, "peer")
            shutil.rmtree(peer_dir, ignore_errors=True)
            cpu = server.cpu()
            s, p, _ = measure("peer", [ARGS.python, os.path.abspath(__file__), "peer", server.url, CLIENT_ID,
                                       CLIENT_SECRET, str(START), peer_dir, SCOPE])
            rounds["peer"].append((s, p, CPU["peer"], server.cpu() - cpu))
            print(f"  round {round_ + 1}: pond {rounds['pond'][-1][0]:.2f} s, peer {rounds['peer'][-1][0]:.2f} s",
                  flush=True)
        pond_files, pond_bytes = tree(pond_dir)
        data_bytes = tree(os.path.join(pond_dir, "data"))[1]
        peer_files, peer_bytes = tree(peer_dir)
        median = {who: sorted(runs)[len(runs) // 2] for who, runs in rounds.items()}
        pond_collect, pond_peak, pond_cpu, pond_server_cpu = median["pond"]
        peer_collect, peer_peak, peer_cpu, peer_server_cpu = median["peer"]
        record(f"collect {ARGS.days} days (pond run, HydroVu)", "pond", pond_collect, pond_peak,
               f"CPU {pond_cpu:.2f} s, server CPU {pond_server_cpu:.2f} s; pond {pond_bytes / 1e6:.2f} MB in "
               f"{pond_files} files")
        record(f"collect {ARGS.days} days (Python peer)", "peer", peer_collect, peer_peak,
               f"CPU {peer_cpu:.2f} s, server CPU {peer_server_cpu:.2f} s; {peer_bytes / 1e6:.2f} MB in "
               f"{peer_files} Parquet files")

        # What each stored: per device rows, first and last time, per column the count and sum of values.
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        describe = subprocess.run(pond("describe", f"/hydrovu/d{FIRST_ID}/readings"), env=env, check=True,
                                  capture_output=True, text=True).stdout
        peer_tables = {f"d{FIRST_ID + i}": pq.read_table(os.path.join(peer_dir, f"{FIRST_ID + i}.parquet"))
                       for i in range(DEVICES)}
        columns = peer_tables[f"d{FIRST_ID}"].column_names[1:]
        for c in columns:
            assert f"{c}" in describe, f"pond describe does not show the column {c}:\n{describe}"
        sums = ", ".join(f'count("{c}"), sum("{c}")' for c in columns)
        _, _, out = measure("check", pond("query", "--format", "csv", "--table", "r=/hydrovu/*/readings",
                                          f"SELECT capture1, count(*), min(time), max(time), {sums} FROM r "
                                          "GROUP BY capture1 ORDER BY capture1"), env=env)
        stored = {line.split(",")[0]: line.split(",")[1:] for line in out.splitlines()[1:]}
        assert sorted(stored) == sorted(peer_tables), (sorted(stored), sorted(peer_tables))
        rows_stored = 0
        for device, table in peer_tables.items():
            times = table.column("time")
            expected = [table.num_rows, pc.min(times).as_py().strftime("%Y-%m-%dT%H:%M:%SZ"),
                        pc.max(times).as_py().strftime("%Y-%m-%dT%H:%M:%SZ")]
            for c in columns:
                expected += [pc.count(table.column(c)).as_py(), pc.sum(table.column(c)).as_py()]
            got = stored[device]
            assert int(got[0]) == expected[0], (device, got[0], expected[0])
            assert got[1].startswith(expected[1].rstrip("Z")) and got[2].startswith(expected[2].rstrip("Z")), \
                (device, got[1:3], expected[1:3])
            for i in range(3, len(expected), 2):
                assert int(got[i]) == expected[i] and float(got[i + 1]) == expected[i + 1], \
                    (device, columns[(i - 3) // 2], got[i:i + 2], expected[i:i + 2])
            rows_stored += int(got[0])
        assert rows_stored == timestamps * DEVICES, (rows_stored, timestamps * DEVICES)
        print(f"  check: pond stored {rows_stored:,} rows ({len(columns)} columns each), equal to the peer's "
              "per device: rows, first/last time, count and exact sum of every column", flush=True)

        # 2. Reduce (a Reduce resource) and the site.
        with open(resources, "a") as out:
            out.write("---\nkind: Reduce\nname: reduced\nspec:\n  reduce:\n    input: /hydrovu/*/readings\n"
                      "    output: /reduced/$1\n    resolutions: [1h, 6h, 1d]\n  columns:\n")
            for c in columns:
                out.write(f"    {c}: avg, min, max\n")
        measure("apply", pond("apply", "-f", resources), env=env)
        s, p, _ = measure("reduce", pond("run", "--no-backup", "reduced"), env=env)
        record("reduce to 1h/6h/1d (pond run, Reduce)", "pond", s, p,
               f"avg/min/max of {len(columns)} columns x {DEVICES} devices")
        reduce_seconds, reduce_peak = s, p

        # pond's buckets equal DuckDB's GROUP BY over the peer's files (closed buckets: pond leaves the
        # newest, still open, bucket of each resolution for the next run).
        import duckdb
        con = duckdb.connect()
        con.execute("SET threads = 1")
        checked = 0
        for resolution, interval in zip(RESOLUTIONS, ["1 HOUR", "6 HOURS", "1 DAY"]):
            aggregates = ", ".join(f'avg("{c}"), min("{c}"), max("{c}")' for c in columns)
            duck = {}
            for device in peer_tables:
                path = os.path.join(peer_dir, device[1:] + ".parquet")
                for row in con.execute(f"SELECT strftime(time_bucket(INTERVAL {interval}, time, "
                                       "TIMESTAMPTZ '1970-01-01 00:00:00+00') AT TIME ZONE 'UTC', "
                                       f"'%Y-%m-%dT%H:%M:%S'), {aggregates} FROM '{path}' GROUP BY 1").fetchall():
                    duck[(device, row[0])] = row[1:]
            names = ", ".join(f'"{c}_{a}"' for c in columns for a in ("avg", "min", "max"))
            _, _, out = measure("check", pond("query", "--format", "csv", "--table",
                                              f"r=/reduced/*/res={resolution}",
                                              f"SELECT capture1, time, {names} FROM r"), env=env)
            lines = out.splitlines()[1:]
            assert len(lines) == len(duck) - DEVICES, (resolution, len(lines), len(duck))
            for line in lines:
                fields = line.split(",")
                expected = duck[(fields[0], fields[1][:19])]
                for x, y in zip(fields[2:], expected):
                    assert abs(float(x) - y) <= 1e-9 * abs(y), (resolution, fields[:2], x, y)
                checked += 1
        print(f"  check: all {checked:,} reduced buckets equal DuckDB's GROUP BY over the peer's files "
              "(within 1e-9 relative; the newest, open bucket of each resolution waits for the next run)",
              flush=True)

        site = os.path.join(work, "site")
        site_command = ["site", "build", "--json", "--title", "Bench", "--series", "/reduced/*",
                        "--info", "/hydrovu/$1/device.json"]
        if ARGS.dygraphs:
            site_command += ["--dygraphs", ARGS.dygraphs]
        s, p, out = measure("site", pond(*site_command, site), env=env)
        report = json.loads(out)
        files, size, largest, (weight, heaviest), pages = site_figures(site)
        record("site build", "pond", s, p, f"{files} files, {size / 1e6:.2f} MB, {pages} pages")
        (largest, largest_data) = largest
        print(f"  site: heaviest first view {heaviest}: {weight[0] / 1e3:.1f} kB in {weight[1]} files "
              f"({weight[2]}); largest file {largest[1]}: {largest[0] / 1e3:.1f} kB; largest data file "
              f"{largest_data[1]}: {largest_data[0] / 1e3:.1f} kB", flush=True)
        site_seconds, site_peak = s, p
        # The same site from a Site resource (`pond run`): the same bytes.
        site_resource = os.path.join(work, "site-resource")
        with open(resources, "a") as out:
            out.write(f"---\nkind: Site\nname: site\nspec:\n  out: {site_resource}\n  title: Bench\n"
                      "  series: /reduced/*\n  info: /hydrovu/$1/device.json\n")
            if ARGS.dygraphs:
                out.write(f"  dygraphs: {ARGS.dygraphs}\n")
        measure("apply", pond("apply", "-f", resources), env=env)
        s, p, _ = measure("site", pond("run", "--no-backup", "site"), env=env)
        record("site build (pond run, Site)", "pond", s, p, "the same bytes as pond site build")
        subprocess.run(["diff", "-r", site, site_resource], check=True)

        # 3. One more day: the server's "now" a day later (same port, so the resource is unchanged).
        server.stop()
        servers.remove(server)
        server = Server(end + 86400, port=server.port)
        servers.append(server)
        s1, p1, _ = measure("collect", pond("run", "--no-backup", "lake"), env=env)
        record("collect one more day", "pond", s1, p1, f"{96 * DEVICES} rows")
        s2, p2, _ = measure("reduce", pond("run", "--no-backup", "reduced"), env=env)
        record("reduce after one more day", "pond", s2, p2, "incremental")
        s3, p3, out = measure("site", pond(*site_command, site), env=env)
        again = json.loads(out)
        record("site rebuild after one more day", "pond", s3, p3,
               f"{again.get('written')} files written, {again.get('kept')} kept, {again.get('removed')} removed")
        _, _, out = measure("check", pond("query", "--format", "csv", "--table", "r=/hydrovu/*/readings",
                                          "SELECT count(*) FROM r"), env=env)
        assert int(out.splitlines()[1]) == (timestamps + 96) * DEVICES, out
        files2, size2, largest2, (weight2, heaviest2), _ = site_figures(site)
    finally:
        for s in servers:
            s.stop()

    total = time.monotonic() - started
    print(f"""
summary (pipeline, {ARGS.days} days x {DEVICES} devices x {PARAMETERS} parameters every 15 minutes):
  collect         pond {pond_collect:.2f} s (CPU {pond_cpu:.2f} s, peak RSS {pond_peak:.1f} MiB), Python peer \
{peer_collect:.2f} s (CPU {peer_cpu:.2f} s, peak RSS {peer_peak:.1f} MiB), medians of {ARGS.rounds}
                  pond/peer: time {pond_collect / peer_collect:.2f}, CPU {pond_cpu / peer_cpu:.2f}; \
the fake server's own CPU meanwhile: {pond_server_cpu:.2f} s (pond), {peer_server_cpu:.2f} s (peer)
                  every round: pond {", ".join(f"{r[0]:.2f}" for r in rounds["pond"])} s; \
peer {", ".join(f"{r[0]:.2f}" for r in rounds["peer"])} s
  stored          {rows_stored:,} rows; pond {pond_bytes / 1e6:.2f} MB on disk ({pond_files} files, \
data/ {data_bytes / 1e6:.2f} MB); \
peer Parquet {peer_bytes / 1e6:.2f} MB
  reduce          {reduce_seconds:.2f} s, peak RSS {reduce_peak:.1f} MiB
  site build      {site_seconds:.2f} s, peak RSS {site_peak:.1f} MiB: {files} files, {size / 1e6:.2f} MB; \
heaviest first view {weight[0] / 1e3:.1f} kB ({heaviest}, {weight[1]} files); largest file {largest[0] / 1e3:.1f} kB \
({largest[1]}), largest data file {largest_data[0] / 1e3:.1f} kB
  one more day    collect {s1:.2f} s, reduce {s2:.2f} s, site rebuild {s3:.2f} s \
({again.get('written')} files written); \
site then {files2} files, {size2 / 1e6:.2f} MB, heaviest view {weight2[0] / 1e3:.1f} kB
  whole run       {total:.0f} s""")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "peer":
        peer(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7])
    else:
        main()
