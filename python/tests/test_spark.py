"""baton.spark against the CLI (qualify, clawback) and against the plain
Python API (health, sla), on the shipped samples, in Spark local mode.

The dates and instants are those of the sample jobs in policies/baton.toml.
The CLI is $BATON_BIN, or target/debug/baton built here with cargo.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import baton
from baton import spark as bs

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SAMPLES = POLICIES / "samples"
JOBS = tomllib.loads((POLICIES / "baton.toml").read_text())["jobs"]
QUALIFY_AS_OF = JOBS["weekly_qualification"]["as_of"]
HEALTH_AS_OF = JOBS["health_scorecards"]["as_of"]
SLA_AT = JOBS["handoff_sla"]["at"]
CLAWBACK_AS_OF = JOBS["monthly_clawback"]["as_of"]

LEDGER_TEXT = ("deal", "rep", "event", "kind", "status", "policy", "currency", "explanation")
LEDGER_INT = ("version", "days_retained")
LEDGER_DECIMAL = ("rate", "base", "amount")


@pytest.fixture(scope="module")
def baton_bin() -> Path:
    given = os.environ.get("BATON_BIN")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"BATON_BIN={given} is not a file")
        return path
    build = subprocess.run(
        ["cargo", "build", "--bin", "baton"], cwd=ROOT, capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"`cargo build --bin baton` failed (set BATON_BIN to skip it):\n{build.stderr}")
    path = ROOT / "target" / "debug" / "baton"
    if not path.is_file():
        pytest.fail(f"cargo built, but {path} is missing")
    return path


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        pytest.fail(f"pyspark is required for these tests: {e}")
    # Python workers must import this same baton.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("baton-spark-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def cli(baton_bin: Path, *args: str, ok: Tuple[int, ...] = (0,)) -> str:
    run = subprocess.run(
        [str(baton_bin), *args], cwd=ROOT, capture_output=True, text=True
    )
    if run.returncode not in ok:
        pytest.fail(f"baton {' '.join(args)} exited {run.returncode}:\n{run.stderr}")
    return run.stdout


def read_strings(spark: Any, path: Path, **options: str) -> Any:
    """A CSV as the CLI reads it: every column text, empty cells null."""
    return spark.read.csv(str(path), header=True, inferSchema=False, **options)


# ---------------------------------------------------------------- qualify


def test_qualify_matches_cli(spark: Any, baton_bin: Path) -> None:
    out = cli(baton_bin, "qualify", "--policy", str(POLICIES / "qualification"),
              "--as-of", QUALIFY_AS_OF, str(SAMPLES / "leads.jsonl"))
    expected = [json.loads(line) for line in out.splitlines()]
    by_key = {r["key"]: r for r in expected}
    assert len(by_key) == len(expected) == 3000

    leads = spark.read.json(str(SAMPLES / "leads.jsonl"))
    types = dict(leads.dtypes)
    # The JSON types baton must see: a set of text, an int, a bool.
    assert types["features"] == "array<string>"
    assert types["employees"] == "bigint"
    assert types["decision_maker"] == "boolean"

    # Small batches, so that several reach each task.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "700")
    try:
        rows = bs.qualify(leads, POLICIES / "qualification", QUALIFY_AS_OF).collect()
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")

    got = {r["key"]: r.asDict() for r in rows}
    assert len(got) == len(rows), "a key came out twice"
    assert set(got) == set(by_key), (
        f"only in CLI: {sorted(set(by_key) - set(got))[:5]}, "
        f"only in Spark: {sorted(set(got) - set(by_key))[:5]}"
    )
    for key, c in by_key.items():
        s = got[key]
        assert s["policy"] == c["policy"] and s["version"] == c["version"], key
        assert s["stage"] == c.get("stage"), key
        assert s["error"] == c.get("error"), key
        for name, value in (c.get("stages") or {}).items():
            assert s[f"stages.{name}"] == value, (key, name)
        for name, value in (c.get("scores") or {}).items():
            want = None if value is None else Decimal(value)
            assert s[f"scores.{name}"] == want, (key, name, value, s[f"scores.{name}"])
    # `line` counts rows within each Arrow batch, not within the input.
    assert 1 <= min(r["line"] for r in rows) and max(r["line"] for r in rows) <= 700


def test_qualify_schema_is_declared_from_the_policy(spark: Any) -> None:
    leads = spark.read.json(str(SAMPLES / "leads.jsonl"))
    df = bs.qualify(leads.limit(0), baton.load(POLICIES / "qualification"), QUALIFY_AS_OF)
    assert df.columns == [
        "key", "policy", "version", "stage", "stages.MQL", "stages.SQL",
        "scores.fit", "error", "line",
    ]
    types = dict(df.dtypes)
    assert types["scores.fit"] == "decimal(38,18)"
    assert types["stages.MQL"] == "boolean"
    assert df.count() == 0
    # Dotted names are columns, not struct paths.
    assert df.select("`stages.MQL`").count() == 0


# ----------------------------------------------------------------- health


def test_health_matches_python(spark: Any) -> None:
    accounts = spark.read.json(str(SAMPLES / "accounts.jsonl"))
    policy = baton.load(POLICIES / "health")
    expected = policy.health(accounts.toArrow(), HEALTH_AS_OF).to_pylist()
    got = bs.health(accounts, policy, HEALTH_AS_OF).collect()

    def keyed(rows: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
        out = {r["key"]: {k: v for k, v in r.items() if k != "line"} for r in rows}
        assert len(out) == len(rows), "a key came out twice"
        return out

    want, have = keyed(expected), keyed([r.asDict() for r in got])
    assert len(want) == 1000
    assert have == want


# -------------------------------------------------------------------- sla


def test_sla_matches_python(spark: Any) -> None:
    # Small file splits: a handoff's events reach its group from several
    # partitions, so their input order has to be restored.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "32768")
    try:
        events = spark.read.json(str(SAMPLES / "handoff_events.jsonl"))
        assert events.rdd.getNumPartitions() > 1
        assert dict(events.dtypes)["note"].startswith("struct<")
        policy = baton.load(POLICIES / "handoff")
        expected = policy.sla(events.toArrow(), SLA_AT).to_pylist()
        # Through Arrow, timestamps stay UTC-aware (collect() makes them naive).
        got = bs.sla(events, policy, SLA_AT).toArrow().to_pylist()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")

    def keyed(rows: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
        out = {r["handoff"]: r for r in rows}
        assert len(out) == len(rows), "a handoff came out twice"
        return out

    want, have = keyed(expected), keyed(got)
    assert len(want) == 300
    assert set(have) == set(want)
    for handoff, w in want.items():
        h = have[handoff]
        assert h.keys() == w.keys()
        for column, value in w.items():
            assert h[column] == value, (handoff, column, h[column], value)


# --------------------------------------------------------------- clawback


def ledger_row(row: Dict[str, Any], from_cli: bool) -> Tuple[Any, ...]:
    """A ledger row with typed cells: text ('' for empty), int, Decimal."""
    def text(v: Any) -> str:
        return "" if v is None else v

    def number(v: Any, kind: type) -> Any:
        if from_cli:
            return None if v == "" else kind(v)
        return v

    return (
        tuple(text(row[c]) for c in LEDGER_TEXT)
        + tuple(number(row[c], int) for c in LEDGER_INT)
        + tuple(number(row[c], Decimal) for c in LEDGER_DECIMAL)
    )


def compare_ledgers(cli_csv: str, spark_rows: List[Any], *, strip_lines: bool = False) -> int:
    want = [ledger_row(r, True) for r in csv.DictReader(io.StringIO(cli_csv))]
    have = [ledger_row(r.asDict(), False) for r in spark_rows]
    if strip_lines:
        # Error explanations count rows: the CLI within its files, Spark
        # within the deal's group.
        i = LEDGER_TEXT.index("explanation")
        unline = lambda r: r[:i] + (re.sub(r"line \d+", "line N", r[i]),) + r[i + 1:]
        want, have = [unline(r) for r in want], [unline(r) for r in have]
    order = lambda r: (r[0], r[2], r[3])  # deal, event, kind
    want.sort(key=order)
    have.sort(key=order)
    assert len(have) == len(want), f"{len(have)} ledger rows from Spark, {len(want)} from the CLI"
    for w, h in zip(want, have):
        assert h == w, f"\nCLI:   {w}\nSpark: {h}"
    return len(want)


def spark_ledger(spark: Any, deals: Path, events: Path) -> List[Any]:
    return bs.clawback(
        read_strings(spark, deals), read_strings(spark, events),
        POLICIES / "commission", CLAWBACK_AS_OF,
    ).collect()


def cli_ledger(baton_bin: Path, deals: Path, events: Path, ok: Tuple[int, ...] = (0,)) -> str:
    return cli(baton_bin, "clawback", "--policy", str(POLICIES / "commission"),
               "--deals", str(deals), "--events", str(events), "--as-of", CLAWBACK_AS_OF, ok=ok)


def test_clawback_matches_cli(spark: Any, baton_bin: Path) -> None:
    deals, events = SAMPLES / "deals.csv", SAMPLES / "deal_events.csv"
    rows = compare_ledgers(cli_ledger(baton_bin, deals, events), spark_ledger(spark, deals, events))
    assert rows > 3000


def test_clawback_error_lines_match_cli(spark: Any, baton_bin: Path, tmp_path: Path) -> None:
    """Unknown deal, no deal, a bad date, a repeated deal and a repeated
    event: every error line comes out, as the CLI's (line numbers aside)."""
    deals, events = tmp_path / "deals.csv", tmp_path / "events.csv"
    deals.write_text((SAMPLES / "deals.csv").read_text()
                     + "D-000001,chen,1.00,USD,10,2026-03-28,smb\n")
    events.write_text((SAMPLES / "deal_events.csv").read_text()
                      + "E-X-1,D-999999,cancellation,2026-10-01,poor_fit,,,,\n"
                      + "E-X-2,,cancellation,2026-10-02,poor_fit,,,,\n"
                      + "E-X-3,D-000002,cancellation,2026-13-45,poor_fit,,,,\n"
                      + "E-X-4,D-000003,cancellation,2026-10-01,poor_fit,,,,\n"
                      + "E-X-4,D-000003,cancellation,2026-10-02,poor_fit,,,,\n")
    # The CLI exits 1 when the ledger holds error lines.
    want = cli_ledger(baton_bin, deals, events, ok=(0, 1))
    assert want.count(",error,") == 5
    rows = spark_ledger(spark, deals, events)
    assert sum(r["status"] == "error" for r in rows) == 5
    compare_ledgers(want, rows, strip_lines=True)


def test_clawback_pandas_fallback(spark: Any, baton_bin: Path, monkeypatch: Any) -> None:
    """Without cogrouped applyInArrow (Spark < 4), applyInPandas."""
    from pyspark.sql.pandas.group_ops import PandasCogroupedOps

    monkeypatch.delattr(PandasCogroupedOps, "applyInArrow")
    deals, events = SAMPLES / "deals.csv", SAMPLES / "deal_events.csv"
    compare_ledgers(cli_ledger(baton_bin, deals, events), spark_ledger(spark, deals, events))
