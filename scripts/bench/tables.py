#!/usr/bin/env python3
"""Driver of scripts/bench/tables.sh: makes the data, runs pond, DuckDB and sqlite3 on it, checks that they
agree, and prints seconds and peak RSS side by side.

Every measured step is its own process under /usr/bin/time (DuckDB runs in a python child), so peak RSS is
each engine's own. DuckDB runs twice: single-threaded (SET threads = 1) and with its default threads.
"""
import argparse
import json
import os
import subprocess
import sys
import time

RESULTS = []


def measure(label, command, stdin=None, env=None):
    """Runs command under /usr/bin/time; returns (seconds, peak MiB, stdout)."""
    timing = os.path.join(ARGS.work, "time.txt")
    start = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", timing] + command, stdin=stdin, capture_output=True,
        env=env)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"{label}: {command[:3]} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    peak = int(open(timing).read().split()[-1]) / 1024
    return seconds, peak, result.stdout.decode()


def run_duckdb(label, sql, threads):
    """Runs sql in DuckDB in a python child (threads 1: SET threads = 1; 0: DuckDB's default). Returns the
    seconds DuckDB itself took (without the interpreter's start and `import duckdb`, about 0.2 s, which the
    process's own time includes), the process's peak RSS (the interpreter's 30-odd MiB included), and its
    output: the rows, JSON."""
    setting = "c.execute('SET threads = 1')" if threads == 1 else ""
    script = (
        "import duckdb, sys, json, time\n"
        "c = duckdb.connect()\n"
        "c.execute('SET enable_progress_bar = false')\n"
        + setting + "\n"
        "start = time.monotonic()\n"
        "rows = c.execute(sys.argv[1]).fetchall()\n"
        "print(time.monotonic() - start)\n"
        "print(json.dumps([[v if isinstance(v, (int, float)) else str(v) for v in r] for r in rows]))\n")
    total, peak, out = measure(label, [ARGS.python, "-c", script, sql])
    seconds, rows = out.split("\n", 1)
    return float(seconds), peak, json.loads(rows), total


def pond(*arguments):
    return [ARGS.pond_bin] + list(arguments)


