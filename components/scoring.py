"""The engine of ``judgeops score GOLD PRED``: score any judge's predictions file against a gold file.

Predictions are matched to gold rows by id, never by position (PandaLM's own script zips the two
files, which silently misaligns a file that was filtered or reordered), and an id on one side without
a match on the other is an error that lists them. Both files may be JSONL or one JSON array. A verdict
is read by the pipeline's own rule (``parse_verdict``): text by the judges' parsers, so a string the
judge stage would fail ("0 0", "15 3", "0") fails here too and one it reads ("Tie.", "7 7") counts
the same; anything unreadable is a parse failure, kept apart from ties unless ``failures="tie"``
(which is how PandaLM's and JudgeLM's scripts count it, and reproduces their published figures).

Gold may also be pointwise -- one answer per record with a gold score, as in CritiqueLLM's human-scored
sets -- and then a prediction is the judge's score for that answer, and the metrics are Pearson, Spearman
and Kendall correlations at CritiqueLLM's three levels (``pointwise_correlations``: sample; text, per
question, skipping and counting questions whose scores are constant; system, per model). The judge's
scale and the gold's may differ (a 1-10 judge against 1-5 human scores): neither is rescaled, because the
correlations are scale-free (Pearson is unchanged by a linear rescaling, Spearman and Kendall by any
monotone one). A prediction with no readable score is a parse failure, counted and left out of the
correlations; CritiqueLLM's own script scores such an output 5, adding points no judge gave.

A benchmark's released judge outputs as PRED -- LLMBar's evaluator ``result.json``, JudgeBench's judge-output
JSONL -- are scored by that benchmark's own rule, reproducing its published figures, with ours beside them
(components/benchmarks/released.py).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from components.benchmarks.released import released_kind, render_released, score_released
from components.data.importers import find_swapped_twins
from components.data.importers.critiquellm import import_critiquellm
from components.data.importers.judgelm import gold_label_fields
from components.data.importers.pandalm import import_pandalm
from components.io import RecordError, as_object, iter_json_lines, read_records
from components.judges.parsers import parse, parse_verdict_text, score_pair
from components.metrics import (
    Failures,
    annotator_agreement,
    consistency_metrics,
    pairwise_cis,
    pairwise_metrics,
    pointwise_correlations,
)
from components.schemas import VERDICT_NAMES, VERDICTS, Pair, ScoredAnswer, mirror
from components.vocabulary import SCORE_RANGE

GoldFormat = Literal["auto", "canonical", "pandalm", "judgelm", "critiquellm", "scored"]
ID_FIELDS = ("id", "pair_id", "idx", "question_id")
VERDICT_FIELDS = ("verdict", "pandalm_result", "gpt_result", "result", "prediction", "pred", "output", "text")
SCORE_FIELDS = ("score", "judge_score", "score1", "prediction", "pred", "output", "text")
ALIGNBENCH_RATING = re.compile(r"综合得分['\"]?\s*[:：]\s*([0-9]+(?:\.[0-9]+)?)")
"""AlignBench's and CritiqueLLM's overall rating in a judge's output: ``{'综合得分': 7}``, ``综合得分：7``."""
SHOWN_IDS = 20
_HEADLINE = (
    "n",
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "cohen_kappa",
    "agreement_without_ties",
    "parse_failures",
    "parse_failure_rate",
    "swap_pairs",
    "swap_consistency",
    "order_consistency",
    "agreement_both_orders",
    "order_delta_bias",
    "kappa_a1_a2",
    "kappa_a1_a3",
    "kappa_a2_a3",
    "fleiss_kappa",
)


class UnmatchedIdsError(ValueError):
    """Gold ids without a prediction, or prediction ids without a gold row; lists the first few of each."""

    def __init__(self, gold_path: Path | str, pred_path: Path | str, missing: list[str], unknown: list[str]):
        self.missing, self.unknown = missing, unknown
        parts = []
        if missing:
            parts.append(f"{len(missing)} gold ids of {gold_path} have no prediction in {pred_path}: {_few(missing)}")
        if unknown:
            parts.append(f"{len(unknown)} prediction ids of {pred_path} are not in {gold_path}: {_few(unknown)}")
        super().__init__("; ".join(parts))


