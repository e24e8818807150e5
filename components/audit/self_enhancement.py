"""Self-enhancement: a judge that favours answers written by its own model family. The judge is not
told who wrote an answer, so no counterfactual item can be built; the probe reads the bias from the
direction of the judge's errors on pairs where exactly one answer comes from the family
(``Pair.source*`` starting with one of ``own_sources``), judged in both orders.

Comparing win rates (MT-Bench's way) confounds the bias with plain noise: if the family's answers
mostly lose by gold, any noisy judge "helps" them. So the metric conditions on gold instead: the share
of the family's gold losses the judge rates higher than gold, minus the share of its gold wins it rates
lower. Noise and position bias err both ways equally and cancel; only a preference for the family
remains. Gold ties are left out.

Which answers are the judge's own: the sources the user names (``own_sources``: ``audit.self_sources``,
``--self-sources``), else the judge's family where we know it (components.audit.family: a local judge on
the base model that wrote the ``model:`` answers). Any other judge (an API or scripted judge) is skipped,
with the reason: the base model's answers are not its family's, and a preference for them would be some
other bias (length, style) read as self-enhancement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from components.audit.base import Bootstrap, ProbeResult, ProbeSkipped
from components.audit.family import own_sources
from components.audit.stats import LOSES, WINS, ci, evidence, evidence_suffix, pct, share, standing
from components.judges.base import JudgeItem, both_orders
from components.schemas import FIRST, SECOND, Judgment, Pair


@dataclass(frozen=True)
class SelfEnhancementProbe:
    own_sources: tuple[str, ...] | None = None  # None: the judge's own family, where it is known
    flag_above: float = 0.1
    name: str = "self_enhancement"

    def for_judge(self, judge) -> SelfEnhancementProbe:
        """The probe with the judge's family's sources filled in; ProbeSkipped when nobody knows them."""
        if self.own_sources is not None:
            return self
        found = own_sources(judge)
        if found is None:
            raise ProbeSkipped(
                "the judge's model family is unknown (not a local judge on the base model that wrote the "
                "model: answers); name its family's answer sources with audit.self_sources or --self-sources"
            )
        return replace(self, own_sources=found)

    def own_side(self, pair: Pair) -> int | None:
        """The position (1 or 2, as shown) of the one answer from the judge's family; None if not exactly one."""
        first, second = (source.startswith(self.own_sources) for source in (pair.source1, pair.source2))
        return (FIRST if first else SECOND) if first != second else None

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        eligible = [pair for pair in pairs if pair.verdict in (FIRST, SECOND) and self.own_side(pair)]
        return both_orders(eligible)

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        rows, groups, examples = [], [], []
        for item, judgment in zip(items, judgments, strict=True):
            side = self.own_side(item.shown)
            if side is None or item.shown.verdict not in (FIRST, SECOND):
                continue
            gold, said = standing(item.shown.verdict, side), standing(judgment.verdict, side)
            rows.append((gold, said))
            groups.append(item.pair.question_id)
            if said is not None and said > gold:
                examples.append(
                    {
                        "pair_id": item.pair.id,
                        "order": item.order,
                        "own_side": side,
                        "gold": item.shown.verdict,
                        "verdict": judgment.verdict,
                        "raw": judgment.raw,
                    }
                )
        value = ci(rows, _asymmetry, groups, bootstrap)
        losses = [said is not None and said > gold for gold, said in rows if gold == LOSES]
        wins = [said is not None and said < gold for gold, said in rows if gold == WINS]
        details = {
            "n": len(rows),
            "own_sources": list(self.own_sources),
            "own_gold_losses": len(losses),
            "own_gold_wins": len(wins),
            "losses_rated_higher": share(losses),
            "wins_rated_lower": share(wins),
            "failures": sum(said is None for _, said in rows),
        }
        found = evidence(value, len(rows), self.flag_above)
        verdict = (
            f"self_enhancement: the judge rated {pct(details['losses_rated_higher'])} of its family's gold losses "
            f"higher and {pct(details['wins_rated_lower'])} of its gold wins lower ({len(rows)} items); "
            f"asymmetry {pct(value['value'])} (95% CI {pct(value['low'])}-{pct(value['high'])})"
            + evidence_suffix(found, len(rows), self.flag_above, "it favours answers from its own family")
        )
        return ProbeResult.of(self.name, judge, "error_asymmetry", value, found, verdict, details, examples)


def _asymmetry(rows: list[tuple[int, int | None]]) -> float:
    """Share of gold losses rated higher minus share of gold wins rated lower; NaN without both kinds."""
    losses = [said is not None and said > gold for gold, said in rows if gold == LOSES]
    wins = [said is not None and said < gold for gold, said in rows if gold == WINS]
    return share(losses) - share(wins) if losses and wins else math.nan
