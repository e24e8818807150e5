"""``judgeops gate --against-card REF --judge SPEC``: measure a live judge again on its card's test pairs
and say which figures moved beyond the card's 95% CIs -- the check a team runs when a provider changes
the model behind a name, or a judge is re-served from another build.

The judge is judged on the same pairs (the file's md5 must be the card's test split's), in their original
order as the card's agreement was, and audited with the probes the card ran. A figure has moved when its
new point value lies outside the card's interval: the card's CI already holds the noise of the original
measurement, so the new value is read against it rather than against a second CI. Figures the card could
not state (a skipped probe, an interval it has no bounds for) are said to be not comparable, never passed
silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from components.card.render import number
from components.judges.base import Judge, JudgeItem
from components.schemas import Pair

QUALITY = (("agreement", "test agreement"), ("cohen_kappa", "kappa"), ("f1_macro", "macro F1"))


@dataclass(frozen=True)
class Figure:
    name: str
    card: dict  # {"value", "low", "high"} as the card states it
    now: float

    @property
    def comparable(self) -> bool:
        return not any(math.isnan(float(self.card.get(k, math.nan))) for k in ("low", "high")) and not math.isnan(
            self.now
        )

    @property
    def moved(self) -> bool:
        return self.comparable and not self.card["low"] <= self.now <= self.card["high"]

    @property
    def status(self) -> str:
        return "n/a" if not self.comparable else "MOVED" if self.moved else "held"

    def line(self) -> str:
        """``MOVED test agreement: now 0.500, card 0.858 (95% CI 0.775-0.925)``."""
        value, low, high = (number(self.card.get(key)) for key in ("value", "low", "high"))
        card = f"card {value} (95% CI {low}-{high})"
        return f"{self.status} {self.name}: now {number(self.now)}, {card}"


def check_test_split(card: dict, digest: str, data: str) -> None:
    """The pairs must be the ones the card was measured on: its figures' CIs say nothing about others."""
    expected = card.get("data", {}).get("splits", {}).get("test", {}).get("md5", "")
    if expected and expected != digest:
        raise ValueError(
            f"--data {data} (md5 {digest[:12]}) is not the test split judge v{card.get('version', '?')}'s card "
            f"was measured on (md5 {expected[:12]}): give that file (DVC keeps it: `dvc get` or `git checkout` the "
            "rev on the card, then `dvc checkout data/generated`)"
        )


def remeasure(card: dict, judge: Judge, pairs: Sequence[Pair], audit_params) -> list[Figure]:
    """The card's quality figures and probes, measured again on ``judge``, beside the card's intervals."""
    from components.audit.suite import audit_judge
    from components.metrics import pairwise_metrics

    labelled = [pair for pair in pairs if pair.verdict is not None]
    # The card's quality figures are read on the original order (its consistency is not compared): one order.
    judged = judge.judge([JudgeItem(pair) for pair in labelled])
    metrics = pairwise_metrics([pair.verdict for pair in labelled], [j.verdict for j in judged])
    stated = card.get("quality", {}).get("finetuned", {})
    now = {"agreement": metrics["accuracy"], "cohen_kappa": metrics["cohen_kappa"], "f1_macro": metrics["f1_macro"]}
    figures = [Figure(label, stated.get(key, {}), float(now[key])) for key, label in QUALITY]
    probes = [p for p in card.get("audit", []) if not p.get("skipped")]
    figures += [Figure(f"probe {p['probe']}", p, math.nan) for p in card.get("audit", []) if p.get("skipped")]
    if probes:
        cfg = audit_params.model_copy(update={"probes": [p["probe"] for p in probes]})
        results = {r.probe: r for r in audit_judge(judge, pairs, cfg)}
        for p in probes:
            found = results[p["probe"]]
            value = math.nan if found.skipped else float(found.value)
            figures.append(Figure(f"probe {p['probe']} ({p['metric']})", p, value))
    return figures
