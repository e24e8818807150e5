"""A judge's scores read per answer rather than per pair: does it grade each kind of answer as the
teacher does, and does it tell a right answer from a wrong one?

A question's answer appears in several pairs, in both orders; each distinct answer (question, source,
text) is counted once here. Its judge score is the mean of the scores the judge gave it wherever it
appeared (a pointwise judge grades each answer alone, so those are one score repeated; in logprob mode
it is the expected score, the probability-weighted mean over 1-10, not the likeliest one); its teacher
score is the mean of the teacher's scores for it (the oracle gives one). A judgment that failed gives no
score. In a swapped judgment the first score is the pair's second answer's.

Answers are grouped by the kind of their source: a reference-derived variant (``variant:wrong`` ->
``wrong``), the base model's own answers (every ``model:*`` source, one group ``model``), any other
source as it is spelled. The correct-vs-wrong AUC is the area under the ROC curve with which the judge's
score separates the ``correct`` answers from the ``wrong`` ones (0.5: chance, 1.0: every correct
answer above every wrong one), with a cluster-bootstrap interval over questions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from components.schemas import Judgment, Pair
from components.vocabulary import VARIANTS

MODEL = "model"
"""The group of the base model's own answers (sources ``model:<model>:<decoding>``)."""

KIND_NAMES = {MODEL: "the base model's own answers"}


@dataclass(frozen=True)
class AnswerScore:
    """One distinct answer: its question, source, group, the teacher's score and the judge's (None: none given)."""

    question_id: str
    source: str
    kind: str
    teacher: float | None
    judge: float | None


def source_kind(source: str) -> str:
    """``variant:wrong`` -> ``wrong``; ``model:base:greedy`` -> ``model``; any other source as it is."""
    prefix, _, rest = source.partition(":")
    if prefix == "variant" and rest:
        return rest
    if prefix == MODEL and rest:
        return MODEL
    return source


def answer_scores(pairs: Sequence[Pair], judgments: Iterable[Judgment]) -> list[AnswerScore]:
    """Each distinct answer of ``pairs`` once, with the teacher's and the judge's mean score for it.
    Only judgments of ``pairs`` in the original or swapped order count; an answer whose judgments all
    failed (or that no judgment covers) has ``judge`` None."""
    teacher: dict[tuple, list[float]] = {}
    judged: dict[tuple, list[float]] = {}
    by_id = {p.id: p for p in pairs}
    for pair in pairs:
        for key, score in _sides(pair, pair.score1, pair.score2):
            teacher.setdefault(key, [])
            judged.setdefault(key, [])
            if score is not None:
                teacher[key].append(score)
    for j in judgments:
        pair = by_id.get(j.pair_id)
        if pair is None or j.failed or j.order not in ("original", "swapped"):
            continue
        first, second = (j.score1, j.score2) if j.order == "original" else (j.score2, j.score1)
        for key, score in _sides(pair, first, second):
            if score is not None:
                judged[key].append(score)
    return [
        AnswerScore(key[0], key[1], source_kind(key[1]), _mean_or_none(teacher[key]), _mean_or_none(judged[key]))
        for key in teacher
    ]


def by_source(answers: Sequence[AnswerScore]) -> list[dict]:
    """One row per source kind (the variants in their usual order, then the model's answers, then any
    other): ``n`` answers, ``judged`` (those with a judge score), the teacher's and the judge's mean
    score, and the mean absolute error over answers with both (NaN where a mean has nothing to average)."""
    rows = []
    for kind in ordered_kinds({a.kind for a in answers}):
        group = [a for a in answers if a.kind == kind]
        both = [a for a in group if a.teacher is not None and a.judge is not None]
        rows.append(
            {
                "kind": kind,
                "n": len(group),
                "judged": sum(a.judge is not None for a in group),
                "teacher": _mean([a.teacher for a in group if a.teacher is not None]),
                "judge": _mean([a.judge for a in group if a.judge is not None]),
                "mae": _mean([abs(a.judge - a.teacher) for a in both]),
            }
        )
    return rows


def ordered_kinds(kinds: Iterable[str]) -> list[str]:
    """Source kinds in the report's order: the variants as VARIANTS lists them, the model's answers, the rest sorted."""
    kinds = set(kinds)
    return [k for k in (*VARIANTS, MODEL) if k in kinds] + sorted(kinds - {*VARIANTS, MODEL})


