"""``judgeops gate``: a registered judge's card checked against thresholds, one line per failed check.

Every threshold is optional; with none given the gate fails only on a flagged probe. A probe's line can
be moved (``probe_lines``): the card's CI is then read against the new line by the audit's own rule
(components/audit/stats.py ``evidence``), so "flagged" means the same here as in the audit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from components.audit.base import FLAGGED
from components.audit.stats import evidence
from components.card.render import number


@dataclass(frozen=True)
class Thresholds:
    min_agreement: float | None = None  # on the test split, the point figure
    min_agreement_low: float | None = None  # the lower end of its 95% CI
    min_kappa: float | None = None
    min_auc: float | None = None  # correct-vs-wrong AUC
    max_parse_failures: float | None = None
    human: dict[str, float] = field(default_factory=dict)  # human-labelled set -> minimum agreement
    probe_lines: dict[str, float] = field(default_factory=dict)  # probe -> its line instead of the card's
    fail_on_flagged: bool = True


def check(card: dict, limits: Thresholds) -> list[str]:
    """The failed checks of ``card`` under ``limits``, one line each (empty: it passes)."""
    failed: list[str] = []
    who = f"judge v{card.get('version', '?')}"
    quality = card.get("quality", {})
    tuned = quality.get("finetuned", {})
    agreement = tuned.get("agreement", {})
    _at_least(failed, who, "test agreement", agreement.get("value", math.nan), limits.min_agreement)
    _at_least(failed, who, "test agreement's 95% CI low end", agreement.get("low", math.nan), limits.min_agreement_low)
    _at_least(failed, who, "kappa", tuned.get("cohen_kappa", {}).get("value", math.nan), limits.min_kappa)
    auc = quality.get("auc", {}).get("finetuned", {}).get("value", math.nan)
    _at_least(failed, who, "correct-vs-wrong AUC", auc, limits.min_auc)
    if limits.max_parse_failures is not None:
        rate = tuned.get("parse_failure_rate", math.nan)
        if math.isnan(rate) or rate > limits.max_parse_failures:
            failed.append(f"{who}: parse failures {number(rate)} > {limits.max_parse_failures:g}")
    human = quality.get("human", {})
    for name, minimum in limits.human.items():
        found = human.get(name, {}).get("finetuned")
        if found is None:
            held = ", ".join(human) or "none"
            failed.append(f"{who}: not evaluated on the human-labelled set {name!r} (card has: {held})")
        else:
            _at_least(failed, who, f"agreement on {name}", found["agreement"]["value"], minimum)
    probes = {p["probe"]: p for p in card.get("audit", [])}
    for name in limits.probe_lines:
        if name not in probes:
            failed.append(f"{who}: probe {name} was not run for its card")
    if limits.fail_on_flagged:
        for name, p in probes.items():
            line = limits.probe_lines.get(name, p["threshold"])
            status = p["evidence"]
            if name in limits.probe_lines and not p["skipped"]:
                interval = {"value": p["value"], "low": p["low"], "high": p["high"]}
                status = evidence(interval, p["n"], line, p["lower_is_worse"])
            if status == FLAGGED:
                side = "below" if p["lower_is_worse"] else "above"
                failed.append(
                    f"{who}: probe {name} flagged: {p['metric']} {number(p['value'])} "
                    f"(95% CI {number(p['low'])}-{number(p['high'])}) wholly {side} {line:g}"
                )
    return failed


def _at_least(failed: list[str], who: str, what: str, value: float, minimum: float | None) -> None:
    if minimum is None:
        return
    if value is None or math.isnan(value) or value < minimum:
        failed.append(f"{who}: {what} {number(value)} < {minimum:g}")
