"""One probe against one judge: build the items, have the judge judge them, measure.

Judging goes through a caller-given function so the stage can route it through its judgment cache
(``judge_cached``) and tests can call the judge directly. A probe that needs more than the judge
itself (the format probe needs copies under other templates) says so with ``judge_for``, and one that
cannot run on this judge at all raises ``ProbeSkipped`` there: its result then says skipped and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from components.audit.base import Bootstrap, Probe, ProbeResult, ProbeSkipped
from components.audit.items import untag
from components.judges.base import Judge, JudgeItem
from components.schemas import Judgment, Pair

JudgeItems = Callable[[Judge, Sequence[JudgeItem]], list[Judgment]]


def for_judge(probe: Probe, judge: Judge) -> Probe:
    """The probe as it applies to ``judge`` (the format probe keeps the templates of the judge's kind)."""
    narrow = getattr(probe, "for_judge", None)
    return narrow(judge) if narrow else probe


def judge_for(probe: Probe, judge: Judge) -> Judge:
    """The judge that must judge ``probe``'s items: ``judge`` itself unless the probe adapts it."""
    adapt = getattr(probe, "judge_for", None)
    return adapt(judge) if adapt else judge


def run_probe(
    probe: Probe, judge: Judge, pairs: Sequence[Pair], bootstrap: Bootstrap, judge_items: JudgeItems | None = None
) -> ProbeResult:
    """``judge_items(judge, items)`` returns one judgment per item in order (default: ``judge.judge``)."""
    try:
        probe = for_judge(probe, judge)
        adapted = judge_for(probe, judge)
    except ProbeSkipped as why:
        return ProbeResult.skip(probe.name, judge.name, str(why))
    items = probe.build(pairs)
    if not items:  # nothing to judge: do not make a backend load its model for it
        judgments = []
    else:
        judgments = judge_items(adapted, items) if judge_items else adapted.judge(items)
    result = probe.measure(judge.name, items, judgments, bootstrap)
    result.families = families_of(items, probe.name)
    return result


def families_of(items: Sequence[JudgeItem], probe: str) -> dict[str, int]:
    """Task family -> the distinct pairs of the data set among ``items`` (variants count as their pair)."""
    pairs = {untag(item.pair.id, probe)[0]: item.pair.family for item in items}
    return dict(sorted(Counter(pairs.values()).items()))
