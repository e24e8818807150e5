"""Probe items: altered copies of a pair, tagged so that a probe can find them again among the judgments.

A probe judges each pair as it is (the *clean* item, whose id and content are the pair's own, so the
judge stage's cached judgment is reused) and in altered copies (*variants*). A variant's id is the
pair id plus ``#<probe>:<variant>``: the judgment cache keys on the id, so two variants never share a
judgment even where their text happens to match (a template variant renders the same pair under
another prompt), and a flipped example in a report names the variant that flipped it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from components.judges.base import JudgeItem
from components.schemas import Judgment, Pair

CLEAN = ""
_VARIANT = re.compile(r"[\w.=+-]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def variant(pair: Pair, probe: str, name: str, **changes) -> Pair:
    """A copy of ``pair`` with ``changes`` applied, tagged as variant ``name`` of ``probe``."""
    if not _VARIANT.fullmatch(name):
        raise ValueError(f"variant name {name!r} may hold only letters, digits and . = + - _")
    return pair.model_copy(update={**changes, "id": f"{pair.id}#{probe}:{name}"})


def untag(pair_id: str, probe: str) -> tuple[str, str]:
    """(the pair's own id, the variant name) -- the name is CLEAN for an item that is not a variant of ``probe``."""
    base, sep, name = pair_id.rpartition(f"#{probe}:")
    if sep and base and _VARIANT.fullmatch(name):
        return base, name
    return pair_id, CLEAN


@dataclass(frozen=True)
class Judged:
    """One judged probe item."""

    item: JudgeItem
    judgment: Judgment

    @property
    def verdict(self) -> int | None:
        return self.judgment.verdict


def by_variant(probe: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment]) -> dict[str, dict[str, Judged]]:
    """pair id -> variant name -> its judged item, pairs in first-seen order. Raises when the two
    lists do not line up: a probe measured on someone else's judgments must fail loudly."""
    found: dict[str, dict[str, Judged]] = {}
    for judged in _lined_up(items, judgments):
        pair_id, name = untag(judged.item.pair.id, probe)
        found.setdefault(pair_id, {})[name] = judged
    return found


def by_order(items: Sequence[JudgeItem], judgments: Sequence[Judgment]) -> dict[str, dict[str, Judged]]:
    """pair id -> {"original": ..., "swapped": ...} for the pairs judged in both orders (``both_orders``
    items), in first-seen order; a pair missing an order is left out. Raises as ``by_variant`` does."""
    found: dict[str, dict[str, Judged]] = {}
    for judged in _lined_up(items, judgments):
        found.setdefault(judged.item.pair.id, {})[judged.item.order] = judged
    return {pair_id: orders for pair_id, orders in found.items() if len(orders) == 2}


def _lined_up(items: Sequence[JudgeItem], judgments: Sequence[Judgment]) -> list[Judged]:
    """Each item with its judgment; raises when the two lists do not line up."""
    if len(items) != len(judgments):
        raise ValueError(f"{len(items)} items but {len(judgments)} judgments")
    lined_up = []
    for item, judgment in zip(items, judgments, strict=True):
        if judgment.pair_id != item.pair.id or judgment.order != item.order:
            raise ValueError(f"judgment for {judgment.pair_id}/{judgment.order} is not for item {item.pair.id}")
        lined_up.append(Judged(item, judgment))
    return lined_up


def sentences(text: str) -> list[str]:
    """The text cut at sentence ends and line breaks, blank pieces dropped; nothing is rewritten, so
    joining the pieces back keeps the content."""
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def sentence_breaks(text: str) -> list[tuple[int, int]]:
    """(start, end) of the whitespace between sentences: places where text can be inserted without
    cutting a sentence (or a number) in two."""
    return [match.span() for match in _SENTENCE_END.finditer(text)]
