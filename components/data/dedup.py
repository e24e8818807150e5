"""Near-duplicate filtering by ROUGE-L and per-category balancing, as CritiqueLLM prepares queries.

Questions are compared on what the asker wrote (instruction and input). The first of a group of
near-duplicates is kept, so the result depends only on the input order. ROUGE-L F is at most
2*min(m, n)/(m + n) for texts of m and n tokens, which skips most pairs without scoring them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from components.schemas import Question


def _text(question: Question) -> str:
    return f"{question.instruction}\n{question.input}\n{question.reference}"


def _length(text: str) -> int:
    """Token count under rouge-score's default tokenizer (lower-case alphanumeric runs)."""
    return len(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def drop_near_duplicates(questions: Sequence[Question], threshold: float) -> tuple[list[Question], list[Question]]:
    """(kept, dropped): a question is dropped when its ROUGE-L F with a kept one reaches ``threshold``."""
    from rouge_score import rouge_scorer  # nltk behind it: loaded by the first dedup, not by every import

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    kept: list[tuple[Question, str, int]] = []
    dropped: list[Question] = []
    for question in questions:
        text = _text(question)
        length = _length(text)
        duplicate = any(
            2 * min(length, n) / max(length + n, 1) >= threshold
            and scorer.score(other, text)["rougeL"].fmeasure >= threshold
            for _, other, n in kept
        )
        if duplicate:
            dropped.append(question)
        else:
            kept.append((question, text, length))
    return [q for q, _, _ in kept], dropped


def balance(questions: Sequence[Question], per_category: int) -> list[Question]:
    """At most ``per_category`` questions of each category, taken round-robin across the category's
    families so that no family crowds out the others; input order is kept otherwise."""
    by_family: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, question in enumerate(questions):
        by_family[question.category][question.family].append(index)
    chosen: set[int] = set()
    for families in by_family.values():
        queues = [list(indexes) for indexes in families.values()]
        taken = 0
        while taken < per_category and any(queues):
            for queue in queues:
                if queue and taken < per_category:
                    chosen.add(queue.pop(0))
                    taken += 1
    return [q for index, q in enumerate(questions) if index in chosen]