def record(step, engine, seconds, peak, note=""):
    RESULTS.append((step, engine, seconds, peak, note))
    print(f"  {step:<34} {engine:<22} {seconds:8.2f} s {peak:8.1f} MiB  {note}", flush=True)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--pond-bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--years", type=int, default=10)
    ARGS = parser.parse_args()
    ARGS.python = sys.executable
    work = ARGS.work
    import duckdb

    # The data: 30-second readings from 2015-01-01, six doubles, one CSV per month (a collector's files).
    months = ARGS.years * 12
    csv_dir = os.path.join(work, "csv")
    os.makedirs(csv_dir)
    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE r AS SELECT TIMESTAMP '2015-01-01' + to_seconds(i * 30) AS time,
          sin(i / 1000.0) * 10 + 5 AS a, cos(i / 777.0) * 3 AS b, (i % 1000) / 7.0 AS c,
          sqrt(i) AS d, (i * 7919 % 10007) / 100.0 AS e, ln(i + 1) AS f
        FROM range(0, {ARGS.years} * 365 * 2880 + {(ARGS.years + 1) // 4} * 2880) t(i)""")
    total = con.execute("SELECT count(*) FROM r").fetchone()[0]
    for m in range(months):
        year, month = 2015 + m // 12, m % 12 + 1
        path = os.path.join(csv_dir, f"{year:04d}-{month:02d}.csv")
        con.execute(f"""COPY (SELECT strftime(time, '%Y-%m-%dT%H:%M:%SZ') AS time, a, b, c, d, e, f FROM r
            WHERE time >= TIMESTAMP '{year:04d}-{month:02d}-01'
              AND time < TIMESTAMP '{year:04d}-{month:02d}-01' + INTERVAL 1 MONTH ORDER BY time)
            TO '{path}' (HEADER)""")
    files = sorted(os.listdir(csv_dir))
    csv_bytes = sum(os.path.getsize(os.path.join(csv_dir, f)) for f in files)
    print(f"data: {total} rows, {len(files)} monthly CSV files, {csv_bytes / 1e6:.0f} MB", flush=True)
    con.close()

    # 1. Ingest.
    env = dict(os.environ, POND=os.path.join(work, "pond"))
    subprocess.run(pond("init"), env=env, check=True, capture_output=True)
    seconds = peak = 0.0
    for f in files:
        s, p, _ = measure("ingest", pond("copy", "--table", "--series", os.path.join(csv_dir, f), "/r"), env=env)
        seconds += s
        peak = max(peak, p)
    record("ingest (monthly CSV appends)", "pond", seconds, peak, f"{len(files)} commits")
    parquet = os.path.join(work, "r.parquet")
    glob = os.path.join(csv_dir, "*.csv")
    for threads, name in [(1, "duckdb 1 thread"), (0, "duckdb default")]:
        target = parquet if threads else parquet + ".2"
        s, p, _, total = run_duckdb("ingest", f"COPY (SELECT * FROM read_csv('{glob}')) TO '{target}' (FORMAT PARQUET)", threads)
        record("ingest (monthly CSV appends)", name, s, p, f"to one Parquet file, in-process; {total:.2f} s as a process")
    db = os.path.join(work, "r.sqlite")
    sqlite_script = os.path.join(work, "import.sql")
    with open(sqlite_script, "w") as out:
        out.write("CREATE TABLE r(time TEXT, a REAL, b REAL, c REAL, d REAL, e REAL, f REAL);\n")
        for f in files:
            out.write(f".import --csv --skip 1 {os.path.join(csv_dir, f)} r\n")
    s, p, _ = measure("ingest", ["sqlite3", db, f".read {sqlite_script}"])
    record("ingest (monthly CSV appends)", "sqlite3", s, p)

    # 2. Queries: the same answer from each engine.
    hourly_pond = ("SELECT substr(time, 1, 13) AS hour, avg(a), avg(b), avg(c), avg(d), avg(e), avg(f) "
                   "FROM r GROUP BY hour ORDER BY hour")
    hourly_duck = ("SELECT time_bucket(INTERVAL 1 HOUR, time) AS hour, avg(a), avg(b), avg(c), avg(d), "
                   f"avg(e), avg(f) FROM '{parquet}' GROUP BY hour ORDER BY hour")
    week = ("WHERE time >= '2015-06-01T00:00:00Z' AND time < '2015-06-08T00:00:00Z'")
    week_pond = f"SELECT count(*), avg(a), min(b), max(c) FROM r {week}"
    week_duck = ("SELECT count(*), avg(a), min(b), max(c) FROM '" + parquet + "' WHERE time >= TIMESTAMP "
                 "'2015-06-01' AND time < TIMESTAMP '2015-06-08'")
    answers = {}
    for step, pond_sql, duck_sql in [("hourly averages (all rows)", hourly_pond, hourly_duck),
                                     ("one-week range query", week_pond, week_duck)]:
        for run in range(2):  # the first pond run also decompresses large versions into local/tables
            s, p, out = measure(step, pond("query", "--format", "csv", "--table", "r=/r", pond_sql), env=env)
        record(step, "pond", s, p, f"{len(out.splitlines()) - 1} rows")
        answers[(step, "pond")] = out.splitlines()[1] if len(out.splitlines()) > 1 else ""
        if step.startswith("hourly"):
            hourly_rows = out.splitlines()
        for threads, name in [(1, "duckdb 1 thread"), (0, "duckdb default")]:
            s, p, out, total = run_duckdb(step, duck_sql, threads)
            record(step, name, s, p, f"in-process; {total:.2f} s as a process")
            answers[(step, name)] = out
        s, p, out = measure(step, ["sqlite3", "-csv", db, pond_sql.replace("FROM r", "FROM r")])
        record(step, "sqlite3", s, p, f"{len(out.splitlines())} rows")
        answers[(step, "sqlite3")] = out.splitlines()[0] if out else ""
    # 3. Reduce to 1h, 6h and 1d (avg, min, max of every column), then again after appending one day.
    config = os.path.join(work, "reduce.yaml")
    with open(config, "w") as out:
        out.write("reduce:\n  input: /r\n  output: /reduced\n  resolutions: 1h, 6h, 1d\ncolumns:\n")
        for column in "abcdef":
            out.write(f"  {column}: avg, min, max\n")
    s, p, out = measure("reduce", pond("reduce", config), env=env)
    record("reduce 1h/6h/1d (full)", "pond", s, p)
    aggregates = ", ".join(f"avg({c}), min({c}), max({c})" for c in "abcdef")
    for threads, name in [(1, "duckdb 1 thread"), (0, "duckdb default")]:
        statements = [f"SELECT count(*) FROM (SELECT time_bucket(INTERVAL {n}, time) AS t, {aggregates} "
                      f"FROM '{parquet}' GROUP BY t)" for n in ["1 HOUR", "6 HOURS", "1 DAY"]]
        s, p, _, total = run_duckdb("reduce", " UNION ALL ".join(statements), threads)
        record("reduce 1h/6h/1d (full)", name, s, p, f"in-process; {total:.2f} s as a process")
    # One more day after the last reading.
    day = os.path.join(work, "day.csv")
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT strftime(t, '%Y-%m-%dT%H:%M:%SZ') AS time, 1.0 AS a, 2.0 AS b, 3.0 AS c,
        4.0 AS d, 5.0 AS e, 6.0 AS f FROM (SELECT max(time) + to_seconds(30 * (i + 1)) AS t
        FROM read_parquet('{parquet}'), range(2880) r(i) GROUP BY i)) TO '{day}' (HEADER)""")
    con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}') UNION ALL SELECT * FROM "
                f"read_csv('{day}')) TO '{parquet}.day' (FORMAT PARQUET)")
    con.close()
    measure("append", pond("copy", "--table", "--series", day, "/r"), env=env)
    s, p, out = measure("reduce", pond("reduce", config), env=env)
    record("reduce after appending one day", "pond", s, p, "incremental")
    for threads, name in [(1, "duckdb 1 thread"), (0, "duckdb default")]:
        statements = [f"SELECT count(*) FROM (SELECT time_bucket(INTERVAL {n}, time) AS t, {aggregates} "
                      f"FROM read_parquet('{parquet}.day') GROUP BY t)" for n in ["1 HOUR", "6 HOURS", "1 DAY"]]
        s, p, _, total = run_duckdb("reduce", " UNION ALL ".join(statements), threads)
        record("reduce after appending one day", name, s, p, f"recomputed, in-process; {total:.2f} s as a process")

    # The answers must agree: the range query's numbers, and every hourly average (pond's hour text against
    # DuckDB's bucket), within 1e-9 relative.
    def close(x, y):
        return abs(float(x) - float(y)) <= 1e-9 * max(abs(float(y)), 1e-300)
    pond_week = answers[("one-week range query", "pond")].split(",")
    duck_week = answers[("one-week range query", "duckdb 1 thread")][0]
    assert all(close(x, y) for x, y in zip(pond_week, duck_week)), (pond_week, duck_week)
    pond_hours = {line.split(",")[0]: line.split(",")[1:] for line in hourly_rows[1:]}
    duck_hours = answers[("hourly averages (all rows)", "duckdb 1 thread")]
    assert len(pond_hours) == len(duck_hours), (len(pond_hours), len(duck_hours))
    for row in duck_hours:
        key = row[0][:13].replace(" ", "T")
        assert all(close(x, y) for x, y in zip(pond_hours[key], row[1:])), (key, pond_hours[key], row)
    print(f"\nagreement: the range query ({pond_week[0]} rows) and all {len(duck_hours)} hourly averages of "
          "pond equal DuckDB's within 1e-9 relative")


if __name__ == "__main__":
    main()
