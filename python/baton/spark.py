"""baton policies on Spark DataFrames, through Arrow.

    >>> from baton import spark as bs
    >>> decisions = bs.qualify(leads_df, "policies/qualification", "2026-11-02")

Every function evaluates with the same native code as :mod:`baton` and the
CLI; Spark only moves the rows:

- The policy is pickled into the function Spark ships, so it travels once
  per task (as its source texts) and is checked again where it lands, not
  once per row or per batch.
- The result schema is declared before any row is read: the driver
  evaluates an *empty* table with the input's Arrow schema (baton's output
  types depend on the policy only). An input column baton cannot read
  fails there, on the driver.
- Output columns keep baton's names (dotted ones such as ``stages.MQL``
  included: quote them with backticks in Spark SQL) and types, except that
  timestamps become Spark's (microseconds, UTC).
- ``as_of`` / ``at`` are resolved once on the driver (a date given as a
  ``datetime.date`` or text; the version in force is then the same in
  every task).
- A null cell reads as an empty CSV cell, as in :mod:`baton`: a field
  some JSON lines omit is null in Spark, so its absence reads as empty
  (a required set as the empty set, a required text as "the cell is
  empty" rather than the CLI's "absent").
- ``qualify``/``health`` evaluate each batch on one thread
  (``threads=1``): Spark's tasks are the parallelism, and baton's own
  threads would compete with them for the executor's cores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Tuple, Union

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.group_ops import PandasCogroupedOps
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
from pyspark.sql.types import StructType

if TYPE_CHECKING:
    import pandas

from . import DateLike, InstantLike, PathLike, PolicySet, _date, _instant

__all__ = ["clawback", "health", "qualify", "sla"]

PolicyLike = Union[PolicySet, PathLike]

# The column carrying each row's input position through a shuffle.
_ORDER = "__baton_order"
# The deal id a clawback group is keyed by: the cell as the engine reads it.
_DEAL = "__baton_deal"


def _policy(policy: PolicyLike) -> PolicySet:
    return policy if isinstance(policy, PolicySet) else PolicySet.load(policy)


def _empty(df: DataFrame) -> pa.Table:
    """A table of no rows with the Arrow schema of ``df``."""
    return to_arrow_schema(df.schema, timezone="UTC").empty_table()


def _declare(df: DataFrame, result: pa.Schema) -> Tuple[StructType, pa.Schema]:
    """The Spark schema of a baton result, and the Arrow schema Spark
    expects each returned batch to have exactly (microsecond UTC
    timestamps, large strings and lists when the session asks for them)."""
    schema = from_arrow_schema(result, prefer_timestamp_ntz=False)
    large = df.sparkSession.conf.get("spark.sql.execution.arrow.useLargeVarTypes", "false")
    target = to_arrow_schema(
        schema, timezone="UTC", prefers_large_types=str(large).lower() == "true"
    )
    return schema, target


def _ordered(df: DataFrame) -> DataFrame:
    if _ORDER in df.columns:
        raise ValueError(f"the input already has a column named {_ORDER!r}")
    return df.withColumn(_ORDER, F.monotonically_increasing_id())


def _restore(table: pa.Table) -> pa.Table:
    """A group's rows back in input order, without the order column."""
    if _ORDER not in table.column_names:  # an empty side of a cogroup
        return table
    helpers = [c for c in (_ORDER, _DEAL) if c in table.column_names]
    return table.sort_by(_ORDER).drop_columns(helpers)


def _by_deal(df: DataFrame) -> DataFrame:
    """``df`` with the deal id its group is keyed by: the ``deal`` cell as
    text without surrounding white space (Unicode's, as the engine trims
    it), so that ``" D-1"`` and ``"D-1"`` land in one group as they are
    one deal."""
    if _DEAL in df.columns:
        raise ValueError(f"the input already has a column named {_DEAL!r}")
    text = F.col("deal").cast("string")
    return _ordered(df).withColumn(_DEAL, F.regexp_replace(text, r"(?U)^\s+|\s+$", ""))


def _apply(grouped: Any, func: Callable[..., pa.Table], schema: StructType) -> DataFrame:
    """``applyInArrow`` on grouped or cogrouped data (Spark >= 4.0), else
    ``applyInPandas`` converting each group through pyarrow (Spark 3.5;
    pandas loses some types on the way, e.g. integers with nulls become
    floats)."""
    if hasattr(grouped, "applyInArrow"):
        return grouped.applyInArrow(func, schema)
    arrow = lambda frame: pa.Table.from_pandas(frame, preserve_index=False)
    if isinstance(grouped, PandasCogroupedOps):  # Spark counts the arguments
        return grouped.applyInPandas(
            lambda left, right: _pandas(func(arrow(left), arrow(right))), schema
        )
    return grouped.applyInPandas(lambda frame: _pandas(func(arrow(frame))), schema)


