"""baton.spark against the CLI (qualify, sla, clawback) and against the
plain Python API (health, sla), on the shipped samples (and a few bad rows
added to them), in Spark local mode.

The dates and instants are those of the sample jobs in policies/baton.toml.
The CLI is conftest's: $BATON_BIN, or the debug binary built here with cargo.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

import baton
from baton import spark as bs

from conftest import POLICIES, SAMPLES
from conftest import REPO as ROOT
JOBS = tomllib.loads((POLICIES / "baton.toml").read_text())["jobs"]
QUALIFY_AS_OF = JOBS["weekly_qualification"]["as_of"]
HEALTH_AS_OF = JOBS["health_scorecards"]["as_of"]
SLA_AT = JOBS["handoff_sla"]["at"]
CLAWBACK_AS_OF = JOBS["monthly_clawback"]["as_of"]

LEDGER_TEXT = ("deal", "rep", "event", "kind", "status", "policy", "currency", "explanation")
LEDGER_INT = ("version", "days_retained")
LEDGER_DECIMAL = ("rate", "base", "amount")


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


def run_baton(cli: Path, *args: str, ok: Tuple[int, ...] = (0,)) -> str:
    run = subprocess.run(
        [str(cli), *args], cwd=ROOT, capture_output=True, text=True
    )
    if run.returncode not in ok:
        pytest.fail(f"baton {' '.join(args)} exited {run.returncode}:\n{run.stderr}")
    return run.stdout


def read_strings(spark: Any, path: Path, **options: str) -> Any:
    """A CSV as the CLI reads it: every column text, empty cells null."""
    return spark.read.csv(str(path), header=True, inferSchema=False, **options)


# ---------------------------------------------------------------- qualify


# Leads the samples lack, whose cells Spark reads with the samples' types:
# bad money, a bad date, a bad duration. (A *missing* field is where a
# table and JSON lines differ: a null cell reads as an empty CSV cell.)
BAD_LEADS = (
    '{"id": "L-BAD-1", "company": "X", "industry": "saas", "budget": "lots", '
    '"employees": 10, "features": [], "source": "web", "created": "2026-10-01"}\n'
    '{"id": "L-BAD-2", "company": "X", "industry": "saas", "employees": 10, '
    '"features": [], "source": "web", "created": "2026-02-30"}\n'
    '{"id": "L-BAD-3", "company": "X", "industry": "saas", "employees": 10, '
    '"features": ["api"], "source": "web", "created": "2026-10-01", "timeline": "soon"}\n'
)


@pytest.mark.parametrize("extra, errors", [("", 0), (BAD_LEADS, 3)], ids=["samples", "bad-leads"])
def test_qualify_matches_cli(
    spark: Any, cli: Path, tmp_path: Path, extra: str, errors: int
) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text((SAMPLES / "leads.jsonl").read_text() + extra)
    out = run_baton(cli, "qualify", "--policy", str(POLICIES / "qualification"),
              "--as-of", QUALIFY_AS_OF, str(path), ok=(0, 1) if errors else (0,))
    expected = [json.loads(line) for line in out.splitlines()]
    by_key = {r["key"]: r for r in expected}
    assert len(by_key) == len(expected) == 3000 + errors
    assert sum("error" in r for r in expected) == errors

    leads = spark.read.json(str(path))
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
        assert (s["policy"], s["version"]) == (c.get("policy"), c.get("version")), key
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


# Events the samples lack: no handoff id, a bad instant (H-00001 becomes
# an error row), an event before `opened`.
BAD_EVENTS = (
    '{"type": "cx_replied", "at": "2026-11-30T21:00:00Z"}\n'
    '{"handoff": "H-00001", "type": "cx_replied", "at": "not a time"}\n'
    '{"handoff": "H-99999", "type": "cx_replied", "at": "2026-11-30T21:00:00Z"}\n'
)


def sla_key(row: Dict[str, Any]) -> Tuple[Any, Any]:
    return (row["handoff"] or "", row["error"] or "")


def cli_sla_row(c: Dict[str, Any]) -> Dict[str, Any]:
    """A CLI status as the flat row of the Arrow result (`line` left out)."""
    ts = lambda v: None if v is None else datetime.fromisoformat(v)
    row = {"handoff": c.get("handoff"), "error": c.get("error")}
    if row["error"] is None:
        row.update(block=c["block"], policy=c["policy"], version=c["version"],
                   opened=ts(c["opened"]), flags=c["flags"])
        row["note.complete"] = c["note"]["complete"]
        row["note.missing"] = c["note"]["missing"]
        row["alerts"] = [{**a, "at": ts(a["at"])} for a in c["alerts"]]
        for goal, fields in c["goals"].items():
            for name, value in fields.items():
                row[f"goals.{goal}.{name}"] = ts(value) if name in ("due", "met_at") else value
    return row


def test_sla_matches_python_and_cli(spark: Any, cli: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text((SAMPLES / "handoff_events.jsonl").read_text() + BAD_EVENTS)
    # Small file splits: a handoff's events reach its group from several
    # partitions. (These statuses do not depend on the order of a
    # handoff's events; the repeated deal of the clawback error test does.)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "32768")
    try:
        events = spark.read.json(str(path))
        assert events.rdd.getNumPartitions() > 1
        assert dict(events.dtypes)["note"].startswith("struct<")
        policy = baton.load(POLICIES / "handoff")
        expected = policy.sla(events.toArrow(), SLA_AT).to_pylist()
        # Through Arrow, timestamps stay UTC-aware (collect() makes them naive).
        got = bs.sla(events, policy, SLA_AT).toArrow().to_pylist()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")

    def keyed(rows: List[Dict[str, Any]]) -> Dict[Tuple[Any, Any], Dict[str, Any]]:
        out = {sla_key(r): r for r in rows}
        assert len(out) == len(rows), "a handoff (or an error) came out twice"
        return out

    # Against plain Python: every column but `line` (an error row's line
    # counts events within its group in Spark).
    want, have = keyed(expected), keyed(got)
    assert len(want) == 302 and sum(r["error"] is not None for r in expected) == 3
    assert set(have) == set(want)
    for key, w in want.items():
        h = have[key]
        assert h.keys() == w.keys()
        for column, value in w.items():
            if column != "line":
                assert h[column] == value, (key, column, h[column], value)

    # Against the CLI's JSON lines (it exits 1 on error rows).
    out = run_baton(cli, "sla", "--policy", str(POLICIES / "handoff"), "--at", SLA_AT,
              str(path), ok=(0, 1))
    from_cli = keyed([cli_sla_row(json.loads(line)) for line in out.splitlines()])
    assert set(from_cli) == set(have)
    for key, c in from_cli.items():
        assert {k: have[key][k] for k in c} == c, key


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


def cli_ledger(cli: Path, deals: Path, events: Path, ok: Tuple[int, ...] = (0,)) -> str:
    return run_baton(cli, "clawback", "--policy", str(POLICIES / "commission"),
               "--deals", str(deals), "--events", str(events), "--as-of", CLAWBACK_AS_OF, ok=ok)


def test_clawback_matches_cli(spark: Any, cli: Path) -> None:
    deals, events = SAMPLES / "deals.csv", SAMPLES / "deal_events.csv"
    rows = compare_ledgers(cli_ledger(cli, deals, events), spark_ledger(spark, deals, events))
    assert rows > 3000


def test_clawback_error_lines_match_cli(spark: Any, cli: Path, tmp_path: Path) -> None:
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
    want = cli_ledger(cli, deals, events, ok=(0, 1))
    assert want.count(",error,") == 5
    # Several partitions per file: which D-000001 row stands depends on
    # the deals' input order being kept within the group.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "32768")
    try:
        rows = spark_ledger(spark, deals, events)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert sum(r["status"] == "error" for r in rows) == 5
    compare_ledgers(want, rows, strip_lines=True)


def test_clawback_groups_deal_ids_as_the_engine_reads_them(
    spark: Any, cli: Path, tmp_path: Path
) -> None:
    """A deal id with white space around it is the same deal to the engine
    (found by review: Spark grouped the raw cells, and the ledger changed
    rep, amounts and lines)."""
    deals, events = tmp_path / "deals.csv", tmp_path / "events.csv"
    deals.write_text(
        "deal,rep,amount,currency,deal_value,closed_on,segment\n"
        "D-1,ana,1000.00,USD,10000,2026-09-01,smb\n"
        '"D-2 ",ben,500.00,USD,10000,2026-09-01,smb\n'
        "D-2,cat,700.00,USD,10000,2026-09-01,smb\n"
    )
    events.write_text(
        "event,deal,type,on,reason,lost_value,added_value,rep,team\n"
        'E-1," D-1",cancellation,2026-09-10,poor_fit,,,,\n'
        "E-2,D-2,cancellation,2026-09-20,poor_fit,,,,\n"
        "E-3,D-1,downgrade,2026-09-25,poor_fit,100,,,\n"
    )
    want = cli_ledger(cli, deals, events, ok=(0, 1))
    assert want.count(",error,") == 2  # the repeated deal, the downgrade of a cancelled deal
    compare_ledgers(want, spark_ledger(spark, deals, events), strip_lines=True)


def test_clawback_pandas_fallback(
    spark: Any, cli: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    """Without cogrouped applyInArrow (Spark < 4), applyInPandas. On the
    first 400 deals and their events (a group at a time through pandas is
    slow), plus an event of an unknown deal."""
    from pyspark.sql.pandas.group_ops import PandasCogroupedOps

    monkeypatch.delattr(PandasCogroupedOps, "applyInArrow")
    deal_lines = (SAMPLES / "deals.csv").read_text().splitlines(keepends=True)[:401]
    kept = {line.split(",", 1)[0] for line in deal_lines[1:]}
    event_lines = (SAMPLES / "deal_events.csv").read_text().splitlines(keepends=True)
    events_kept = [event_lines[0]] + [l for l in event_lines[1:] if l.split(",")[1] in kept]
    assert len(events_kept) > 50
    deals, events = tmp_path / "deals.csv", tmp_path / "events.csv"
    deals.write_text("".join(deal_lines))
    events.write_text("".join(events_kept) + "E-X-1,D-999999,cancellation,2026-10-01,poor_fit,,,,\n")
    want = cli_ledger(cli, deals, events, ok=(0, 1))
    compare_ledgers(want, spark_ledger(spark, deals, events), strip_lines=True)
