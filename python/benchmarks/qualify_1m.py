"""Qualifies 1,000,000 leads from an in-memory pyarrow table and the same
leads as JSON lines through the CLI; prints records per second for each.
A benchmark, not a test: run it by hand on a quiet machine.

    python python/benchmarks/qualify_1m.py [--rows N] [--cli PATH] [--spark]

The leads are the shipped samples (policies/samples/leads.jsonl) repeated
with fresh ids. The CLI is the release binary (`cargo build --release`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

import baton

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-02"


def leads(n: int) -> list:
    base = [json.loads(l) for l in (REPO / "policies/samples/leads.jsonl").read_text().splitlines()]
    out = []
    for i in range(n):
        row = dict(base[i % len(base)])
        row["id"] = f"L-{i:07d}"
        out.append(row)
    return out


def best(f, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cli", default=str(REPO / "target/release/baton"))
    ap.add_argument("--spark", action="store_true", help="also time baton.spark.qualify on local[2]")
    a = ap.parse_args()

    rows = leads(a.rows)
    table = pa.Table.from_pylist(rows)
    policy = baton.load(REPO / "policies/qualification")
    print(f"{a.rows:,} leads, {os.cpu_count()} cores, pyarrow {pa.__version__}")

    result = policy.qualify(table, as_of=AS_OF)
    assert result.num_rows == a.rows and result.column("error").null_count == a.rows
    t = best(lambda: policy.qualify(table, as_of=AS_OF))
    print(f"python, pyarrow table  : {t:6.3f} s  {a.rows / t:12,.0f} records/s")
    t1 = best(lambda: policy.qualify(table, as_of=AS_OF, threads=1))
    print(f"python, one thread     : {t1:6.3f} s  {a.rows / t1:12,.0f} records/s")

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "leads.jsonl"
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        cmd = [a.cli, "qualify", "--policy", str(REPO / "policies/qualification"), "--as-of", AS_OF,
               "--output", str(Path(d) / "out.jsonl"), str(path)]
        if not Path(a.cli).is_file():
            sys.exit(f"no CLI at {a.cli}: cargo build --release first")
        t = best(lambda: subprocess.run(cmd, check=True))
        print(f"CLI, JSON lines        : {t:6.3f} s  {a.rows / t:12,.0f} records/s")

    if a.spark:
        from pyspark.sql import SparkSession

        import baton.spark as bs

        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.sql.session.timeZone", "UTC").getOrCreate())
        df = spark.createDataFrame(table.to_pandas()).cache()
        df.count()
        t = best(lambda: bs.qualify(df, policy, AS_OF).write.format("noop").mode("overwrite").save(), runs=2)
        print(f"spark local[2]         : {t:6.3f} s  {a.rows / t:12,.0f} records/s")
        spark.stop()


if __name__ == "__main__":
    main()
