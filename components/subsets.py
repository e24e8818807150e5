"""Evenly spread subsets: the files we sample from are stored in runs (family by family, id by id), so a
prefix would see only the first few runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def spread(items: Sequence[T], count: int | None) -> list[T]:
    """``count`` items taken at even steps through ``items`` (all of them when ``count`` is None or not
    smaller), in their stored order."""
    if count is None or count >= len(items):
        return list(items)
    return [items[index * len(items) // count] for index in range(count)]
