"""Pairs of answers to one question, labelled by a teacher in both orders.

Pairs are sampled so that ties, 1-wins and 2-wins all occur: a share of tie pairs (equal
teacher scores) as the params ask, the rest with the better answer placed first or second
at random. PandaLM's swap filter drops pairs whose two verdicts conflict.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from components.schemas import Answer, Pair, Question, mirror
from components.teachers.base import Teacher


@dataclass
class PairingStats:
    candidates: int = 0
    sampled: int = 0
    swap_conflicts: int = 0
    empty_answers: int = 0


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


def label_pairs(
    question: Question,
    chosen: Sequence[tuple[Answer, Answer]],
    teacher: Teacher,
    swap_filter: bool,
    stats: PairingStats,
) -> list[Pair]:
    pairs = []
    for index, (a, b) in enumerate(chosen):
        label = teacher.label(question, a.text, b.text)
        if swap_filter:
            back = teacher.label(question, b.text, a.text)
            if back.verdict is None or label.verdict is None or back.verdict != mirror(label.verdict):
                stats.swap_conflicts += 1
                continue
        pairs.append(
            Pair(
                id=f"{question.id}:p{index}",
                question_id=question.id,
                family=question.family,
                category=question.category,
                instruction=question.instruction,
                input=question.input,
                reference=question.reference,
                answer1=a.text,
                answer2=b.text,
                source1=a.source,
                source2=b.source,
                score1=label.score1,
                score2=label.score2,
                verdict=label.verdict,
                reason=label.reason,
                teacher=teacher.name,
                needs_knowledge=question.needs_knowledge,
            )
        )
    stats.sampled += len(pairs)
    return pairs


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
        for name, (lo, hi) in zip(names, bounds):
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