@dataclass
class Gold:
    """Gold verdicts by id, in file order, with what the metrics beyond agreement need."""

    format: str
    verdicts: dict[str, int] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    annotators: dict[str, list[int]] = field(default_factory=dict)
    twins: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ScoredGold:
    """Pointwise gold: scored answers by id, in file order, each on the scale its record names."""

    format: str
    answers: dict[str, ScoredAnswer] = field(default_factory=dict)

    @property
    def scales(self) -> list[str]:
        return sorted({answer.scale for answer in self.answers.values()})


@dataclass
class Predictions:
    """Parsed verdicts by id; ``swapped`` holds those a judge gave with the answers in the other order."""

    original: dict[str, int | None] = field(default_factory=dict)
    swapped: dict[str, int | None] = field(default_factory=dict)


def score_files(
    gold_path: Path | str,
    pred_path: Path | str,
    gold_format: GoldFormat = "auto",
    id_field: str | None = None,
    verdict_field: str | None = None,
    failures: Failures = "separate",
    n_resamples: int = 1000,
    score_field: str | None = None,
) -> dict:
    """Every metric of the predictions against the gold, as fractions; ``n_resamples=0`` skips the
    bootstrap intervals (grouped by question) under ``ci``. Against pointwise gold the predictions are
    scores (``score_field``) and the metrics are correlations (``score_pointwise``; ``failures`` and the
    intervals apply to verdicts only)."""
    released = released_kind(pred_path) if gold_format == "auto" else None
    if released:  # a benchmark's own judge outputs: its published rule, ours beside it
        return score_released(released, gold_path, pred_path, n_resamples)
    gold = load_gold(gold_path, gold_format)
    if isinstance(gold, ScoredGold):
        return score_pointwise(gold, load_scores(pred_path, id_field, score_field), gold_path, pred_path)
    predictions = load_predictions(pred_path, id_field, verdict_field)
    _check_ids(gold_path, pred_path, gold, predictions)
    ids = list(gold.verdicts)
    truth = [gold.verdicts[i] for i in ids]
    pred = [predictions.original[i] for i in ids]
    result = {"gold_format": gold.format, "failures": failures, **pairwise_metrics(truth, pred, failures)}
    result.update(_swap_twin_metrics(gold.twins, predictions.original))
    if predictions.swapped:
        result.update(_order_metrics(predictions))
        result.update(_agreement_both_orders(gold, predictions))
    if len(gold.annotators) == len(ids):
        result.update(annotator_agreement([gold.annotators[i] for i in ids]))
    if n_resamples:
        groups = [gold.questions[i] for i in ids]
        result["ci"] = pairwise_cis(truth, pred, failures, groups, n_resamples=n_resamples)
    return result


def load_gold(path: Path | str, gold_format: GoldFormat = "auto") -> Gold | ScoredGold:
    """Gold verdicts from our Pair records, PandaLM's raw test set, JudgeLM's scored records or
    CritiqueLLM's pairwise set; gold scores from our ScoredAnswer records or CritiqueLLM's pointwise set."""
    fmt = detect_gold_format(path) if gold_format == "auto" else gold_format
    loaders = {
        "canonical": _canonical_gold,
        "pandalm": _pandalm_gold,
        "judgelm": _judgelm_gold,
        "critiquellm": _critiquellm_gold,
        "scored": _scored_gold,
    }
    if fmt not in loaders:
        raise ValueError(f"unknown gold format {fmt!r}; use one of auto, {', '.join(loaders)}")
    return loaders[fmt](path)


def detect_gold_format(path: Path | str) -> str:
    """Name the gold format from the fields of the first record."""
    for line, record in iter_json_lines(path):
        as_object(path, line, record)
        if "annotator1" in record and "idx" in record:
            return "pandalm"
        if "human_score" in record or "human_score_1" in record:
            return "critiquellm"
        if "scale" in record and "answer" in record:
            return "scored"
        if "verdict" in record and "answer1" in record:
            return "canonical"
        if "question_id" in record and "score" in record:
            return "judgelm"
        fields = ", ".join(sorted(record)) or "none"
        raise RecordError(path, line, "<record>", f"cannot tell the gold format from fields {fields}; pass one")
    raise ValueError(f"{path}: no records")


