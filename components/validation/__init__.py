"""Validation gates: Great Expectations suites for every dataset the pipeline writes.

``validate_records`` / ``validate_file`` check one dataset against one suite ("questions",
"answers", "pairs", "splits", "judgments") and return a ``SuiteResult``; ``run_gate`` checks several
and returns a ``GateResult`` (``passed``, ``to_json``); ``markdown`` and ``failure_message`` render
either. Each expectation is critical (fails the gate) or a warning (reported only). GX itself is
imported on the first validation, so importing this package stays cheap.
"""

from components.validation.results import ExpectationRow, GateResult, SuiteResult
from components.validation.runner import run_gate, validate_file, validate_records
from components.validation.suites import SUITES
from components.validation.summary import failure_message, markdown

__all__ = [
    "SUITES",
    "ExpectationRow",
    "GateResult",
    "SuiteResult",
    "failure_message",
    "markdown",
    "run_gate",
    "validate_file",
    "validate_records",
]
