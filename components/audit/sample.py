"""Which pairs the audit reads: all of them by default (``audit.max_items: null``); a smaller
``max_items`` is spread across the task families, so no family is left out because the file is stored
family by family (a prefix of data/generated/test.jsonl held 3 of its 15 families)."""

from __future__ import annotations

from collections.abc import Sequence

from components.schemas import Pair
from components.subsets import spread


def audit_sample(pairs: Sequence[Pair], max_items: int | None) -> tuple[list[Pair], str]:
    """(the pairs to audit, in their stored order, and a sentence saying which they are)."""
    pairs = list(pairs)
    families = _by_family(pairs)
    if max_items is None or max_items >= len(pairs):
        return pairs, f"all {len(pairs)} pairs ({len(families)} families)"
    quotas = _quotas({family: len(group) for family, group in families.items()}, max_items)
    chosen = {id(pair) for family, quota in quotas.items() for pair in spread(families[family], quota)}
    sample = [pair for pair in pairs if id(pair) in chosen]
    covered = sum(quota > 0 for quota in quotas.values())
    return sample, (
        f"{len(sample)} of {len(pairs)} pairs (audit.max_items {max_items}), spread evenly across "
        f"{covered} of {len(families)} families"
    )


def _by_family(pairs: Sequence[Pair]) -> dict[str, list[Pair]]:
    found: dict[str, list[Pair]] = {}
    for pair in pairs:
        found.setdefault(pair.family, []).append(pair)
    return found


def _quotas(sizes: dict[str, int], count: int) -> dict[str, int]:
    """``count`` shared out one at a time across the families that have pairs left; with fewer than one
    per family, the families taking one are themselves spread through the stored order."""
    names = spread(list(sizes), count)
    quotas = dict.fromkeys(sizes, 0)
    left = count
    while left:
        for name in names:
            if left and quotas[name] < sizes[name]:
                quotas[name] += 1
                left -= 1
    return quotas
