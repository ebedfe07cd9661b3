#!/usr/bin/env python3
"""pyarrow peer of ParquetBench: writes and reads the SAME rows with the same settings.

The rows are taken from the file ParquetBench wrote (so both sides encode identical data); the timings cover
pyarrow encoding an in-memory Arrow table to a file (zstd at the same level, no dictionary, v1 data pages,
the same page row/byte limits, one row group, no statistics) and reading it back into memory on one thread.
Prints key=value lines like ParquetBench.
"""
import argparse
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="the file ParquetBench wrote")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--page-rows", type=int, default=20000)
    parser.add_argument("--page-bytes", type=int, default=1 << 20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(args.source)
    rows = table.num_rows
    stations = table.column("station").combine_chunks()
    raw_bytes = rows * 8 * 4 + stations.buffers()[2].size + 4 * rows
    path = os.path.join(args.dir, "parquetbench-pyarrow.parquet")
    settings = dict(
        compression="zstd", compression_level=args.level, use_dictionary=False, data_page_version="1.0",
        data_page_size=args.page_bytes, max_rows_per_page=args.page_rows, row_group_size=rows,
        write_statistics=False, store_schema=False)
    best_write = float("inf")
    for _ in range(args.repeats):
        if os.path.exists(path):
            os.remove(path)
        start = time.perf_counter()
        pq.write_table(table, path, **settings)
        best_write = min(best_write, time.perf_counter() - start)
    best_read = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        back = pq.read_table(path, use_threads=False)
        best_read = min(best_read, time.perf_counter() - start)
    if not back.equals(table):
        raise SystemExit("pyarrow read back different rows")
    print("path=%s" % path)
    print("rows=%d" % rows)
    print("raw_bytes=%d" % raw_bytes)
    print("file_bytes=%d" % os.path.getsize(path))
    print("write_seconds=%.6f" % best_write)
    print("read_seconds=%.6f" % best_read)


if __name__ == "__main__":
    try:
        main()
        rc = 0
    except SystemExit as e:
        sys.stderr.write("parquet.py: %s\n" % e)
        rc = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)
