"""The five suites, in code so they are versioned with the schemas and the params they read.

Each suite turns one dataset (as a raw frame) into a ``Plan``: the frames to check (the raw records,
their type-clean copy, and aggregates computed with pandas) and the checks to run on each. Checks on
aggregates (shares, leakage, sources per question) are ordinary GX expectations on a small computed
frame, so they report offending labels, questions or splits the same way row checks report rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd
from pydantic import BaseModel

from components.config import ValidateParams
from components.schemas import VERDICTS, Answer, Judgment, Pair, Question
from components.validation import frames
from components.validation.checks import CRITICAL, WARNING, Check, max_length, not_blank, record_checks

SPLITS = ("train", "val", "test")
REQUIRED_SPLITS = ("train", "test")  # val may be empty: generate.split.val can be 0


@dataclass
class Table:
    """A frame to validate and the columns that name a row of it in reports."""

    frame: pd.DataFrame
    index: list[str]


@dataclass
class Plan:
    tables: dict[str, Table] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)


Builder = Callable[[pd.DataFrame, ValidateParams, dict], Plan]


def questions(raw: pd.DataFrame, params: ValidateParams, extra: dict) -> Plan:
    plan = _records(raw, Question, list(Question.required_text))
    plan.checks += [
        _unique("id"),
        *max_length(["instruction", "input", "reference"], params.max_text_chars),
        Check(
            "instruction+input:unique",
            WARNING,
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": ["instruction", "input"]},
        ),
    ]
    return plan


def answers(raw: pd.DataFrame, params: ValidateParams, extra: dict) -> Plan:
    """An empty answer text is legal in the schema (a model may say nothing) but worth a warning."""
    plan = _records(raw, Answer, [*Answer.required_text, "text"], blank=list(Answer.required_text))
    rows = plan.tables["rows"].frame
    sources = frames.sources_per_question(rows) if {"question_id", "source"} <= set(rows.columns) else None
    minimum = params.min_sources_per_question
    plan.checks += [
        *not_blank(["text"], WARNING),
        _unique("id"),
        *max_length(["text"], params.max_text_chars),
        _aggregate(
            plan,
            "sources",
            sources,
            ["question_id", "sources"],
            Check(
                f"question_id:min_{minimum}_sources",
                CRITICAL,
                "ExpectColumnValuesToBeBetween",
                {"column": "n_sources", "min_value": minimum},
            ),
        ),
        *_known_questions(extra),
    ]
    return plan


def pairs(raw: pd.DataFrame, params: ValidateParams, extra: dict) -> Plan:
    plan = _records(raw, Pair, list(Pair.required_text), extra_columns=("swap_verdict",))
    rows = plan.tables["rows"].frame
    rows["score_verdict"] = frames.score_verdicts(rows)
    rows[["duplicate_of", "bool_cast", "empty_text"]] = frames.flag_columns(rows)
    max_failures = params.max_parse_failure_rate
    failure_rate = frames.share(frames.verdicts(rows["verdict"]).isna()) if "verdict" in raw.columns else None
    labels = frames.label_shares(rows["verdict"])
    tie_share = float(labels.loc[labels["label"] == "tie", "share"].iloc[0])
    consistency, compared, sources = frames.swap_consistency(rows)
    stats = pd.DataFrame(
        {frames.WHERE: ["all pairs"], "tie_share": [tie_share], "teacher_swap_consistency": [consistency]}
    )
    plan.tables["stats"] = Table(stats.astype(object), [frames.WHERE])
    plan.checks += [
        _unique("id"),
        *max_length(["instruction", "input", "reference", "answer1", "answer2"], params.max_text_chars),
        _in_set("verdict", list(VERDICTS)),
        *_score_range(params),
        Check(
            "verdict:follows_scores",
            CRITICAL,
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "verdict", "column_B": "score_verdict", "ignore_row_if": "either_value_is_missing"},
        ),
        Check(
            "verdict:teacher_parse_failure_rate",
            CRITICAL,
            "ExpectColumnValuesToNotBeNull",
            {"column": "verdict", "mostly": 1 - max_failures},
            "raw",
            observed=failure_rate,
            note=f"share of pairs with no verdict; at most {max_failures:g}",
        ),
        Check(
            "label:tie_share",
            CRITICAL,
            "ExpectColumnValuesToBeBetween",
            {"column": "tie_share", "max_value": params.max_tie_share},
            "stats",
            observed=tie_share,
            note=f"at most {params.max_tie_share:g}",
        ),
        _aggregate(
            plan,
            "labels",
            labels,
            ["label"],
            Check(
                "label:class_share",
                CRITICAL,
                "ExpectColumnValuesToBeBetween",
                {"column": "share", "min_value": params.min_class_share},
                observed=dict(zip(labels["label"], labels["share"], strict=True)),
                note=f"each label at least {params.min_class_share:g}",
            ),
        ),
        Check(
            "teacher:swap_consistency",
            CRITICAL,
            "ExpectColumnValuesToBeBetween",
            {"column": "teacher_swap_consistency", "min_value": params.min_teacher_consistency},
            "stats",
            observed=consistency,
            skip=consistency is None,
            note=(
                f"over {compared} comparisons ({sources}); at least {params.min_teacher_consistency:g}"
                if compared
                else "no swap information: neither a swap_verdict column nor swapped_twin:<id> flags"
            ),
        ),
        Check(
            "flags:duplicate_of",
            WARNING,
            "ExpectColumnValuesToBeNull",
            {"column": "duplicate_of"},
            note="rows repeating another pair under a new id",
        ),
        Check(
            "flags:bool_cast",
            WARNING,
            "ExpectColumnValuesToBeInSet",
            {"column": "bool_cast", "value_set": [False]},
            note="JSON boolean answers cast to text",
        ),
        Check(
            "flags:empty_text",
            WARNING,
            "ExpectColumnValuesToBeInSet",
            {"column": "empty_text", "value_set": [False]},
            note="empty text replaced by a placeholder",
        ),
        *_known_questions(extra),
    ]
    return plan


def splits(raw: pd.DataFrame, params: ValidateParams, extra: dict) -> Plan:
    """Only what needs the split files together; each file's own content is the pairs suite's job."""
    key = [c for c in ("id", frames.WHERE) if c in raw.columns]
    plan = Plan({"raw": Table(raw, key)})
    has = {"question_id", frames.SPLIT} <= set(raw.columns) and not raw.empty
    leaks = frames.question_splits(raw) if has else None
    sizes = frames.split_sizes(raw, REQUIRED_SPLITS)
    plan.checks += [
        Check("id:exists", CRITICAL, "ExpectColumnToExist", {"column": "id"}, "raw"),
        Check("question_id:exists", CRITICAL, "ExpectColumnToExist", {"column": "question_id"}, "raw"),
        Check(
            "split:known_name",
            CRITICAL,
            "ExpectColumnValuesToBeInSet",
            {"column": frames.SPLIT, "value_set": list(SPLITS)},
            "raw",
        ),
        _aggregate(
            plan,
            "sizes",
            sizes,
            ["split"],
            Check(
                "split:not_empty",
                CRITICAL,
                "ExpectColumnValuesToBeBetween",
                {"column": "records", "min_value": 1},
                observed=dict(zip(sizes["split"], sizes["records"], strict=True)),
            ),
        ),
        Check("id:unique_across_splits", CRITICAL, "ExpectColumnValuesToBeUnique", {"column": "id"}, "raw"),
        _aggregate(
            plan,
            "leakage",
            leaks,
            ["question_id", "splits"],
            Check(
                "question_id:no_leakage",
                CRITICAL,
                "ExpectColumnValuesToBeBetween",
                {"column": "n_splits", "max_value": 1},
                note="a question's pairs must all be in one split",
            ),
        ),
    ]
    return plan


def judgments(raw: pd.DataFrame, params: ValidateParams, extra: dict) -> Plan:
    """A judge that fails to parse is a finding about the judge, not broken data: its failure rate
    is a warning (an untuned base model fails often); a parsed verdict with ``failed`` set, or the
    reverse, is a broken record."""
    plan = _records(raw, Judgment, ["pair_id", "judge", "template"], key=("pair_id", "judge", "order"))
    rows = plan.tables["rows"].frame
    rows["verdict_missing"] = rows["verdict"].isna().astype(object)
    max_failures = params.max_parse_failure_rate
    failed = rows["failed"].map(lambda v: v is True)
    plan.checks += [
        _in_set("order", ["original", "swapped"]),
        _in_set("verdict", list(VERDICTS)),
        *_score_range(params),
        Check(
            "verdict:missing_iff_failed",
            CRITICAL,
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "verdict_missing", "column_B": "failed", "ignore_row_if": "either_value_is_missing"},
        ),
        Check(
            "pair_id+judge+order+template:unique",
            CRITICAL,
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": ["pair_id", "judge", "order", "template"]},
        ),
        Check(
            "failed:judge_parse_failure_rate",
            WARNING,
            "ExpectColumnValuesToBeInSet",
            {"column": "failed", "value_set": [False], "mostly": 1 - max_failures},
            observed=frames.share(failed) if "failed" in raw.columns else None,
            note=f"share of judgments that failed to parse; at most {max_failures:g}",
        ),
    ]
    return plan


SUITES: dict[str, tuple[type[BaseModel], Builder]] = {
    "questions": (Question, questions),
    "answers": (Answer, answers),
    "pairs": (Pair, pairs),
    "splits": (Pair, splits),
    "judgments": (Judgment, judgments),
}


def build(suite: str, raw: pd.DataFrame, params: ValidateParams, extra: dict) -> Plan:
    return SUITES[suite][1](raw, params, extra)


def _records(
    raw: pd.DataFrame,
    model: type[BaseModel],
    text: list[str],
    blank: list[str] | None = None,
    key: tuple[str, ...] = ("id",),
    extra_columns: tuple[str, ...] = (),
) -> Plan:
    """The row-level part every record suite shares: schema and types on the raw frame, value checks
    on the type-clean ``rows`` copy. ``text`` columns must not be null, ``blank`` ones (default: the
    same) not whitespace-only either."""
    index = [c for c in (*key, frames.WHERE) if c in raw.columns]
    checked = frames.schema_columns(raw, model, text)
    return Plan(
        {"raw": Table(checked, index), "rows": Table(frames.coerce(raw, model), index)},
        record_checks(model, list(checked.columns), text, extra_columns) + not_blank(text if blank is None else blank),
    )


def _aggregate(plan: Plan, name: str, frame: pd.DataFrame | None, index: list[str], check: Check) -> Check:
    """Register a computed frame and point ``check`` at it; with no frame (its inputs are missing,
    which their own checks report) the check is skipped."""
    if frame is None:
        return replace(check, table=name, skip=True, note="its input columns are missing")
    plan.tables[name] = Table(frame, index)
    return replace(check, table=name)


def _unique(column: str) -> Check:
    return Check(f"{column}:unique", CRITICAL, "ExpectColumnValuesToBeUnique", {"column": column})


def _in_set(column: str, values: list) -> Check:
    return Check(f"{column}:in_set", CRITICAL, "ExpectColumnValuesToBeInSet", {"column": column, "value_set": values})


def _score_range(params: ValidateParams) -> list[Check]:
    bounds = {"min_value": params.min_score, "max_value": params.max_score}
    return [
        Check(f"{c}:range", CRITICAL, "ExpectColumnValuesToBeBetween", {"column": c, **bounds})
        for c in ("score1", "score2")
    ]


def _known_questions(extra: dict) -> list[Check]:
    """With the question ids of the same run (``extra["question_ids"]``), every record must point at one."""
    if extra.get("question_ids") is None:
        return []
    ids = sorted(extra["question_ids"])
    return [
        Check(
            "question_id:known",
            CRITICAL,
            "ExpectColumnValuesToBeInSet",
            {"column": "question_id", "value_set": ids},
        )
    ]
