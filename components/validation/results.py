"""The outcome of a validation: one row per expectation, grouped per dataset and per gate.

Rows hold plain JSON values only (no numpy, no GX objects), so the same structure feeds DVC
metrics, the markdown summary and the message a failing Prefect task shows (both rendered by
``summary``, which reads these classes; they know nothing of it). GX's own results ride along on
``SuiteResult.gx_results`` for Data Docs only, never in ``to_json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from components.validation.checks import CRITICAL, WARNING, Severity


@dataclass
class ExpectationRow:
    """One expectation's result. ``success`` is None when the check could not run (``note`` says why);
    ``observed`` is the aggregate value for computed checks, else the share of offending rows;
    ``examples`` are up to five offending rows, each naming its id and where it came from."""

    dataset: str
    suite: str
    expectation: str
    gx_type: str
    severity: Severity
    success: bool | None
    observed: Any = None
    unexpected_count: int = 0
    examples: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.success is False


@dataclass
class SuiteResult:
    """One dataset checked against one suite (what ``judgeops validate DATASET --suite NAME`` shows)."""

    dataset: str
    suite: str
    records: int
    rows: list[ExpectationRow] = field(default_factory=list)
    gx_results: list = field(default_factory=list, repr=False, compare=False)  # (GX suite, GX result) per table

    @property
    def passed(self) -> bool:
        return not self.failures(CRITICAL)

    def failures(self, severity: Severity | None = None) -> list[ExpectationRow]:
        return [r for r in self.rows if r.failed and (severity is None or r.severity == severity)]

    def row(self, expectation: str) -> ExpectationRow:
        """The row of one named expectation (KeyError if the suite has no such expectation)."""
        for row in self.rows:
            if row.expectation == expectation:
                return row
        raise KeyError(f"{self.suite} suite has no expectation {expectation!r}")

    def to_json(self) -> dict:
        return GateResult([self]).to_json()


@dataclass
class GateResult:
    """Several datasets validated together; the gate passes when no critical expectation failed.
    A ``SuiteResult`` renders as the gate of that one dataset."""

    results: list[SuiteResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def rows(self) -> list[ExpectationRow]:
        return [row for result in self.results for row in result.rows]

    def failures(self, severity: Severity | None = None) -> list[ExpectationRow]:
        return [row for result in self.results for row in result.failures(severity)]

    def to_json(self) -> dict:
        """DVC metrics: counts at the top (what `dvc metrics diff` compares), per-dataset pass flags,
        then every expectation row."""
        return {
            "passed": self.passed,
            "critical_failures": len(self.failures(CRITICAL)),
            "warning_failures": len(self.failures(WARNING)),
            "skipped": sum(row.success is None for row in self.rows),
            "expectations": len(self.rows),
            "datasets": {
                r.dataset: {
                    "suite": r.suite,
                    "passed": r.passed,
                    "records": r.records,
                    "critical_failures": len(r.failures(CRITICAL)),
                    "warning_failures": len(r.failures(WARNING)),
                }
                for r in self.results
            },
            "rows": [asdict(row) for row in self.rows],
        }
