"""Types of the native module. Use the `baton` package, not this module:
it takes any Arrow-compatible table and returns pyarrow tables."""

from typing import Any, List, Optional, Sequence, Tuple, final

__all__ = ["ArrowStream", "Diagnostic", "PolicyError", "PolicySet", "check"]

class PolicyError(ValueError):
    """A policy failed its check."""

    diagnostics: List["Diagnostic"]

@final
class Diagnostic:
    """One problem found in a policy."""

    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def help(self) -> Optional[str]: ...
    @property
    def rendered(self) -> str: ...

@final
class ArrowStream:
    """Result batches, exported once through the Arrow PyCapsule interface."""

    def __arrow_c_stream__(self, requested_schema: Optional[Any] = None) -> Any: ...

@final
class PolicySet:
    @staticmethod
    def load(path: str) -> "PolicySet": ...
    @staticmethod
    def from_sources(sources: Sequence[Tuple[str, str]]) -> "PolicySet": ...
    @property
    def sources(self) -> List[Tuple[str, str]]: ...
    @property
    def name(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def versions(self) -> List[int]: ...
    def version_on(self, as_of: str) -> Optional[int]: ...
    def warnings(self) -> List[Diagnostic]: ...
    def records(
        self,
        kind: str,
        table: Any,
        as_of: str,
        version: Optional[int] = None,
        explain: bool = False,
        threads: Optional[int] = None,
    ) -> ArrowStream: ...
    def sla(self, events: Any, at: str, version: Optional[int] = None) -> ArrowStream: ...
    def clawback(
        self,
        deals: Any,
        events: Any,
        as_of: str,
        version: Optional[int] = None,
        posted: Optional[Any] = None,
    ) -> Tuple[ArrowStream, ArrowStream, List[str]]: ...

def check(paths: Sequence[str]) -> List[Diagnostic]: ...
