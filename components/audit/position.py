"""Position bias: the same pair judged in both orders (JudgeLM's consistency, prefer-first,
prefer-second and delta bias). Pairs whose gold data already holds both orders (PandaLM's 65
swapped twins) need no new items -- ``twins`` measures them directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.audit.base import Bootstrap, ProbeResult
from components.audit.items import by_order
from components.audit.stats import ci, evidence, evidence_suffix, pct
from components.judges.base import JudgeItem, both_orders
from components.metrics import consistency_metrics
from components.schemas import Judgment, Pair, mirror


@dataclass(frozen=True)
class PositionProbe:
    flag_below: float = 0.8
    name: str = "position"

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        return both_orders(pairs)

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        by_pair = by_order(items, judgments)
        ids = list(by_pair)
        rows = [(by_pair[pid]["original"].verdict, by_pair[pid]["swapped"].verdict) for pid in ids]
        groups = [by_pair[pid]["original"].item.pair.question_id for pid in ids]
        return self._result(judge, rows, groups, ids, by_pair, bootstrap)

    def _result(self, judge, rows, groups, ids, by_pair, bootstrap: Bootstrap) -> ProbeResult:
        summary = consistency_metrics([a for a, _ in rows], [b for _, b in rows])
        consistent = ci(
            rows,
            lambda sample: sum(b is not None and b == mirror(a) for a, b in sample) / len(sample),
            groups,
            bootstrap,
        )
        flipped = [
            {
                "pair_id": pid,
                "original": by_pair[pid]["original"].judgment.raw,
                "swapped": by_pair[pid]["swapped"].judgment.raw,
            }
            for pid, (a, b) in zip(ids, rows, strict=True)
            if a is not None and b is not None and b != mirror(a)
        ]
        found = evidence(consistent, len(rows), self.flag_below, lower_is_worse=True)
        verdict = (
            f"position: consistency {pct(consistent['value'])} (95% CI {pct(consistent['low'])}-"
            f"{pct(consistent['high'])}) on {len(rows)} pairs, prefer-first {pct(summary['prefer_first'])}, "
            f"prefer-second {pct(summary['prefer_second'])}, {summary['failures']} with a parse failure"
            + evidence_suffix(found, len(rows), self.flag_below, "its verdict follows the position", True)
        )
        return ProbeResult.of(self.name, judge, "consistency", consistent, found, verdict, summary, flipped)
