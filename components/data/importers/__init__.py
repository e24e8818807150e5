"""Importers turn published judge data sets into our ``Pair`` records.

What they share lives here: the result type, and finding rows that repeat a pair or hold its two
answers in swapped order -- public test sets contain both, and a swapped twin is a free probe of
position bias.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from components.schemas import Pair


@dataclass
class ImportResult:
    """The imported pairs, in file order, and what had to be repaired on the way (one line each)."""

    pairs: list[Pair] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def pair_key(pair: Pair) -> tuple[str, str, str, str]:
    """What makes two pairs the same judging task: the question and both answers, in order."""
    return pair.instruction, pair.input, pair.answer1, pair.answer2


def find_duplicates(pairs: Sequence[Pair]) -> dict[str, str]:
    """Id of each pair that repeats an earlier one -> id of the earliest pair with the same key."""
    first: dict[tuple[str, str, str, str], str] = {}
    duplicates: dict[str, str] = {}
    for pair in pairs:
        key = pair_key(pair)
        if key in first:
            duplicates[pair.id] = first[key]
        else:
            first[key] = pair.id
    return duplicates


def find_swapped_twins(pairs: Sequence[Pair]) -> list[tuple[str, str]]:
    """Pairs of ids whose rows hold the same two answers in swapped order.

    Each row is matched with the earliest row holding its answers swapped, and each unordered match is
    listed once, earlier row first. Duplicated rows thus each take part (every row with a twin appears
    at least once) without multiplying the matches; on PandaLM's test set this gives the 65 pairs its
    README counts. A pair whose two answers are equal is not its own twin.
    """
    position = {pair.id: index for index, pair in enumerate(pairs)}
    earliest: dict[tuple[str, str, str, str], str] = {}
    for pair in pairs:
        earliest.setdefault(pair_key(pair), pair.id)
    twins: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.answer1 == pair.answer2:
            continue
        twin = earliest.get((pair.instruction, pair.input, pair.answer2, pair.answer1))
        if twin is not None:
            twins.add(tuple(sorted((pair.id, twin), key=position.__getitem__)))
    return sorted(twins, key=lambda ids: (position[ids[0]], position[ids[1]]))