def correct_vs_wrong_auc(answers: Sequence[AnswerScore], resamples: int = 0, seed: int = 0) -> dict:
    """The AUC of the judge's score for ``correct`` (positive) against ``wrong`` answers, with a 95%
    percentile-bootstrap interval that resamples questions (``resamples`` draws; resamples that hold
    only one of the two kinds are skipped). Answers without a judge score are left out. NaN where
    there is nothing to separate; the interval is NaN with no resamples or fewer than two questions."""
    scored = [a for a in answers if a.kind in ("correct", "wrong") and a.judge is not None]
    found = {
        "value": auc(scored),
        "low": math.nan,
        "high": math.nan,
        "n_correct": sum(a.kind == "correct" for a in scored),
        "n_wrong": sum(a.kind == "wrong" for a in scored),
    }
    groups: dict[str, list[AnswerScore]] = {}
    for a in scored:
        groups.setdefault(a.question_id, []).append(a)
    if resamples <= 0 or len(groups) < 2 or math.isnan(found["value"]):
        return found
    import numpy as np

    members = list(groups.values())
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        value = auc([a for g in rng.integers(0, len(members), len(members)) for a in members[int(g)]])
        if not math.isnan(value):
            draws.append(value)
    if draws:
        found["low"], found["high"] = (float(x) for x in np.percentile(draws, [2.5, 97.5]))
    return found


def auc(answers: Sequence[AnswerScore]) -> float:
    """ROC AUC of the judge's score with ``correct`` as the positive class among ``correct`` and ``wrong``
    answers with a judge score (ties count half); NaN unless both kinds are there."""
    from sklearn.metrics import roc_auc_score

    scored = [a for a in answers if a.kind in ("correct", "wrong") and a.judge is not None]
    labels = [int(a.kind == "correct") for a in scored]
    if len(set(labels)) < 2:
        return math.nan
    return float(roc_auc_score(labels, [a.judge for a in scored]))


def model_answers_mae(answers: Sequence[AnswerScore]) -> float:
    """Mean absolute error of the judge's score on the base model's own answers (NaN: none with both scores)."""
    return _mean(
        [abs(a.judge - a.teacher) for a in answers if a.kind == MODEL and a.judge is not None and a.teacher is not None]
    )


def answer_quality(pairs: Sequence[Pair], judgments: Iterable[Judgment], resamples: int, seed: int) -> dict:
    """What the report states per judge: the per-source rows, the correct-vs-wrong AUC with its
    interval, and the mean absolute error on the base model's own answers."""
    answers = answer_scores(pairs, judgments)
    return {
        "answers": len(answers),
        "rows": by_source(answers),
        "auc": correct_vs_wrong_auc(answers, resamples, seed),
        "model_answers_mae": model_answers_mae(answers),
    }


def flat_metrics(judge: str, quality: dict) -> dict[str, float]:
    """``answer_quality``'s figures as flat keys for metrics/report.json and headline.json:
    ``<judge>.correct_vs_wrong_auc`` (with ``_low``/``_high``), ``<judge>.model_answers_mae``, and per
    source kind ``<judge>.by_source.<kind>.judge`` (mean score) and ``.mae``."""
    found = {
        f"{judge}.correct_vs_wrong_auc": quality["auc"]["value"],
        f"{judge}.correct_vs_wrong_auc_low": quality["auc"]["low"],
        f"{judge}.correct_vs_wrong_auc_high": quality["auc"]["high"],
        f"{judge}.model_answers_mae": quality["model_answers_mae"],
    }
    for row in quality["rows"]:
        kind = re.sub(r"\W+", "_", row["kind"])
        found[f"{judge}.by_source.{kind}.judge"] = row["judge"]
        found[f"{judge}.by_source.{kind}.mae"] = row["mae"]
    return found


def _sides(pair: Pair, first: float | None, second: float | None) -> tuple:
    return (
        ((pair.question_id, pair.source1, pair.answer1), first),
        ((pair.question_id, pair.source2, pair.answer2), second),
    )


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else math.nan


def _mean_or_none(values: Sequence[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None
