"""Resumable judging: every judgment is appended (and fsynced) to a cache file as soon as its
batch finishes, and a rerun judges only what the cache lacks -- no re-judging, no duplicates.

A judgment is found again only by the judge that made it and for the prompt it sent: the key hashes the
judge's identity (``judges.identity``: weights or endpoint, template, decoding settings), the exact prompt
text the judge sends for the item (``sent``: the rendered template after truncation and answer joining, so
nothing that changes a prompt can be missed), the whole pair and the order, so
one file may hold the judgments of many judges (``judgeops audit --out`` reused for another judge) and a
changed judge, template or setting never reuses an old judgment. Only answers are kept: a failed judgment
is cached only where the backend's failures repeat (greedy local decoding); an API's failures are asked
again on the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from components.judges.base import JudgeItem
from components.judges.identity import Cacheable, failures_repeat, identity_of
from components.keyed_jsonl import KeyedJsonl, digest
from components.schemas import Judgment

CHUNK = 64  # items judged between cache appends: what a killed run loses at most


def item_key(judge_digest: str, item: JudgeItem, prompt=None) -> str:
    """Identifies the exact question one judge was asked: the prompt it sent (``prompt``: what ``sent``
    returns; None for a judge that sends none, such as a scripted rule), the pair (all of it: a scripted
    judge may read the gold verdict or the sources) and the order. The id and order lead, for a human
    reading the file."""
    content = {"judge": judge_digest, "pair": item.pair.model_dump(mode="json"), "order": item.order}
    if prompt is not None:
        content["prompt"] = prompt
    return f"{item.pair.id}|{item.order}|{digest(content)[:32]}"


def sent_prompt(judge, item: JudgeItem):
    """The exact prompt(s) ``judge`` sends for ``item`` (its ``sent(item)``), or None for a judge that renders
    no prompt of its own."""
    sent = getattr(judge, "sent", None)
    return sent(item) if sent is not None else None


def item_keys(judge: Cacheable, items: Sequence[JudgeItem]) -> list[str]:
    """Each item's key. A judge that sends items to other judges (the format probe's template copies)
    declares each item's identity with ``item_identity``; any other judge has one identity for all."""
    per_item = getattr(judge, "item_identity", None)
    if per_item is not None:
        return [item_key(digest(per_item(item)), item, sent_prompt(judge, item)) for item in items]
    judge_digest = digest(identity_of(judge))
    return [item_key(judge_digest, item, sent_prompt(judge, item)) for item in items]


def stored_key(judge: Cacheable, key: str, item: JudgeItem) -> str:
    """The key a fresh judgment is stored under: the key it was looked up by, unless the judge says this
    judgment was made under another identity (``judged_as``: an API judge in logprob mode that had to read
    the text because the endpoint sent no logprobs)."""
    judged_as = getattr(judge, "judged_as", None)
    identity = judged_as(item) if judged_as is not None else None
    return key if identity is None else item_key(digest(identity), item, sent_prompt(judge, item))


def keeps(judge: Cacheable, judgment: Judgment) -> bool:
    """Whether ``judgment`` goes into the cache: every answer, and a failure only where it would repeat."""
    return not judgment.failed or failures_repeat(judge)


def judge_cached(
    judge: Cacheable, items: Sequence[JudgeItem], cache: Path, chunk: int = CHUNK
) -> tuple[list[Judgment], int]:
    """Judgments for ``items`` in their order, and how many came from the cache."""
    keys = item_keys(judge, items)
    fresh: dict[str, Judgment] = {}
    with KeyedJsonl(cache, _judgment) as done:
        todo = [(key, item) for key, item in zip(keys, items, strict=True) if key not in done]
        for start in range(0, len(todo), chunk):
            batch = todo[start : start + chunk]
            for (key, item), judgment in zip(batch, judge.judge([item for _, item in batch]), strict=True):
                fresh[key] = judgment
                if keeps(judge, judgment):
                    record = {"judge": judge.name, "judgment": judgment.model_dump(mode="json")}
                    done.put(stored_key(judge, key, item), record)
        return [fresh[key] if key in fresh else done.get(key) for key in keys], len(items) - len(todo)


def _judgment(row: dict) -> Judgment:
    return Judgment.model_validate(row["judgment"])
