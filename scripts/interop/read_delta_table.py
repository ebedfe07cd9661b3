"""Independent reader for the interoperability tests.

Reads one version of a Delta table with deltalake (its pyarrow path and its DataFusion path), and the Parquet
files the Swift side says are live at that version with pyarrow.parquet and duckdb read_parquet. For each engine
it prints the row count and the SHA-256 of the canonical row text, which the Swift test computes the same way:

  value: null -> "N", bool -> "B0"/"B1", integer -> "I<decimal>", string -> "S<hex of UTF-8>",
         binary -> "X<hex>", timestamp -> "T<microseconds since epoch, UTC>"
  row:   values in the given column order joined by ","
  table: rows sorted bytewise, each followed by "\n"

usage: read_delta_table.py TABLE_DIR VERSION COLUMNS(comma-separated) [LIVE_FILE ...]
"""
import hashlib
import json
import os
import sys


def canonical_rows(table, columns):
    import pyarrow as pa
    import pyarrow.types as t

    encoded_columns = []
    for name in columns:
        col = table.column(name)
        typ = col.type
        if t.is_timestamp(typ):
            values = col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
            enc = lambda v: "T%d" % v
        elif t.is_boolean(typ):
            values = col.to_pylist()
            enc = lambda v: "B1" if v else "B0"
        elif t.is_integer(typ):
            values = col.to_pylist()
            enc = lambda v: "I%d" % v
        elif t.is_string(typ) or t.is_large_string(typ) or str(typ) == "string_view":
            values = col.to_pylist()
            enc = lambda v: "S" + v.encode("utf-8").hex()
        elif t.is_binary(typ) or t.is_large_binary(typ) or str(typ) == "binary_view":
            values = col.to_pylist()
            enc = lambda v: "X" + bytes(v).hex()
        else:
            raise SystemExit("unsupported column type %s for %s" % (typ, name))
        encoded_columns.append(["N" if v is None else enc(v) for v in values])
    rows = [",".join(parts) for parts in zip(*encoded_columns)] if encoded_columns else []
    return rows


def summary(table, columns):
    rows = sorted(r.encode() for r in canonical_rows(table, columns))
    h = hashlib.sha256()
    for r in rows:
        h.update(r)
        h.update(b"\n")
    return {"count": len(rows), "sha256": h.hexdigest()}


def main():
    path, version, columns = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    live = sys.argv[4:]
    import pyarrow as pa
    import pyarrow.parquet as pq
    import duckdb
    from deltalake import DeltaTable, QueryBuilder

    out = {}
    dt = DeltaTable(path, version=version)
    out["deltalake_version"] = dt.version()
    out["deltalake_pyarrow"] = summary(dt.to_pyarrow_table(), columns)
    reader = QueryBuilder().register("t", dt).execute("SELECT * FROM t")
    out["deltalake_datafusion"] = summary(pa.table(reader), columns)
    files = [os.path.join(path, f) for f in live]
    if files:
        out["pyarrow_parquet"] = summary(pa.concat_tables([pq.read_table(f) for f in files]), columns)
        con = duckdb.connect()
        rel = con.sql("SELECT * FROM read_parquet(%s)" % json.dumps(files).replace('"', "'"))
        out["duckdb"] = summary(rel.to_arrow_table(), columns)
    else:
        empty = {"count": 0, "sha256": hashlib.sha256(b"").hexdigest()}
        out["pyarrow_parquet"] = empty
        out["duckdb"] = empty
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    rc = 0
    try:
        main()
    except SystemExit as e:
        sys.stderr.write(str(e) + "\n")
        rc = 2
    except Exception as e:  # report any reader's failure as a failure of the check, with its message
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        rc = 1
    sys.stderr.flush()
    os._exit(rc)
