"""The Python API itself: loading and checking, every input library, bad
input from Python, exactness of decimals, pickling, threads."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal

import pyarrow as pa
import pytest

import baton
from conftest import POLICIES, SAMPLES, jsonl_table

LEADS = """policy "leads" version 1 effective 2026-01-01
  currency USD
record lead key id {
  id: text
  seats: int
  budget: money?
  ratio: decimal?
  tags: set of text
  created: date?
}
score fit for lead {
  add 10 when seats >= 50
  add 5 when "partner" in tags
}
qualify lead {
  stage MQL when budget >= 10_000 USD
  stage SQL when MQL and fit >= 10
}
"""


@pytest.fixture(scope="module")
def leads() -> baton.PolicySet:
    return baton.Policy.from_source(LEADS, "leads.baton")


def one(table: pa.Table) -> dict:
    assert table.num_rows == 1
    return table.to_pylist()[0]


# -- loading and checking ---------------------------------------------------


def test_a_policy_that_fails_its_check_raises_with_every_diagnostic():
    bad = LEADS.replace("seats >= 50", "seets >= 50").replace("budget >= 10_000 USD", "budgte >= 1")
    with pytest.raises(baton.PolicyError) as e:
        baton.Policy.from_source(bad, "bad.baton")
    ds = e.value.diagnostics
    assert [(d.code, d.file, d.line) for d in ds] == [("E0101", "bad.baton", 12), ("E0101", "bad.baton", 16)]
    assert ds[0].column == 15 and ds[0].severity == "error"
    assert ds[0].help == "did you mean `seats`?"
    assert "bad.baton:12:15" in ds[0].rendered and "seets" in ds[0].rendered


def test_check_lists_problems_of_files_and_directories(tmp_path):
    assert baton.check([POLICIES / "qualification", POLICIES / "commission"]) == []
    broken = tmp_path / "broken.baton"
    broken.write_text('policy "p" version 1 effective 2026-01-01\nrecord r key id { id: txt }\n')
    ds = baton.check(broken)
    assert len(ds) == 1 and ds[0].code and ds[0].line == 2
    assert str(broken) in ds[0].rendered


def test_a_policy_directory_resolves_the_version_in_force():
    q = baton.load(POLICIES / "qualification")
    assert q.versions == [1, 2] and q.name == "qualification"
    assert q.version_on("2020-01-01") is None
    assert q.version_on(dt.date(2026, 11, 2)) == 2
    with pytest.raises(ValueError, match="in force"):
        q.qualify(pa.table({"id": ["x"]}), as_of="2020-01-01")
    one_v1 = q.qualify(jsonl_table(SAMPLES / "leads.jsonl").slice(0, 1), as_of="2026-11-02", version=1)
    assert one(one_v1)["version"] == 1


def test_a_policy_pickles_as_its_sources_and_evaluates_the_same(leads):
    back = pickle.loads(pickle.dumps(leads))
    t = pa.table({"id": ["a"], "seats": [80], "budget": ["20000"], "tags": [["partner"]]})
    assert back.qualify(t, as_of="2026-11-02").equals(leads.qualify(t, as_of="2026-11-02"))
    assert back.sources == [("leads.baton", LEADS)]
    shipped = baton.load(POLICIES / "commission")
    assert pickle.loads(pickle.dumps(shipped)).versions == shipped.versions == [1, 2]


# -- inputs from every library ---------------------------------------------


def test_polars_duckdb_pandas_and_row_dicts_give_the_pyarrow_result():
    policy = baton.load(POLICIES / "qualification")
    table = jsonl_table(SAMPLES / "leads.jsonl")
    want = policy.qualify(table, as_of="2026-11-02")
    import duckdb
    import pandas  # noqa: F401  (pyarrow's pandas conversion needs it)
    import polars as pl

    assert policy.qualify(pl.from_arrow(table), as_of="2026-11-02").equals(want)
    rel = duckdb.connect().from_arrow(table)
    assert policy.qualify(rel, as_of="2026-11-02").equals(want)
    assert policy.qualify(table.to_pandas(), as_of="2026-11-02").equals(want)
    assert policy.qualify(table.to_pylist(), as_of="2026-11-02").equals(want)
    assert policy.qualify(table.to_batches(max_chunksize=100)[0], as_of="2026-11-02").equals(
        want.slice(0, 100)
    )


def test_categorical_columns_are_read_by_their_values(leads):
    t = pa.table({"id": ["a", "b"], "seats": [80, 3], "budget": ["20000", "5"], "tags": [["x"], []]})
    cat = t.set_column(0, "id", t.column("id").dictionary_encode())
    assert leads.qualify(cat, as_of="2026-11-02").equals(leads.qualify(t, as_of="2026-11-02"))


# -- bad input: error rows or a clear exception, never a crash ---------------


def test_wrong_column_types_are_error_rows_naming_the_field(leads):
    t = pa.table({"id": ["a", "b"], "seats": [True, False], "tags": [["x"], ["y"]]})
    rows = leads.qualify(t, as_of="2026-11-02").to_pylist()
    assert [r["error"] for r in rows] == ["field `seats`: true is not an int", "field `seats`: false is not an int"]
    assert [(r["key"], r["line"], r["stage"]) for r in rows] == [("a", 1, None), ("b", 2, None)]


def test_missing_columns_and_nulls_in_required_fields(leads):
    no_seats = one(leads.qualify(pa.table({"id": ["a"], "tags": [["x"]]}), as_of="2026-11-02"))
    assert no_seats["error"] == "field `seats` is required but absent"
    null_seats = one(
        leads.qualify(pa.table({"id": ["a"], "seats": pa.array([None], pa.int64()), "tags": [["x"]]}), as_of="2026-11-02")
    )
    assert null_seats["error"] == "field `seats` is required but the cell is empty"
    # A null required set is the empty set, as an empty CSV cell is.
    no_tags = one(
        leads.qualify(pa.table({"id": ["a"], "seats": [1], "tags": pa.array([None], pa.list_(pa.string()))}), as_of="2026-11-02")
    )
    assert no_tags["error"] is None and no_tags["stage"] is None


def test_a_nan_or_an_infinity_is_an_error_row_not_a_number(leads):
    t = pa.table({"id": ["a", "b", "c"], "seats": [1, 1, 1], "ratio": [float("nan"), float("inf"), 0.5], "tags": [[], [], []]})
    rows = leads.qualify(t, as_of="2026-11-02").to_pylist()
    assert rows[0]["error"] == 'field `ratio`: "NaN" is not a decimal'
    assert rows[1]["error"] == 'field `ratio`: "inf" is not a decimal'
    assert rows[2]["error"] is None


def test_a_table_with_zero_rows_gives_zero_rows_with_the_columns(leads):
    empty = pa.table({"id": pa.array([], pa.string())})
    got = leads.qualify(empty, as_of="2026-11-02")
    assert got.num_rows == 0
    assert got.schema.names == ["key", "policy", "version", "stage", "stages.MQL", "stages.SQL", "scores.fit", "error", "line"]
    assert got.schema.field("scores.fit").type == pa.decimal128(38, 18)
    none = leads.clawback  # a policy without a commission block
    with pytest.raises(ValueError, match="commission"):
        none(pa.table({"deal": pa.array([], pa.string())}), pa.table({"event": pa.array([], pa.string())}), as_of="2026-11-02")


def test_unreadable_arrow_types_and_non_tables_raise_type_errors(leads):
    with pytest.raises(TypeError, match="`seats` \\(Binary\\)"):
        leads.qualify(pa.table({"id": ["a"], "seats": pa.array([b"1"], pa.binary())}), as_of="2026-11-02")
    # A column baton does not read is no problem when no field names it.
    ok = leads.qualify(pa.table({"id": ["a"], "seats": [1], "tags": [[]], "blob": [b"x"]}), as_of="2026-11-02")
    assert one(ok)["error"] is None
    with pytest.raises(TypeError, match="Arrow-compatible"):
        leads.qualify(42, as_of="2026-11-02")
    with pytest.raises(ValueError, match="not a date"):
        leads.qualify(pa.table({"id": ["a"]}), as_of="02/11/2026")
    with pytest.raises(TypeError, match="not a datetime"):
        leads.qualify(pa.table({"id": ["a"]}), as_of=dt.datetime(2026, 11, 2))
    handoff = baton.load(POLICIES / "handoff")
    with pytest.raises(ValueError, match="timezone-aware"):
        handoff.sla(pa.table({"handoff": ["H"]}), at=dt.datetime(2026, 11, 2, 12))


def test_malformed_events_and_deals_are_error_lines():
    handoff = baton.load(POLICIES / "handoff")
    events = pa.table({"handoff": ["H-1", None], "type": ["opened", "closed"], "at": ["yesterday", "2026-11-02T00:00:00Z"]})
    rows = handoff.sla(events, at=dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc)).to_pylist()
    assert [(r["handoff"], r["line"], bool(r["error"])) for r in rows] == [("H-1", 1, True), (None, 2, True)]
    commission = baton.load(POLICIES / "commission")
    deals = pa.table({"deal": ["D-1"], "rep": ["ana"], "amount": ["12.345"], "currency": ["USD"],
                      "deal_value": ["1000"], "closed_on": ["2026-03-01"], "segment": ["smb"]})
    events = pa.table({"event": ["E-1"], "deal": ["D-9"], "type": ["cancellation"], "on": ["2026-03-05"]})
    got = commission.clawback(deals, events, as_of="2026-11-02")
    lines = got.ledger.to_pylist()
    assert [(r["deal"], r["status"]) for r in lines] == [("D-9", "error"), ("D-1", "error")]
    assert all(r["amount"] is None for r in lines)
    assert "D-9" in lines[0]["explanation"] and "amount" in lines[1]["explanation"]


# -- exactness ----------------------------------------------------------------


def test_a_score_that_does_not_fit_its_column_is_an_error_row_not_rounded():
    p = baton.Policy.from_source(
        'policy "t" version 1 effective 2026-01-01\n'
        "record lead key id { id: text  n: int }\n"
        "score s for lead { add 0.1234567890123456789 when n > 1  add 1 when n > 0 }\n"
        "qualify lead { stage A when s > 0 }\n"
    )
    rows = p.qualify(pa.table({"id": ["a", "b"], "n": [2, 1]}), as_of="2026-11-02").to_pylist()
    assert rows[0]["scores.s"] is None and rows[0]["stage"] is None
    assert rows[0]["error"] == (
        "`scores.s` = 1.1234567890123456789 does not fit decimal128(38, 18) exactly; it is not rounded "
        "(round it in the policy, or use the CLI, which prints every digit)"
    )
    assert rows[1]["scores.s"] == Decimal(1) and rows[1]["stage"] == "A"
    h = baton.Policy.from_source(
        'policy "h" version 1 effective 2026-01-01\n'
        "record c key id { id: text  n: int }\n"
        "health c {\n  measure m weight 1 { 0.1234567890123456789 when n > 1  else 1 }\n"
        "  band any otherwise\n}\n"
    )
    cards = h.health(pa.table({"id": ["a", "b"], "n": [2, 1]}), as_of="2026-11-02").to_pylist()
    assert "`measures.m` = 0.1234567890123456789 does not fit" in cards[0]["error"]
    assert (cards[1]["measures.m"], cards[1]["score"], cards[1]["band"]) == (Decimal(1), Decimal("1.00"), "any")


def test_money_of_every_minor_unit_is_exact_in_the_ledger():
    commission = baton.load(POLICIES / "commission")
    deals = pa.table({
        "deal": ["J", "B", "U"], "rep": ["ana"] * 3,
        "amount": pa.array([Decimal("10001"), Decimal("100.125"), Decimal("999.99")], pa.decimal128(12, 3)),
        "currency": ["JPY", "BHD", "USD"],
        "deal_value": [30000, 30000, 30000],
        "closed_on": pa.array([dt.date(2026, 3, 1)] * 3, pa.date32()),
        "segment": ["smb"] * 3,
    })
    events = pa.table({"event": ["E1", "E2", "E3"], "deal": ["J", "B", "U"], "type": ["cancellation"] * 3,
                       "on": pa.array([dt.date(2026, 3, 2)] * 3, pa.date32())})
    lines = commission.clawback(deals, events, as_of="2026-11-02").ledger.to_pylist()
    assert [(r["currency"], r["amount"]) for r in lines] == [
        ("JPY", Decimal("-10001")), ("BHD", Decimal("-100.125")), ("USD", Decimal("-999.99"))
    ]
    assert commission.clawback(deals, events, as_of="2026-11-02").ledger.schema.field("amount").type == pa.decimal128(38, 4)


def test_float64_money_is_read_by_its_shortest_round_trip_text(leads):
    # 0.1 + 0.2 is 0.30000000000000004 as a float: read as exactly that.
    t = pa.table({"id": ["a"], "seats": [1], "budget": [10_000 * (0.1 + 0.2) * 1e4 / 3e4], "tags": [[]],
                  "ratio": [0.1 + 0.2]})
    row = one(leads.qualify(t, as_of="2026-11-02"))
    assert row["error"] is None
    p = baton.Policy.from_source(
        'policy "t" version 1 effective 2026-01-01\n'
        "record lead key id { id: text  x: decimal }\n"
        "qualify lead { stage shortest when x == 0.30000000000000004  stage rounded when x == 0.3 }\n"
    )
    got = p.qualify(pa.table({"id": ["a", "b"], "x": [0.1 + 0.2, 0.3]}), as_of="2026-11-02")
    assert got.column("stage").to_pylist() == ["shortest", "rounded"]
    f32 = p.qualify(pa.table({"id": ["a"], "x": pa.array([0.3], pa.float32())}), as_of="2026-11-02")
    assert f32.column("stage").to_pylist() == ["rounded"]  # its own shortest text, not 0.30000001192092896


# -- order and threads --------------------------------------------------------


def test_many_pieces_keep_input_order_and_lines_on_any_thread_count(leads):
    n = 40_000  # more than two pieces of 16,384 rows
    t = pa.table({"id": [f"L-{i}" for i in range(n)], "seats": [i % 100 for i in range(n)],
                  "budget": [str(i) for i in range(n)], "tags": [["partner"] if i % 7 == 0 else [] for i in range(n)]})
    one_thread = leads.qualify(t, as_of="2026-11-02", threads=1)
    two = leads.qualify(t, as_of="2026-11-02", threads=2)
    assert one_thread.equals(two)
    assert one_thread.column("key").to_pylist() == t.column("id").to_pylist()
    assert one_thread.column("line").to_pylist() == list(range(1, n + 1))
    sql = sum(1 for i in range(n) if i >= 10_000 and i % 100 >= 50)
    assert one_thread.column("stage").to_pylist().count("SQL") == sql


def test_explain_adds_the_trace_the_cli_prints(cli):
    import json
    import subprocess

    from conftest import REPO

    table = jsonl_table(SAMPLES / "leads.jsonl").slice(0, 5)
    got = baton.load(POLICIES / "qualification").qualify(table, as_of="2026-11-02", explain=True)
    assert got.schema.names[-3:] == ["explain", "error", "line"]
    out = subprocess.run(
        [str(cli), "qualify", "--policy", "policies/qualification", "--as-of", "2026-11-02", "--explain", "-"],
        input="\n".join(json.dumps(r) for r in table.to_pylist()), capture_output=True, text=True, cwd=REPO,
    ).stdout
    want = [json.loads(l)["explain"] for l in out.splitlines()]
    assert [json.loads(e) for e in got.column("explain").to_pylist()] == want
    assert all(len(w) > 1 for w in want)


# -- found by review: each of these failed before its fix ---------------------


def test_a_list_of_row_dicts_keeps_every_key_any_row_has(cli):
    import json

    from conftest import cli_decision, decision, jsonl, run_cli

    rows = jsonl((SAMPLES / "leads.jsonl").read_text())
    # The first lead lacks fields later leads have.
    assert set(rows[0]) < set().union(*rows)
    got = baton.load(POLICIES / "qualification").qualify(rows, as_of="2026-11-02")
    want = jsonl(run_cli(cli, "qualify", "--policy", "policies/qualification", "--as-of",
                         "2026-11-02", "policies/samples/leads.jsonl"))
    assert [decision(r) for r in got.to_pylist()] == [cli_decision(w) for w in want]
    from conftest import status

    events = [json.loads(l) for l in (SAMPLES / "handoff_events.jsonl").read_text().splitlines()]
    assert "block" not in events[1]
    moved = events[1:2] + events[:1] + events[2:]  # a first row without `block` or `note.id`
    text = "\n".join(json.dumps(e) for e in moved)
    got = baton.load(POLICIES / "handoff").sla(moved, at="2026-12-15T17:00:00Z")
    import subprocess

    from conftest import REPO

    want = jsonl(subprocess.run([str(cli), "sla", "--policy", "policies/handoff", "--at", "2026-12-15T17:00:00Z", "-"],
                                input=text, capture_output=True, text=True, cwd=REPO).stdout)
    assert [status(r) for r in got.to_pylist()] == want
    assert want[0]["block"] == "closed_won_onboarding"


def test_an_error_rows_key_is_the_key_as_the_cli_names_it():
    p = baton.Policy.from_source(
        'policy "p" version 1 effective 2026-01-01\n currency USD\n'
        "record r key id { id: int  m: money }\nqualify r { stage A when m > 0 USD }\n"
    )
    t = pa.table({"id": ["42", "abc", " 7 "], "m": ["5 EUR", "5", "x"]})
    rows = p.qualify(t, as_of="2026-02-01").to_pylist()
    # 42 converted (evaluation failed), "abc" did not, " 7 " converts to 7.
    assert [(r["key"], bool(r["error"])) for r in rows] == [("42", True), ("abc", True), ("7", True)]
    big = pa.table({"id": pa.array([2**63], pa.uint64()), "m": ["1"]})
    assert one(p.qualify(big, as_of="2026-02-01"))["key"] == "9223372036854775808"
    text_key = baton.Policy.from_source(LEADS)
    got = one(text_key.qualify(pa.table({"id": [7], "seats": ["x"], "tags": [[]]}), as_of="2026-02-01"))
    assert (got["key"], got["error"]) == ("7", "field `seats`: \"x\" is not an int")
    assert text_key.qualify(pa.table({"id": ["a"]}), as_of="2026-02-01").schema.field("key").type == pa.string()


def test_polars_categoricals_and_enums_are_read_by_their_values(leads):
    import polars as pl

    t = pa.table({"id": ["a", "b"], "seats": [80, 3], "budget": ["20000", "5"], "tags": [["x"], []]})
    want = leads.qualify(t, as_of="2026-11-02")
    df = pl.from_arrow(t)
    assert leads.qualify(df.with_columns(pl.col("id").cast(pl.Categorical)), as_of="2026-11-02").equals(want)
    enum = pl.Enum(["5", "20000"])
    assert leads.qualify(df.with_columns(pl.col("budget").cast(enum)), as_of="2026-11-02").equals(want)


def test_a_naive_timestamp_is_its_date_at_midnight_and_an_error_otherwise(cli, tmp_path):
    import csv
    import json

    import pyarrow.json as pajson

    from conftest import cli_ledger_rows, ledger_rows, run_cli

    # The sample deals and events as JSON lines: pyarrow's reader infers
    # `closed_on` and `on` as naive timestamps at midnight.
    for name in ("deals", "deal_events"):
        with open(SAMPLES / f"{name}.csv", newline="") as f, open(tmp_path / f"{name}.jsonl", "w") as out:
            for r in csv.DictReader(f):
                out.write(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n")
    deals, events = pajson.read_json(tmp_path / "deals.jsonl"), pajson.read_json(tmp_path / "deal_events.jsonl")
    assert deals.schema.field("closed_on").type == pa.timestamp("s")
    got = baton.load(POLICIES / "commission").clawback(deals, events, as_of="2026-11-30")
    want = run_cli(cli, "clawback", "--policy", "policies/commission", "--deals", str(tmp_path / "deals.jsonl"),
                   "--events", str(tmp_path / "deal_events.jsonl"), "--as-of", "2026-11-30")
    assert ledger_rows(got.ledger) == cli_ledger_rows(want)
    # Any other wall-clock time names no instant: an error row, not a guess.
    p = baton.Policy.from_source(LEADS)
    t = pa.table({"id": ["a", "b"], "seats": [1, 1], "tags": [[], []],
                  "created": pa.array([dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 1, 23, 30)], pa.timestamp("us"))})
    rows = p.qualify(t, as_of="2026-11-02").to_pylist()
    assert rows[0]["error"] is None
    assert rows[1]["error"] == 'field `created`: "2026-03-01T23:30:00" is not a date (YYYY-MM-DD)'


def test_a_posted_ledger_read_by_pandas_reverses_with_its_days(cli, tmp_path):
    import pandas as pd

    from conftest import cli_ledger_rows, csv_text_table, ledger_rows, run_cli

    booked = tmp_path / "booked.csv"
    booked.write_text(run_cli(cli, "clawback", "--policy", "policies/commission",
                              "--deals", "policies/samples/deals.csv",
                              "--events", "policies/samples/deal_events.csv", "--as-of", "2026-11-30"))
    events = csv_text_table(SAMPLES / "deal_events.csv")
    fewer = events.filter(pa.compute.not_equal(events.column("event"), "E-003683-1"))
    fewer_csv = tmp_path / "events.csv"
    import pyarrow.csv as pacsv

    pacsv.write_csv(fewer, fewer_csv, pacsv.WriteOptions(quoting_style="needed"))
    want = run_cli(cli, "clawback", "--policy", "policies/commission", "--deals", "policies/samples/deals.csv",
                   "--events", str(fewer_csv), "--as-of", "2026-11-30", "--posted", str(booked))
    policy = baton.load(POLICIES / "commission")
    deals = csv_text_table(SAMPLES / "deals.csv")
    from_pandas = policy.clawback(deals, fewer, as_of="2026-11-30", posted=pd.read_csv(booked))
    assert pd.read_csv(booked)["days_retained"].dtype == "float64"  # widened for its empty cells
    assert ledger_rows(from_pandas.ledger) == cli_ledger_rows(want)
    reversal = [r for r in from_pandas.ledger.to_pylist() if r["event"] == "E-003683-1"]
    assert reversal and reversal[0]["days_retained"] == 3


def test_check_takes_a_folder_of_policies_and_renders_as_the_cli(cli):
    assert baton.check(POLICIES) == []
    bad = LEADS.replace("seats >= 50", "seets >= 50")
    with pytest.raises(baton.PolicyError) as e:
        baton.Policy.from_source(bad, "bad.baton")
    assert "  --> bad.baton:12:15" in e.value.diagnostics[0].rendered


def test_dates_and_instants_take_the_cli_forms_only(leads):
    for text in ("2026-2-1", "+2026-02-01", "2026-02-01T00:00:00Z"):
        with pytest.raises(ValueError, match="not a date"):
            leads.qualify(pa.table({"id": ["a"]}), as_of=text)
    with pytest.raises(ValueError, match="not an RFC 3339"):
        baton.load(POLICIES / "handoff").sla(pa.table({"handoff": ["H"]}), at="2026-12-15")


def test_float32_reads_as_float64_does(leads):
    for ty in (pa.float32(), pa.float64()):
        t = pa.table({"id": ["a", "b"], "seats": pa.array([2.0, 2.5], ty), "tags": [[], []]})
        rows = leads.qualify(t, as_of="2026-11-02").to_pylist()
        assert [r["error"] for r in rows] == ["field `seats`: 2.0 is not an int", "field `seats`: 2.5 is not an int"]
