"""What a suite is made of: named checks, each one Great Expectations expectation with a severity.

A check is plain data (the GX class name and its arguments) so that suites can be built, compared
and printed without importing GX; the engine turns them into GX objects only when it runs them.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

Severity = Literal["critical", "warning"]
CRITICAL: Severity = "critical"
WARNING: Severity = "warning"

BLANK = r"^\s*$"


@dataclass(frozen=True)
class Check:
    """One expectation. ``table`` names the frame it runs on (``raw`` as given plus the schema
    summary columns, ``rows`` with wrongly typed values blanked, or an aggregate the suite computed);
    ``observed`` carries an aggregate's value (a share, a rate) so reports show it whether the check
    passes or not; ``note`` explains the value or, with ``skip``, why the check could not run."""

    name: str
    severity: Severity
    expectation: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    table: str = "rows"
    observed: Any = None
    note: str = ""
    skip: bool = False

    @property
    def columns(self) -> list[str]:
        """The columns the expectation reads; a check whose column is absent is skipped, not failed,
        because the column's own existence check already reports it."""
        if self.expectation == "ExpectColumnToExist":
            return []  # its job is the missing column
        kw = self.kwargs
        names = [kw.get("column"), kw.get("column_A"), kw.get("column_B"), *kw.get("column_list", [])]
        return [name for name in names if name]


def not_blank(columns: list[str], severity: Severity = CRITICAL) -> list[Check]:
    """Whitespace-only text; null is the separate ``not_null`` check, so the report says which."""
    kwargs = [{"column": c, "regex": BLANK} for c in columns]
    return [Check(f"{k['column']}:not_blank", severity, "ExpectColumnValuesToNotMatchRegex", k) for k in kwargs]


def max_length(columns: list[str], max_chars: int) -> list[Check]:
    kwargs = [{"column": c, "max_value": max_chars} for c in columns]
    return [Check(f"{k['column']}:max_length", CRITICAL, "ExpectColumnValueLengthsToBeBetween", k) for k in kwargs]


def record_checks(
    model: type[BaseModel], present: list[str], text: list[str], extra_columns: tuple[str, ...] = ()
) -> list[Check]:
    """Schema and types from the record model itself, so the suites follow components/schemas.py.

    The table has rows; every field without a default exists; the ``text`` columns (the ones a
    stage reads as text) are never null, one GX check each. Types, and nulls in the other
    non-optional fields, are one check each over a per-row summary column (``_type_errors``,
    ``_null_fields``, see ``frames.schema_columns``): a GX expectation per field and type costs
    ~30 ms, and the summary names every bad field of a row at once. Columns the model does not know
    (other than ``extra_columns`` and the validator's own ``_``-prefixed ones) are a warning."""
    checks = [Check("table:not_empty", CRITICAL, "ExpectTableRowCountToBeBetween", {"min_value": 1}, "raw")]
    required = [name for name, info in model.model_fields.items() if info.is_required()]
    checks += [Check(f"{c}:exists", CRITICAL, "ExpectColumnToExist", {"column": c}, "raw") for c in required]
    checks += [Check(f"{c}:not_null", CRITICAL, "ExpectColumnValuesToNotBeNull", {"column": c}, "raw") for c in text]
    checks += [
        Check("schema:types", CRITICAL, "ExpectColumnValuesToBeNull", {"column": "_type_errors"}, "raw"),
        Check("schema:not_null", CRITICAL, "ExpectColumnValuesToBeNull", {"column": "_null_fields"}, "raw"),
    ]
    known = [c for c in present if c in model.model_fields or c in extra_columns or c.startswith("_")]
    kwargs = {"column_set": known, "exact_match": True}
    checks.append(Check("table:known_columns", WARNING, "ExpectTableColumnsToMatchSet", kwargs, "raw"))
    return checks


def field_types(annotation: Any) -> tuple[tuple[str, ...], bool]:
    """(type names for a pydantic annotation, whether None is allowed). Ints and floats are both
    "number": a verdict of 1.0 is a value problem (the in-set check), not a type problem."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        names = tuple(dict.fromkeys(n for a in args for n in field_types(a)[0]))
        return names, len(args) < len(get_args(annotation))
    if origin is Literal:
        return ("str",), False
    base = origin or annotation
    if base is bool:
        return ("bool",), False
    if base in (int, float):
        return ("number",), False
    if base in (list, tuple):
        return ("list",), False
    if base is dict:
        return ("dict",), False
    return ("str",), False
