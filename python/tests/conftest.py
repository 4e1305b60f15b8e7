"""Shared helpers: where the repository, the worked examples and the CLI are,
and how results of the Python API are put in the CLI's shape to compare."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
SAMPLES = POLICIES / "samples"
EXAMPLES = REPO.parent / "shared" / "examples"


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `baton` binary: `BATON_BIN`, or built here with cargo."""
    given = os.environ.get("BATON_BIN")
    if given:
        path = Path(given)
        assert path.is_file(), f"BATON_BIN={given} is not a file"
        return path
    subprocess.run(["cargo", "build", "--quiet", "--bin", "baton"], cwd=REPO, check=True)
    path = _target_dir() / "debug" / "baton"
    assert path.is_file(), f"cargo built no binary at {path}"
    return path


def run_cli(cli: Path, *args: str, cwd: Path = REPO) -> str:
    """The CLI's standard output (exit 0 or 1: 1 means some records were errors)."""
    done = subprocess.run([str(cli), *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode in (0, 1), f"baton {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout


def jsonl(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def csv_rows(text: str) -> List[Dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _money_text(v: Any) -> Any:
    # The money object form `{"amount": …, "currency": …}` as the text form
    # baton reads the same way (`5000 EUR`): a column mixing both forms has
    # no single Arrow type.
    if isinstance(v, dict) and set(v) == {"amount", "currency"}:
        return f"{v['amount']} {v['currency']}"
    return v


def json_table(rows: List[Dict[str, Any]]) -> pa.Table:
    """JSON objects as an Arrow table, each column typed as pyarrow infers
    it; a column whose values have no common type (a JSON value of several
    kinds) becomes strings, each value by its JSON text (a string as is)."""
    names: List[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    columns = {}
    for name in names:
        values = [r.get(name) for r in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            mixed = [_money_text(v) for v in values]
            columns[name] = pa.array(
                [None if v is None else v if isinstance(v, str) else json.dumps(v) for v in mixed],
                pa.string(),
            )
    return pa.table(columns) if columns else pa.table({})


def jsonl_table(path: Path) -> pa.Table:
    return json_table(jsonl(path.read_text()))


def csv_text_table(path: Path) -> pa.Table:
    """A CSV file as the CLI reads it: every cell a string, empty cells null."""
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header}),
    )


def loose(results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Error objects compared as the worked examples' README says: by line
    and key or handoff, the wording being free."""
    return [{**r, "error": bool(r["error"])} if "error" in r else r for r in results]


def dec(v: Any) -> Any:
    """A decimal text or value as a Decimal (None stays None)."""
    if v is None or v == "":
        return None
    return Decimal(str(v))


def decision(row: Dict[str, Any], first_line: int = 1) -> Dict[str, Any]:
    """A `qualify` result row in the CLI's JSON shape, numbers as Decimal.
    `first_line` is the CLI line of the table's first row (2 for CSV)."""
    line = row["line"] + first_line - 1
    if row["error"] is not None:
        return {"error": row["error"], "line": line, "key": row["key"]}
    return {
        "key": row["key"],
        "policy": row["policy"],
        "version": row["version"],
        "stage": row["stage"],
        "stages": {k[7:]: v for k, v in row.items() if k.startswith("stages.")},
        "scores": {k[7:]: dec(v) for k, v in row.items() if k.startswith("scores.")},
    }


def cli_decision(obj: Dict[str, Any]) -> Dict[str, Any]:
    if "error" in obj:
        return obj
    return {**obj, "scores": {k: dec(v) for k, v in obj["scores"].items()}}


def scorecard(row: Dict[str, Any], first_line: int = 1) -> Dict[str, Any]:
    line = row["line"] + first_line - 1
    if row["error"] is not None:
        return {"error": row["error"], "line": line, "key": row["key"]}
    return {
        "key": row["key"],
        "policy": row["policy"],
        "version": row["version"],
        "score": dec(row["score"]),
        "band": row["band"],
        "measures": {k[9:]: dec(v) for k, v in row.items() if k.startswith("measures.")},
    }


def cli_scorecard(obj: Dict[str, Any]) -> Dict[str, Any]:
    if "error" in obj:
        return obj
    return {
        **obj,
        "score": dec(obj["score"]),
        "measures": {k: dec(v) for k, v in obj["measures"].items()},
    }


def _ts(t: Any) -> Any:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def status(row: Dict[str, Any]) -> Dict[str, Any]:
    """An `sla` result row in the CLI's JSON shape."""
    if row["error"] is not None:
        return {"error": row["error"], "line": row["line"], "handoff": row["handoff"]}
    goals: Dict[str, Dict[str, Any]] = {}
    for k, v in row.items():
        if k.startswith("goals.") and k.endswith(".state") and v is not None:
            g = k[6:-6]
            p = f"goals.{g}."
            goals[g] = {
                "state": v,
                "target_seconds": row[p + "target_seconds"],
                "elapsed_seconds": row[p + "elapsed_seconds"],
                "due": _ts(row[p + "due"]),
                "met_at": _ts(row[p + "met_at"]),
            }
    return {
        "handoff": row["handoff"],
        "block": row["block"],
        "policy": row["policy"],
        "version": row["version"],
        "opened": _ts(row["opened"]),
        "goals": goals,
        "alerts": [{**a, "at": _ts(a["at"])} for a in row["alerts"]],
        "note": {"complete": row["note.complete"], "missing": row["note.missing"]},
        "flags": row["flags"],
    }


LEDGER_DECIMALS = ("rate", "base", "amount")
SUMMARY_DECIMALS = ("paid", "clawed_back", "reinstated", "bonuses", "net")


def ledger_rows(table: pa.Table, decimals=LEDGER_DECIMALS) -> List[Dict[str, Any]]:
    """Ledger (or summary) rows: decimals as Decimal, the rest as the CSV's text."""
    out = []
    for row in table.to_pylist():
        out.append(
            {
                k: dec(v) if k in decimals else ("" if v is None else str(v))
                for k, v in row.items()
            }
        )
    return out


def cli_ledger_rows(text: str, decimals=LEDGER_DECIMALS) -> List[Dict[str, Any]]:
    return [{k: dec(v) if k in decimals else v for k, v in r.items()} for r in csv_rows(text)]