def load_predictions(path: Path | str, id_field: str | None = None, verdict_field: str | None = None) -> Predictions:
    """Verdicts by id. Without explicit field names the first of ``ID_FIELDS`` / ``VERDICT_FIELDS``
    present in the first record is used. Records with ``"order": "swapped"`` (our own judgments of
    the pair shown the other way round) are kept apart for the consistency metrics."""
    predictions = Predictions()
    for line, record in iter_json_lines(path):
        as_object(path, line, record)
        id_field = id_field or _first_present(path, line, record, ID_FIELDS, "--id-field")
        verdict_field = verdict_field or _first_present(path, line, record, VERDICT_FIELDS, "--verdict-field")
        for name in (id_field, verdict_field):
            if name not in record:
                raise RecordError(path, line, name, "missing")
        order = record.get("order", "original")
        if order not in ("original", "swapped"):
            raise RecordError(path, line, "order", f"expected 'original' or 'swapped', got {order!r}")
        target = predictions.original if order == "original" else predictions.swapped
        key = str(record[id_field])
        if key in target:
            raise RecordError(path, line, id_field, f"duplicate id {key!r}")
        target[key] = parse_verdict(record[verdict_field])
    return predictions


def parse_verdict(value) -> int | None:
    """A verdict as a predictions or gold file holds it; None when unreadable.

    Text is a judge's output, read as the judges read it (``parsers.parse_verdict_text``): JudgeLM's score
    line ("8 6", "8, 6\\nreason", "7 7" a tie; both scores within 1-10) or PandaLM's token ("1", "2",
    "Tie", "tie", "Tie."). A JSON number is a verdict code, 0 tie, 1 or 2, as our Judgment records and
    PandaLM's annotator fields hold it; a JSON pair of numbers is two scores (JudgeLM's ``score`` field),
    read by the score line's range and rule (``parsers.score_pair``)."""
    if isinstance(value, str):
        return parse_verdict_text(value).verdict
    if isinstance(value, list | tuple):
        return _verdict_from_score_pair(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if value in VERDICTS else None
    return None


def load_scores(path: Path | str, id_field: str | None = None, score_field: str | None = None) -> dict:
    """A judge's score per id (None where none can be read). Without explicit field names the first of
    ``ID_FIELDS`` / ``SCORE_FIELDS`` present in the first record is used."""
    scores: dict[str, float | None] = {}
    for line, record in iter_json_lines(path):
        as_object(path, line, record)
        id_field = id_field or _first_present(path, line, record, ID_FIELDS, "--id-field")
        score_field = score_field or _first_present(path, line, record, SCORE_FIELDS, "--score-field")
        key = str(_required(path, line, record, id_field))
        if key in scores:
            raise RecordError(path, line, id_field, f"duplicate id {key!r}")
        scores[key] = parse_score(_required(path, line, record, score_field))
    return scores


def parse_score(value) -> float | None:
    """A judge's score; None when unreadable. A finite JSON number is a score on any scale (only the order
    of the scores counts). Text is a judge's output, read as the pipeline reads its pointwise judges: a
    first line holding exactly one score within 1-10 ("7", "7.5\\nreason"), or AlignBench's
    ``'综合得分': 7`` on the same scale."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    parsed = parse("pointwise", value)
    if not parsed.failed:
        return parsed.score1
    low, high = SCORE_RANGE
    ratings = {float(found) for found in ALIGNBENCH_RATING.findall(value)}
    return ratings.pop() if len(ratings) == 1 and low <= min(ratings) <= high else None


def score_pointwise(gold: ScoredGold, scores: dict, gold_path: Path | str, pred_path: Path | str) -> dict:
    """The judge's scores against the gold scores, aligned by id: correlations at the three levels over
    the answers whose prediction has a score, and the parse failures counted apart."""
    missing = [i for i in gold.answers if i not in scores]
    unknown = [i for i in scores if i not in gold.answers]
    if missing or unknown:
        raise UnmatchedIdsError(gold_path, pred_path, missing, unknown)
    scored = [i for i in gold.answers if scores[i] is not None]
    if not scored:
        raise ValueError(f"{pred_path}: none of the {len(scores)} predictions has a readable score")
    records = [(gold.answers[i].question_id, gold.answers[i].source, scores[i], gold.answers[i].score) for i in scored]
    judge_scores = [scores[i] for i in scored]
    failures = len(gold.answers) - len(scored)
    return {
        "gold_format": gold.format,
        "mode": "pointwise",
        "n": len(gold.answers),
        "parse_failures": failures,
        "parse_failure_rate": failures / len(gold.answers),
        "failed_ids": [i for i in gold.answers if scores[i] is None][:SHOWN_IDS],
        "gold_scale": ", ".join(gold.scales),
        "judge_score_range": [min(judge_scores), max(judge_scores)],
        **pointwise_correlations(records),
    }


def render_table(metrics: dict) -> str:
    """The headline metrics (with their intervals when present), then the confusion matrix, as text;
    for pointwise gold the correlations at each level."""
    if metrics.get("mode") == "published":
        return render_released(metrics)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    if metrics.get("mode") == "pointwise":
        console.print(_correlation_table(metrics))
        console.print(_pointwise_notes(metrics))
        return console.file.getvalue()
    console.print(_headline_table(metrics))
    console.print(_confusion_table(metrics))
    return console.file.getvalue()


def _canonical_gold(path: Path | str) -> Gold:
    pairs = read_records(path, Pair).records
    lines = [line for line, _ in iter_json_lines(path)]
    for line, pair in zip(lines, pairs, strict=True):
        if pair.verdict is None:
            raise RecordError(path, line, "verdict", "a gold pair needs a verdict")
    return _gold_from_pairs("canonical", pairs)


def _pandalm_gold(path: Path | str) -> Gold:
    pairs = import_pandalm(path).pairs
    for line, pair in enumerate(pairs, start=1):
        if pair.verdict is None:
            raise RecordError(path, line, "annotator1", "the three annotators have no majority")
    return _gold_from_pairs("pandalm", pairs)


def _gold_from_pairs(fmt: str, pairs: Sequence[Pair]) -> Gold:
    gold = Gold(fmt, twins=find_swapped_twins(pairs))
    for pair in pairs:
        gold.verdicts[pair.id] = pair.verdict
        gold.questions[pair.id] = pair.question_id
        if pair.annotators:
            gold.annotators[pair.id] = pair.annotators
    return gold


def _critiquellm_gold(path: Path | str) -> Gold | ScoredGold:
    """CritiqueLLM's released evaluation set: pairwise (verdicts from the labels) or pointwise (scores)."""
    result = import_critiquellm(path)
    if result.holds == "scored":
        return ScoredGold("critiquellm", {answer.id: answer for answer in result.scored})
    return _gold_from_pairs("critiquellm", result.pairs)


def _scored_gold(path: Path | str) -> ScoredGold:
    """Our ScoredAnswer records, as ``judgeops import critiquellm`` writes a pointwise set."""
    return ScoredGold("scored", {answer.id: answer for answer in read_records(path, ScoredAnswer).records})


def _judgelm_gold(path: Path | str) -> Gold:
    """JudgeLM records: the verdict follows the gold score pair [s1, s2] by the importer's one rule
    (``gold_label_fields``: ``score_w_reference`` where a record has it, else ``score``), so a raw file and
    its import score against the same gold. Swapped twins are looked for only when every record carries the
    question and both answers."""
    gold = Gold("judgelm")
    pairs: list[Pair | None] = []
    for line, record in iter_json_lines(path):
        as_object(path, line, record)
        key = str(_required(path, line, record, "question_id"))
        if key in gold.verdicts:
            raise RecordError(path, line, "question_id", f"duplicate id {key!r}")
        field = gold_label_fields(record)[0]
        verdict = _verdict_from_score_pair(_required(path, line, record, field))
        if verdict is None:
            low, high = SCORE_RANGE
            raise RecordError(path, line, field, f"expected two scores within {low:g}-{high:g}, got {record[field]!r}")
        gold.verdicts[key], gold.questions[key] = verdict, key
        pairs.append(_judgelm_pair(path, line, record, key))
    if all(pair is not None for pair in pairs):
        gold.twins = find_swapped_twins(pairs)
    return gold


def _judgelm_pair(path: Path | str, line: int, record: dict, key: str) -> Pair | None:
    bodies = ("question_body", "answer1_body", "answer2_body")
    if not all(record.get(name) for name in bodies):
        return None
    try:
        return Pair(
            id=key,
            question_id=key,
            family="judgelm",
            category="",
            instruction=record["question_body"],
            answer1=record["answer1_body"],
            answer2=record["answer2_body"],
            source1=str(record.get("answer1_model_id", "")),
            source2=str(record.get("answer2_model_id", "")),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RecordError(path, line, ".".join(map(str, first["loc"])), first["msg"]) from None


def _verdict_from_score_pair(scores: Sequence) -> int | None:
    """Two JSON numbers (not booleans, not strings) read by the score line's rule; else None."""
    if len(scores) != 2 or not all(isinstance(s, int | float) and not isinstance(s, bool) for s in scores):
        return None
    return score_pair(*scores).verdict


def _check_ids(gold_path: Path | str, pred_path: Path | str, gold: Gold, predictions: Predictions) -> None:
    predicted = set(predictions.original)
    missing = [i for i in gold.verdicts if i not in predicted]
    unknown = [i for i in predictions.original if i not in gold.verdicts]
    unknown += [i for i in predictions.swapped if i not in gold.verdicts]
    if missing or unknown:
        raise UnmatchedIdsError(gold_path, pred_path, missing, unknown)


def _swap_twin_metrics(twins: list[tuple[str, str]], verdicts: dict[str, int | None]) -> dict:
    """Consistency on gold rows that hold the same answers in swapped order (a free position probe)."""
    if not twins:
        return {"swap_pairs": 0, "swap_consistency": None}
    result = consistency_metrics([verdicts[a] for a, _ in twins], [verdicts[b] for _, b in twins])
    return {"swap_pairs": result.pop("n"), **{f"swap_{name}": value for name, value in result.items()}}


def _order_metrics(predictions: Predictions) -> dict:
    """Consistency of a judge that saw pairs in both orders (our Judgment files)."""
    ids = list(predictions.swapped)
    result = consistency_metrics([predictions.original[i] for i in ids], [predictions.swapped[i] for i in ids])
    return {f"order_{name}": value for name, value in result.items()}


def _agreement_both_orders(gold: Gold, predictions: Predictions) -> dict:
    """CritiqueLLM's pairwise agreement: a pair counts only when the judge agrees with the gold in both
    orders (the swapped verdict mirrors the gold), over the pairs judged both ways."""
    ids = list(predictions.swapped)
    agreed = sum(
        predictions.original[i] == gold.verdicts[i] and predictions.swapped[i] == mirror(gold.verdicts[i]) for i in ids
    )
    return {"agreement_both_orders": agreed / len(ids)}


def _first_present(path: Path | str, line: int, record: dict, names: Sequence[str], option: str) -> str:
    for name in names:
        if name in record:
            return name
    raise RecordError(path, line, names[0], f"none of {', '.join(names)} present; name the field with {option}")


def _required(path: Path | str, line: int, record: dict, name: str):
    if name not in record:
        raise RecordError(path, line, name, "missing")
    return record[name]


def _few(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f", ... ({len(ids) - SHOWN_IDS} more)" if len(ids) > SHOWN_IDS else "")


def _headline_table(metrics: dict) -> Table:
    table = Table(title=f"judge vs gold ({metrics.get('gold_format', '?')}, failures={metrics.get('failures')})")
    for column in ("metric", "value", "95% CI"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    intervals = metrics.get("ci", {})
    for name in _HEADLINE:
        if name in metrics:
            interval = intervals.get(name)
            shown = f"{_number(interval['low'])} - {_number(interval['high'])}" if interval else ""
            table.add_row(name, _number(metrics[name]), shown)
    return table


def _confusion_table(metrics: dict) -> Table:
    table = Table(title="confusion (rows gold, columns prediction)")
    table.add_column("gold")
    for label in VERDICTS:
        table.add_column(f"pred {VERDICT_NAMES[label]}", justify="right")
    table.add_column("failed", justify="right")
    for label, row, failed in zip(VERDICTS, metrics["confusion"], metrics["confusion_failures"], strict=True):
        table.add_row(VERDICT_NAMES[label], *map(str, row), str(failed))
    return table


def _correlation_table(metrics: dict) -> Table:
    table = Table(title=f"judge scores vs gold scores ({metrics['gold_format']}, pointwise)")
    for column in ("level", "pearson", "spearman", "kendall", "over"):
        table.add_column(column, justify="left" if column in ("level", "over") else "right")
    sample, text, system = metrics["sample"], metrics["text"], metrics["system"]
    over = {
        "sample": f"{sample['n']} answers",
        "text": f"{text['n_used']} of {text['n_questions']} questions ({text['n_skipped_constant']} constant, skipped)",
        "system": f"{system['n_sources']} models",
    }
    for level, values in (("sample", sample), ("text", text), ("system", system)):
        table.add_row(level, *(_number(values[name]) for name in ("pearson", "spearman", "kendall")), over[level])
    return table


def _pointwise_notes(metrics: dict) -> str:
    low, high = metrics["judge_score_range"]
    return (
        f"{metrics['n']} answers, {metrics['parse_failures']} without a readable score (left out). "
        f"Gold scale {metrics['gold_scale']}; judge scores seen {low:g}-{high:g}: correlations are scale-free, "
        "so neither is rescaled."
    )


def _number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return str(value) if isinstance(value, int) else f"{value:.4f}"
