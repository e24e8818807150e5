"""What a probe is and what it returns -- including, for a probe that cannot run on a judge, a result that
says so (``ProbeSkipped``), so an audit never ends in a traceback for a judge it cannot fully probe."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

from components.judges.base import JudgeItem
from components.schemas import Judgment, Pair

MAX_EXAMPLES = 5
# What a probe's CI says about its line (components.audit.stats.evidence); only FLAGGED flags.
FLAGGED, NOT_SIGNIFICANT, TOO_FEW, CLEAR = "flagged", "not significant", "too few items", "ok"


@dataclass(frozen=True)
class Bootstrap:
    resamples: int = 1000
    seed: int = 0


class ProbeSkipped(Exception):
    """Raised by a probe that cannot run on this judge; the message says why and what to do instead."""


@dataclass
class ProbeResult:
    probe: str
    judge: str
    metric: str
    value: float
    low: float
    high: float
    flagged: bool
    verdict: str
    details: dict = field(default_factory=dict)
    flipped: list[dict] = field(default_factory=list)
    skipped: str = ""  # why the probe did not run on this judge; "" when it ran
    evidence: str = ""  # stats.evidence: flagged, not significant, too few items or ok ("" when skipped)
    n: int = 0  # the items the value and its CI are measured on
    families: dict[str, int] = field(default_factory=dict)  # task family -> pairs the probe judged
    sample: str = ""  # which pairs the audit read: the whole set, or how it sampled them
    seconds: float = 0.0  # wall time of building, judging and measuring its items

    @classmethod
    def of(
        cls,
        probe: str,
        judge: str,
        metric: str,
        interval: dict,
        evidence: str,
        verdict: str,
        details: dict,
        flipped: list[dict],
    ) -> ProbeResult:
        """A result from a ``with_ci`` interval ({"value", "low", "high"}) and what it says about the
        probe's line (``stats.evidence``: flagged only when it says FLAGGED), keeping at most
        ``MAX_EXAMPLES`` flipped examples; ``n`` comes from ``details["n"]``."""
        return cls(
            probe=probe,
            judge=judge,
            metric=metric,
            value=interval["value"],
            low=interval["low"],
            high=interval["high"],
            flagged=evidence == FLAGGED,
            verdict=verdict,
            details=details,
            flipped=flipped[:MAX_EXAMPLES],
            evidence=evidence,
            n=int(details.get("n", 0)),
        )

    @classmethod
    def skip(cls, probe: str, judge: str, reason: str) -> ProbeResult:
        """The result of a probe that could not run: no value, never flagged, the reason in the verdict."""
        nan = math.nan
        return cls(probe, judge, "", nan, nan, nan, False, f"{probe}: skipped: {reason}", skipped=reason)

    def to_dict(self) -> dict:
        return asdict(self)


class Probe(Protocol):
    name: str

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        """The items the judge under test must judge."""

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        """The bias, from the judgments of ``build``'s items (same order)."""
