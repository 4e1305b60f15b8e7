# %% [markdown]
# # baton from Python: the shipped policies on the shipped samples
#
# Run from anywhere: `python python/examples/walkthrough.py` (cells marked
# `# %%` open as a notebook in VS Code or Jupyter). Needs `pip install
# ./python polars duckdb`; the last cell also needs `pyspark` and Java.

# %%
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.csv as pacsv

import baton

ROOT = Path(__file__).resolve().parents[2] if "__file__" in globals() else Path.cwd()
POLICIES = ROOT / "policies"
SAMPLES = POLICIES / "samples"

# %% [markdown]
# ## Qualify the sample leads: three lines

# %%
policy = baton.load(POLICIES / "qualification")
leads = pl.read_ndjson(SAMPLES / "leads.jsonl")
decisions = policy.qualify(leads, as_of="2026-11-02")  # a pyarrow.Table
print(decisions.schema)

# %% [markdown]
# ## Summarize with Polars, then with DuckDB

# %%
by_stage = (
    pl.from_arrow(decisions)
    .group_by("stage")
    .agg(pl.len().alias("leads"), pl.col("scores.fit").cast(pl.Float64).mean().alias("mean_fit"))
    .sort("stage", nulls_last=True)
)
print(by_stage)

# DuckDB reads the Arrow table in place (a replacement scan of the variable).
print(
    duckdb.sql(
        'select version, stage, count(*) as leads, max("scores.fit") as best_fit '
        "from decisions group by all order by all"
    )
)

# %% [markdown]
# ## The clawback ledger, exact to the cent

# %%
plan = baton.load(POLICIES / "commission")
result = plan.clawback(
    pacsv.read_csv(SAMPLES / "deals.csv"),
    pacsv.read_csv(SAMPLES / "deal_events.csv"),
    as_of="2026-11-30",
)
ledger, summary = result.ledger, result.summary
print(ledger.slice(0, 3).to_pylist())
# Amounts are decimal128: sums stay exact (no float rounding) per currency.
print(
    duckdb.sql(
        "select currency, sum(amount) as clawed_back from ledger "
        "where kind = 'clawback' group by currency order by currency"
    )
)
print(pl.from_arrow(summary).head())

# %% [markdown]
# ## The same policy on Spark
#
# `baton.spark` runs the policy inside `mapInArrow` (qualify, health) and
# grouped `applyInArrow` (sla per handoff, clawback per deal): the pickled
# policy travels to each task once, and the results equal the ones above.

# %%
try:
    from pyspark.sql import SparkSession
except ImportError:  # pyspark is optional
    SparkSession = None

if SparkSession is not None:
    import baton.spark

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    leads_df = spark.createDataFrame(leads.to_pandas())
    spark_decisions = baton.spark.qualify(leads_df, policy, as_of="2026-11-02")
    spark_decisions.groupBy("stage").count().orderBy("stage").show()
    deals_df = spark.read.csv(str(SAMPLES / "deals.csv"), header=True)
    events_df = spark.read.csv(str(SAMPLES / "deal_events.csv"), header=True)
    spark_ledger = baton.spark.clawback(deals_df, events_df, plan, as_of="2026-11-30")
    print(spark_ledger.count(), "ledger lines on Spark;", ledger.num_rows, "in Python")
    spark.stop()
