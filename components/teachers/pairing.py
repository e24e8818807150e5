"""Pairs of answers to one question, labelled by a teacher in both orders.

Pairs are sampled so that ties, 1-wins and 2-wins all occur: a share of tie pairs (equal
teacher scores) as the params ask, the rest with the better answer placed first or second
at random. PandaLM's swap filter drops pairs whose two verdicts conflict.

A teacher that gives no label (an unparseable output, a request that failed after its retries)
is counted apart from a swap conflict: the first says the teacher is broken or overloaded, the
second that it is position-biased. Either way the pair is dropped and written to the rejects
with the reason -- never kept as a tie, never dropped silently. Teachers that can label many
pairs at once (``label_many`` / ``grade_many``: an endpoint with a concurrency limit, a batched
local model) are given every request of the run in one call.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

from components.schemas import Answer, Pair, Question, mirror
from components.teachers.base import Graded, PairLabel, Teacher

T = TypeVar("T")


@dataclass
class PairingStats:
    sampled: int = 0  # pairs kept
    swap_conflicts: int = 0  # both orders labelled, verdicts do not mirror
    teacher_failures: int = 0  # pairs the teacher gave no label for, in one order or both
    grade_failures: int = 0  # answers left out of sampling: the teacher could not grade them
    empty_answers: int = 0
    teacher_items: int = 0  # grade and label requests put to the teacher
    teacher_seconds: float = 0.0


@dataclass(frozen=True)
class Candidate:
    """A sampled pair before labelling: the ``index``-th pair of ``question``, answers in shown order."""

    question: Question
    index: int
    first: Answer
    second: Answer


def candidate_pairs(answers: Sequence[Answer], scores: dict[str, float]) -> tuple[list, list]:
    """(tie pairs, non-tie pairs) of answer ids, by the teacher's single-answer scores."""
    ties, decided = [], []
    for a, b in itertools.combinations(answers, 2):
        if a.text.strip() == b.text.strip():
            continue
        (ties if scores[a.id] == scores[b.id] else decided).append((a, b))
    return ties, decided


def sample_pairs(
    question: Question,
    answers: Sequence[Answer],
    scores: dict[str, float],
    count: int,
    tie_share: float,
    rng: random.Random,
) -> list[tuple[Answer, Answer]]:
    ties, decided = candidate_pairs(answers, scores)
    rng.shuffle(ties)
    rng.shuffle(decided)
    chosen = []
    for _ in range(count):
        pool = ties if (ties and (rng.random() < tie_share or not decided)) else decided
        if not pool:
            break
        a, b = pool.pop()
        chosen.append((a, b) if rng.random() < 0.5 else (b, a))
    return chosen


def grade_answers(
    teacher: Teacher, requests: Sequence[tuple[Question, Answer]], stats: PairingStats
) -> tuple[dict[str, float], list[dict]]:
    """answer id -> the teacher's single-answer score, and rejects for the answers it could not grade
    (they are left out of sampling: with no score they fit neither the tie nor the non-tie pool)."""
    texts = [(question, answer.text) for question, answer in requests]
    many: Callable[[list], list[Graded]] | None = getattr(teacher, "grade_many", None)
    grades = _timed(stats, len(texts), lambda: many(texts) if many else [teacher.grade(*r) for r in texts])
    scores, rejects = {}, []
    for (_, answer), grade in zip(requests, grades, strict=True):
        if grade.score is None:
            stats.grade_failures += 1
            rejects.append({"reason": f"ungraded answer: {grade.reason}", "record": answer.model_dump(mode="json")})
        else:
            scores[answer.id] = grade.score
    return scores, rejects


def label_pairs(
    chosen: Sequence[Candidate], teacher: Teacher, swap_filter: bool, stats: PairingStats
) -> tuple[list[Pair], list[dict]]:
    """Labelled pairs in the order of ``chosen``, and rejects (teacher failures, swap conflicts)."""
    items = [(_unlabelled(candidate), candidate.question) for candidate in chosen]
    kept, rejects = _label_and_filter(items, teacher, swap_filter, stats)
    return [_with_label(pair, label, teacher.name) for pair, label in kept], rejects


def pass_through(
    stored: Sequence[Pair], questions: dict[str, Question], teacher: Teacher, swap_filter: bool, stats: PairingStats
) -> tuple[list[Pair], list[dict]]:
    """Pairs that came labelled (imported data) kept as they are, under the same checks: the teacher
    (the data's own labels) must have a label, and with ``swap_filter`` agree with itself when a
    pair's swapped twin is in the data too."""
    items = [(pair, questions[pair.question_id]) for pair in stored]
    kept, rejects = _label_and_filter(items, teacher, swap_filter, stats)
    return [pair for pair, _ in kept], rejects


