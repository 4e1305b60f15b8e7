"""baton: versioned policies for the moment a customer passes from one team
to another — lead qualification, customer health, handoff SLA clocks and
commission clawbacks — evaluated on Arrow tables.

    >>> import baton, pyarrow as pa
    >>> policy = baton.load("policies/qualification")
    >>> decisions = policy.qualify(pa.table({"id": ["L-1"]}), as_of="2026-11-22")

Inputs are any Arrow-compatible table: a pyarrow ``Table`` or
``RecordBatchReader``, a Polars ``DataFrame``, a DuckDB relation, a pandas
``DataFrame`` (through pyarrow), anything with ``__arrow_c_stream__``, or a
list of dicts. Outputs are ``pyarrow.Table`` with the CLI's columns; money
and decimals are exact ``decimal128``. See the README's "Python" section for
the type of every column and how each input type is read.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _baton
from ._baton import Diagnostic, PolicyError

__all__ = [
    "ClawbackResult",
    "Diagnostic",
    "Policy",
    "PolicyError",
    "PolicySet",
    "check",
    "load",
    "to_arrow",
]

PathLike = Union[str, "os.PathLike[str]"]
DateLike = Union[str, _dt.date]
InstantLike = Union[str, _dt.datetime]


class ClawbackResult(NamedTuple):
    """What :meth:`PolicySet.clawback` returns."""

    ledger: pa.Table
    """One line per event, then one per retention bonus (CLI.md) — or,
    against ``posted``, only the lines still to book."""
    summary: pa.Table
    """Per rep and currency: paid, clawed_back, reinstated, bonuses, net."""
    errors: List[str]
    """Against ``posted``: each error line's explanation (error lines are
    not lines to book, as the CLI prints them on standard error). Without
    ``posted`` the error lines are in the ledger and this is empty."""


def to_arrow(data: Any) -> pa.Table:
    """Any Arrow-compatible table as a ``pyarrow.Table`` baton reads.

    Accepts pyarrow tables, record batches and readers, objects exporting
    ``__arrow_c_stream__`` (Polars, DuckDB, …), pandas data frames, a dict
    of columns or a list of row dicts (every key any row has is a column).
    Dictionary-encoded columns (pandas and Polars categoricals) are read
    by their values.
    """
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, pa.RecordBatchReader):
        table = data.read_all()
    elif _is_pandas(data):
        table = pa.Table.from_pandas(data, preserve_index=False)
    elif hasattr(data, "__arrow_c_stream__"):
        table = pa.table(data)
    elif hasattr(data, "to_arrow_table"):  # DuckDB relations before the capsule interface
        table = data.to_arrow_table()
    elif hasattr(data, "arrow") and callable(data.arrow):
        table = data.arrow()
        if isinstance(table, pa.RecordBatchReader):
            table = table.read_all()
    elif isinstance(data, dict):
        table = pa.table(data)
    elif isinstance(data, (list, tuple)):
        # Every key any row has is a column (`from_pylist` would take the
        # first row's keys only, silently dropping the others').
        rows = pa.array(list(data)) if data else None
        if rows is not None and not pa.types.is_struct(rows.type):
            raise TypeError("expected a list of dicts (one per row)")
        table = pa.Table.from_struct_array(rows) if rows is not None else pa.table({})
    else:
        raise TypeError(
            f"expected an Arrow-compatible table, found {type(data).__name__}"
        )
    return table


def _is_pandas(data: Any) -> bool:
    module = type(data).__module__
    return module.startswith("pandas.") and type(data).__name__ == "DataFrame"


def _date(value: Optional[DateLike], timezone: str) -> str:
    if value is None:
        from zoneinfo import ZoneInfo

        return _dt.datetime.now(ZoneInfo(timezone)).date().isoformat()
    if isinstance(value, _dt.datetime):
        raise TypeError("as_of is a date, not a datetime: pass value.date()")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"as_of must be a date or 'YYYY-MM-DD', found {type(value).__name__}")


def _instant(value: InstantLike) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("`at` must be timezone-aware (a naive datetime names no instant)")
        return value.astimezone(_dt.timezone.utc).isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"`at` must be a datetime or an RFC 3339 text, found {type(value).__name__}")


class PolicySet:
    """The versions of one policy, loaded and checked. A single ``.baton``
    file is a set of one version (``Policy`` is this same class).

    Immutable and picklable: it pickles as its source texts and is checked
    again where it is unpickled (a Spark executor, a worker process).
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: "_baton.PolicySet") -> None:
        self._inner = inner

    @classmethod
    def load(cls, path: PathLike) -> "PolicySet":
        """Loads a ``.baton`` file or a policy directory; raises
        :class:`PolicyError` carrying every diagnostic when it fails its
        check."""
        return cls(_baton.PolicySet.load(os.fspath(path)))

    @classmethod
    def from_source(cls, text: str, file: str = "policy.baton") -> "PolicySet":
        """One policy from its text (``file`` names it in diagnostics)."""
        return cls(_baton.PolicySet.from_sources([(file, text)]))

    @classmethod
    def from_sources(cls, sources: Iterable[Tuple[str, str]]) -> "PolicySet":
        """The versions of one policy from ``(file name, text)`` pairs."""
        return cls(_baton.PolicySet.from_sources(list(sources)))

    def __reduce__(self) -> Tuple[Any, Tuple[List[Tuple[str, str]]]]:
        return (PolicySet.from_sources, (self._inner.sources,))

    def __repr__(self) -> str:
        return f"PolicySet({self.name!r}, versions={self.versions!r})"

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def versions(self) -> List[int]:
        return self._inner.versions

    @property
    def timezone(self) -> str:
        """The policy's IANA time zone: an omitted ``as_of`` is today there."""
        return self._inner.timezone

    @property
    def sources(self) -> List[Tuple[str, str]]:
        return self._inner.sources

    @property
    def warnings(self) -> List[Diagnostic]:
        return self._inner.warnings()

    def version_on(self, as_of: DateLike) -> Optional[int]:
        """The version in force on a date, or ``None``."""
        return self._inner.version_on(_date(as_of, self.timezone))

    def qualify(
        self,
        table: Any,
        as_of: Optional[DateLike] = None,
        *,
        version: Optional[int] = None,
        explain: bool = False,
        threads: Optional[int] = None,
    ) -> pa.Table:
        """One decision per lead, in input order: ``key, policy, version,
        stage, stages.NAME…, scores.NAME…, error, line`` (``explain``
        before ``error`` when asked). A lead that cannot be read or
        evaluated is a row with ``error`` set and ``line`` its 1-based row;
        no exception is raised for a bad record."""
        return self._records("qualify", table, as_of, version, explain, threads)

    def health(
        self,
        table: Any,
        as_of: Optional[DateLike] = None,
        *,
        version: Optional[int] = None,
        explain: bool = False,
        threads: Optional[int] = None,
    ) -> pa.Table:
        """One scorecard per customer: ``key, policy, version, score, band,
        measures.NAME…, error, line``."""
        return self._records("health", table, as_of, version, explain, threads)

    def _records(
        self,
        kind: str,
        table: Any,
        as_of: Optional[DateLike],
        version: Optional[int],
        explain: bool,
        threads: Optional[int],
    ) -> pa.Table:
        day = _date(as_of, self.timezone)
        return pa.table(
            self._inner.records(kind, to_arrow(table), day, version, explain, threads)
        )

    def sla(self, events: Any, at: InstantLike, *, version: Optional[int] = None) -> pa.Table:
        """One status per handoff instance at instant ``at``, in order of
        each id's first event: ``handoff, block, policy, version, opened,
        goals.GOAL.{state,target_seconds,elapsed_seconds,due,met_at}…,
        note.complete, note.missing, alerts, flags, error, line``. Events
        are the CLI's event objects, one per row; the ``note`` column is a
        struct (a dict per row)."""
        return pa.table(self._inner.sla(to_arrow(events), _instant(at), version))

    def clawback(
        self,
        deals: Any,
        events: Any,
        as_of: Optional[DateLike] = None,
        *,
        version: Optional[int] = None,
        posted: Optional[Any] = None,
    ) -> ClawbackResult:
        """The adjustment ledger and its per-rep summary (CLI.md).

        ``posted``, a ledger already booked (a table in the ledger's
        columns, or the path of its CSV), makes the ledger the lines still
        to book: the recomputed amount less the booked one per (deal, event,
        kind), and reversals."""
        day = _date(as_of, self.timezone)
        booked: Any = None
        if isinstance(posted, (str, os.PathLike)):
            booked = os.fspath(posted)  # read as the CLI reads `--posted`
        elif posted is not None:
            booked = to_arrow(posted)
        ledger, summary, errors = self._inner.clawback(
            to_arrow(deals), to_arrow(events), day, version, booked
        )
        return ClawbackResult(pa.table(ledger), pa.table(summary), list(errors))


Policy = PolicySet


def load(path: PathLike) -> PolicySet:
    """Loads a ``.baton`` file or a policy directory (see
    :meth:`PolicySet.load`)."""
    return PolicySet.load(path)


def check(paths: Union[PathLike, Sequence[PathLike]]) -> List[Diagnostic]:
    """Checks policy files, policy directories and folders of policy
    directories (as ``baton check`` expands them): every error and warning, each
    with ``code, severity, message, file, line, column, help, rendered``.
    An empty list means clean."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _baton.check([os.fspath(p) for p in paths])
