"""Resumable judging: every judgment is appended (and fsynced) to a cache file as soon as its
batch finishes, and a rerun judges only what the cache lacks -- no re-judging, no duplicates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from components.io import Appender, read_cache
from components.judges.base import Judge, JudgeItem
from components.schemas import Judgment


def item_key(item: JudgeItem) -> str:
    """Identifies the exact question the judge was asked: pair content and order."""
    content = item.pair.model_dump(include={"instruction", "input", "reference", "answer1", "answer2"})
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
    return f"{item.pair.id}|{item.order}|{digest}"


def judge_cached(judge: Judge, items: Sequence[JudgeItem], cache: Path, chunk: int = 64) -> tuple[list[Judgment], int]:
    """Judgments for ``items`` in their order, and how many came from the cache."""
    done = _load(cache)
    todo = [item for item in items if item_key(item) not in done]
    reused = len(items) - len(todo)
    with Appender(cache) as out:
        for start in range(0, len(todo), chunk):
            batch = todo[start : start + chunk]
            for item, judgment in zip(batch, judge.judge(batch), strict=True):
                out.append({"key": item_key(item), "judgment": judgment.model_dump(mode="json")})
                done[item_key(item)] = judgment
    return [done[item_key(item)] for item in items], reused


class _Cached(BaseModel):
    """One cache line: the item's key and its judgment."""

    key: str
    judgment: Judgment


def _load(cache: Path) -> dict[str, Judgment]:
    """Judgments by item key; a line that does not fit is skipped with a warning and judged again."""
    return {row.key: row.judgment for row in read_cache(cache, _Cached)}