def _label_and_filter(
    items: Sequence[tuple[Pair, Question]], teacher: Teacher, swap_filter: bool, stats: PairingStats
) -> tuple[list[tuple[Pair, PairLabel]], list[dict]]:
    pairs = [pair for pair, _ in items]
    requests = [(question, pair.answer1, pair.answer2) for pair, question in items]
    if swap_filter:
        requests += [(question, pair.answer2, pair.answer1) for pair, question in items]
    many: Callable[[list], list[PairLabel]] | None = getattr(teacher, "label_many", None)
    labels = _timed(stats, len(requests), lambda: many(requests) if many else [teacher.label(*r) for r in requests])
    backward = labels[len(pairs) :] if swap_filter else [None] * len(pairs)
    kept, rejects = [], []
    for pair, label, back in zip(pairs, labels[: len(pairs)], backward, strict=True):
        failure, conflict = _problem(label, back)
        if failure or conflict:
            stats.teacher_failures += bool(failure)
            stats.swap_conflicts += bool(conflict)
            labels_given = [asdict(given) for given in (label, back) if given is not None]
            rejects.append(
                {"reason": failure or conflict, "record": pair.model_dump(mode="json"), "labels": labels_given}
            )
            continue
        kept.append((pair, label))
    stats.sampled += len(kept)
    return kept, rejects


def _problem(label: PairLabel, back: PairLabel | None) -> tuple[str, str]:
    """(teacher failure, swap conflict): at most one of them non-empty."""
    if label.verdict is None:
        return label.reason or "teacher failure: no verdict", ""
    if back is None:
        return "", ""
    if back.verdict is None:
        return f"{back.reason or 'teacher failure: no verdict'} (answers swapped)", ""
    if back.verdict != mirror(label.verdict):
        return "", (
            f"swap conflict: verdict {label.verdict}, then {back.verdict} with the answers swapped "
            f"(consistent would be {mirror(label.verdict)})"
        )
    return "", ""


def _timed(stats: PairingStats, items: int, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    stats.teacher_items += items
    stats.teacher_seconds += time.perf_counter() - started
    return result


def _unlabelled(candidate: Candidate) -> Pair:
    question = candidate.question
    return make_pair(f"{question.id}:p{candidate.index}", question, candidate.first, candidate.second)


def make_pair(
    pair_id: str, question: Question, first: Answer, second: Answer, label: PairLabel | None = None, teacher: str = ""
) -> Pair:
    """Two answers to ``question`` as a pair, with the teacher's label when one is given."""
    pair = Pair(
        id=pair_id,
        question_id=question.id,
        family=question.family,
        category=question.category,
        instruction=question.instruction,
        input=question.input,
        reference=question.reference,
        answer1=first.text,
        answer2=second.text,
        source1=first.source,
        source2=second.source,
        needs_knowledge=question.needs_knowledge,
    )
    return _with_label(pair, label, teacher) if label is not None else pair


def _with_label(pair: Pair, label: PairLabel, teacher: str) -> Pair:
    update = dict(score1=label.score1, score2=label.score2, verdict=label.verdict, reason=label.reason)
    return pair.model_copy(update={**update, "teacher": teacher})


def split_by_question(questions: Sequence[Question], fractions: dict[str, float], seed: int) -> dict[str, str]:
    """question id -> split name. Each family is shuffled and cut by the fractions, so every
    split holds every family and no question is in two splits."""
    by_family: dict[str, list[str]] = {}
    for q in questions:
        by_family.setdefault(q.family, []).append(q.id)
    assignment = {}
    names = list(fractions)
    for family, ids in sorted(by_family.items()):
        ids = sorted(ids)
        random.Random(f"{seed}:{family}").shuffle(ids)
        bounds = _cut_points(len(ids), [fractions[n] for n in names])
        for name, (lo, hi) in zip(names, bounds, strict=True):
            for qid in ids[lo:hi]:
                assignment[qid] = name
    return assignment


def _cut_points(n: int, fractions: list[float]) -> list[tuple[int, int]]:
    """Largest-remainder rounding, at least one item for every non-zero split when n allows."""
    raw = [f * n for f in fractions]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    for i, f in enumerate(fractions):
        if f > 0 and counts[i] == 0 and n >= len(fractions):
            donor = counts.index(max(counts))
            counts[donor] -= 1
            counts[i] += 1
    bounds, start = [], 0
    for c in counts:
        bounds.append((start, start + c))
        start += c
    return bounds