def _pandas(table: pa.Table) -> "pandas.DataFrame":
    """Strings as Python objects: pandas 3's Arrow-backed strings trip
    Spark's conversion."""
    text = [f.name for f in table.schema if pa.types.is_string(f.type)]
    return table.to_pandas().astype({name: object for name in text})


def _records(
    df: DataFrame, policy: PolicyLike, as_of: DateLike, version: Optional[int], method: str
) -> DataFrame:
    policy = _policy(policy)
    day = _date(as_of, policy.timezone)
    result = getattr(policy, method)(_empty(df), day, version=version)
    schema, target = _declare(df, result.schema)

    def evaluate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = getattr(policy, method)(batch, day, version=version, threads=1)
            yield from out.cast(target).to_batches()

    return df.mapInArrow(evaluate, schema)


def qualify(
    df: DataFrame, policy: PolicyLike, as_of: DateLike, *, version: Optional[int] = None
) -> DataFrame:
    """One decision per lead, as :meth:`baton.PolicySet.qualify`, with
    ``mapInArrow``: each Arrow batch Spark hands a task (at most
    ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows) is evaluated on
    its own, in order.

    ``line`` is a row's 1-based position *within its Arrow batch*, not
    within the input: keep the input's key (or add your own row id column)
    to find a row again. ``policy`` is a :class:`baton.PolicySet` or a path
    to load one from."""
    return _records(df, policy, as_of, version, "qualify")


def health(
    df: DataFrame, policy: PolicyLike, as_of: DateLike, *, version: Optional[int] = None
) -> DataFrame:
    """One scorecard per customer, as :meth:`baton.PolicySet.health`; the
    same batching and ``line`` caveat as :func:`qualify`."""
    return _records(df, policy, as_of, version, "health")


def sla(
    events: DataFrame, policy: PolicyLike, at: InstantLike, *, version: Optional[int] = None
) -> DataFrame:
    """One status per handoff instance at instant ``at``, as
    :meth:`baton.PolicySet.sla`: the events are grouped by ``handoff``
    (events without one form a single group, which yields their error
    rows), and each group's events keep their input order.

    Rows come out in no particular order (per group, not in order of each
    id's first event), and an error row's ``line`` is its event's position
    within its group. ``note`` is a struct column (as ``spark.read.json``
    infers it, with every member any event has); baton leaves a null
    member out of the note, so a ``note_updated`` changes only what it
    names, as in the CLI's JSON lines."""
    policy = _policy(policy)
    instant = _instant(at)
    result = policy.sla(_empty(events), instant, version=version)
    schema, target = _declare(events, result.schema)

    def evaluate(table: pa.Table) -> pa.Table:
        return policy.sla(_restore(table), instant, version=version).cast(target)

    return _apply(_ordered(events).groupBy("handoff"), evaluate, schema)


def clawback(
    deals: DataFrame,
    events: DataFrame,
    policy: PolicyLike,
    as_of: DateLike,
    *,
    version: Optional[int] = None,
) -> DataFrame:
    """The adjustment ledger, as ``baton.PolicySet.clawback(...).ledger``:
    deals and events are cogrouped by ``deal`` and each group is a ledger
    of its own, both sides in input order. Events of an unknown deal (or of
    none) still give their error lines.

    What differs from the CLI:

    - row order: compare ledgers sorted (e.g. by deal, event, kind);
    - the "deals line N" / "events line N" (and "first on line N") of an
      error line's explanation count rows within the deal's group, not
      within the input.

    Nothing else is lost by grouping: the engine keys everything by deal
    (a repeated deal id, a repeated event id of a deal), and the groups are
    keyed by the deal id as the engine reads it (without surrounding white
    space).

    Read CSV inputs with every column as string (empty cells null) to give
    baton the cells the CLI reads. The summary is not computed: aggregate
    the ledger (by rep and currency) in Spark."""
    policy = _policy(policy)
    day = _date(as_of, policy.timezone)
    result = policy.clawback(_empty(deals), _empty(events), day, version=version)
    schema, target = _declare(deals, result.ledger.schema)

    def evaluate(deal_rows: pa.Table, event_rows: pa.Table) -> pa.Table:
        ledger = policy.clawback(
            _restore(deal_rows), _restore(event_rows), day, version=version
        ).ledger
        return ledger.cast(target)

    grouped = _by_deal(deals).groupBy(_DEAL).cogroup(_by_deal(events).groupBy(_DEAL))
    return _apply(grouped, evaluate, schema)
