"""Every function of the Python API against the CLI: on the shipped samples
(the CLI run here) and on ../shared/examples (their expected outputs).
Values are compared after conversion — decimals as Decimal, exactly."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import baton
from conftest import (
    EXAMPLES,
    POLICIES,
    SAMPLES,
    SUMMARY_DECIMALS,
    cli_decision,
    cli_ledger_rows,
    cli_scorecard,
    csv_text_table,
    decision,
    json_table,
    jsonl,
    jsonl_table,
    ledger_rows,
    loose,
    run_cli,
    scorecard,
    status,
)


# -- the shipped policies and samples, against the CLI run here ------------


def test_qualify_matches_the_cli_on_the_sample_leads(cli):
    expected = jsonl(
        run_cli(cli, "qualify", "--policy", "policies/qualification", "--as-of", "2026-11-02",
                "policies/samples/leads.jsonl")
    )
    got = baton.load(POLICIES / "qualification").qualify(
        jsonl_table(SAMPLES / "leads.jsonl"), as_of="2026-11-02"
    )
    assert got.num_rows == len(expected) > 1000
    assert [decision(r) for r in got.to_pylist()] == [cli_decision(e) for e in expected]
    # The samples reach both stages and none: the comparison is not vacuous.
    assert {r["stage"] for r in got.to_pylist()} >= {"MQL", "SQL", None}


def test_health_matches_the_cli_on_the_sample_accounts(cli):
    expected = jsonl(
        run_cli(cli, "health", "--policy", "policies/health", "--as-of", "2026-11-30",
                "policies/samples/accounts.jsonl")
    )
    got = baton.load(POLICIES / "health").health(
        jsonl_table(SAMPLES / "accounts.jsonl"), as_of="2026-11-30"
    )
    assert got.num_rows == len(expected) > 100
    assert [scorecard(r) for r in got.to_pylist()] == [cli_scorecard(e) for e in expected]
    assert {r["band"] for r in got.to_pylist()} >= {"healthy", "at_risk", "critical"}


def test_sla_matches_the_cli_on_the_sample_events(cli):
    at = "2026-12-15T17:00:00Z"
    expected = jsonl(
        run_cli(cli, "sla", "--policy", "policies/handoff", "--at", at,
                "policies/samples/handoff_events.jsonl")
    )
    got = baton.load(POLICIES / "handoff").sla(jsonl_table(SAMPLES / "handoff_events.jsonl"), at=at)
    assert got.num_rows == len(expected) > 10
    assert [status(r) for r in got.to_pylist()] == expected


@pytest.mark.parametrize("read", ["as text", "with pyarrow's types"])
def test_clawback_matches_the_cli_on_the_sample_deals(cli, tmp_path, read):
    summary_file = tmp_path / "summary.csv"
    expected = run_cli(
        cli, "clawback", "--policy", "policies/commission",
        "--deals", "policies/samples/deals.csv", "--events", "policies/samples/deal_events.csv",
        "--as-of", "2026-11-30", "--summary", str(summary_file),
    )
    if read == "as text":
        deals, events = csv_text_table(SAMPLES / "deals.csv"), csv_text_table(SAMPLES / "deal_events.csv")
    else:
        # amounts become float64 (read by their shortest text), dates date32
        deals, events = pacsv.read_csv(SAMPLES / "deals.csv"), pacsv.read_csv(SAMPLES / "deal_events.csv")
        assert pa.types.is_floating(deals.schema.field("amount").type)
    got = baton.load(POLICIES / "commission").clawback(deals, events, as_of="2026-11-30")
    assert ledger_rows(got.ledger) == cli_ledger_rows(expected)
    assert len(got.ledger) > 100
    assert ledger_rows(got.summary, SUMMARY_DECIMALS) == cli_ledger_rows(
        summary_file.read_text(), SUMMARY_DECIMALS
    )
    assert got.errors == []


# -- the worked examples, against their expected outputs --------------------

QUALIFY = [
    ("qualify_inbound_demos", "leads.jsonl", "2026-11-02"),
    ("qualify_partner_referrals_csv", "referrals.csv", "2026-11-16"),
]


@pytest.mark.parametrize("folder,input,as_of", QUALIFY)
def test_qualify_examples(folder, input, as_of):
    d = EXAMPLES / folder
    if input.endswith(".csv"):
        table, first_line = csv_text_table(d / input), 2  # the header is line 1
    else:
        table, first_line = jsonl_table(d / input), 1
    got = baton.load(d / "policy.baton").qualify(table, as_of=as_of)
    expected = jsonl((d / "expected.jsonl").read_text())
    assert loose([decision(r, first_line) for r in got.to_pylist()]) == loose(
        [cli_decision(e) for e in expected]
    )


HEALTH = [
    ("health_onboarding_scorecard", "accounts.jsonl", "2026-11-30"),
    ("health_support_load_json", "accounts.json", "2026-12-01"),
]


@pytest.mark.parametrize("folder,input,as_of", HEALTH)
def test_health_examples(folder, input, as_of):
    d = EXAMPLES / folder
    text = (d / input).read_text()
    rows = json.loads(text) if input.endswith(".json") else jsonl(text)
    got = baton.load(d / "policy.baton").health(json_table(rows), as_of=as_of)
    expected = jsonl((d / "expected.jsonl").read_text())
    assert loose([scorecard(r) for r in got.to_pylist()]) == loose(
        [cli_scorecard(e) for e in expected]
    )


SLA = [
    ("sla_emea_onboarding", "2026-12-10T16:00:00Z"),
    ("sla_tier2_escalations", "2026-06-20T12:00:00Z"),
]


@pytest.mark.parametrize("folder,at", SLA)
def test_sla_examples(folder, at):
    d = EXAMPLES / folder
    got = baton.load(d / "policy.baton").sla(jsonl_table(d / "events.jsonl"), at=at)
    assert loose([status(r) for r in got.to_pylist()]) == loose(
        jsonl((d / "expected.jsonl").read_text())
    )


def test_clawback_plan_versions_example():
    d = EXAMPLES / "clawback_plan_versions"
    got = baton.load(d / "policy").clawback(
        csv_text_table(d / "deals.csv"), csv_text_table(d / "events.csv"), as_of="2026-12-31"
    )
    assert ledger_rows(got.ledger) == cli_ledger_rows((d / "expected.csv").read_text())
    assert ledger_rows(got.summary, SUMMARY_DECIMALS) == cli_ledger_rows(
        (d / "expected_summary.csv").read_text(), SUMMARY_DECIMALS
    )


@pytest.mark.parametrize("posted_as", ["path", "table"])
def test_clawback_posted_rerun_example(posted_as):
    d = EXAMPLES / "clawback_posted_rerun"
    policy = baton.load(d / "policy.baton")
    deals, events = csv_text_table(d / "deals.csv"), csv_text_table(d / "events.csv")
    full = policy.clawback(deals, events, as_of="2026-12-15")
    assert ledger_rows(full.ledger) == cli_ledger_rows((d / "expected.csv").read_text())
    posted = d / "posted.csv" if posted_as == "path" else csv_text_table(d / "posted.csv")
    rerun = policy.clawback(deals, events, as_of="2026-12-15", posted=posted)
    assert ledger_rows(rerun.ledger) == cli_ledger_rows((d / "expected_posted.csv").read_text())
    # The ledger baton computed, given back as booked: nothing left to book.
    again = policy.clawback(deals, events, as_of="2026-12-15", posted=full.ledger)
    assert again.ledger.num_rows == 0
