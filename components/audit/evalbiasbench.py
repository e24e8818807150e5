"""EvalBiasBench as a probe: published bias traps beside the ones the audit builds from the test split.

EvalBiasBench (OffsetBias, ncsoft/offsetbias) holds pairs built to trip a judge on six known biases --
length, concreteness, empty reference, content continuation, nested instruction, familiar knowledge --
each with the better response labelled. The probe judges every pair of a file written by
``judgeops import evalbiasbench`` (``audit.evalbiasbench``; the audit's test split plays no part) in
both orders, since the label is the first response in every published pair and a judge that always
answers "1" would score 100% in the order given. A pair counts as right only when both orders name
the labelled response; a tie or a parse failure in either order is a miss (failures are counted).

Metric: accuracy in both orders, overall and per bias type, each with a bootstrap 95% CI over
questions, beside each order's accuracy. Flagged when the overall CI lies wholly below
``flag_below``: the judge falls for the traps more often than it sees through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.audit.base import Bootstrap, ProbeResult, ProbeSkipped
from components.audit.items import by_order
from components.audit.stats import evidence, evidence_suffix, pct, share, share_ci, with_interval
from components.io import read_jsonl
from components.judges.base import JudgeItem, both_orders
from components.schemas import Judgment, Pair, mirror

UNNAMED = "set audit.evalbiasbench to a file written by `judgeops import evalbiasbench` (the published biasbench.json)"


@dataclass(frozen=True)
class EvalBiasBenchProbe:
    path: str | None = None
    flag_below: float = 0.5
    name: str = "evalbiasbench"

    def for_judge(self, judge) -> EvalBiasBenchProbe:
        if not self.path:
            raise ProbeSkipped(UNNAMED)
        return self

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        """Every pair of the named file in both orders (``pairs``, the audit's sample of the test split, is
        not this probe's data)."""
        traps = [pair for pair in read_jsonl(self.path, Pair) if pair.verdict is not None]
        return both_orders(traps)

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        judged = by_order(items, judgments)
        ids = list(judged)
        pairs = {pid: orders["original"].item.pair for pid, orders in judged.items()}
        verdicts = {pid: {order: found.verdict for order, found in orders.items()} for pid, orders in judged.items()}
        rows = [self._row(pairs[pid], verdicts[pid]) for pid in ids]
        overall = self._figures(rows, [pairs[pid].question_id for pid in ids], bootstrap)
        by_bias = {}
        for bias in sorted({pairs[pid].category or "(none)" for pid in ids}):
            chosen = [i for i, pid in enumerate(ids) if (pairs[pid].category or "(none)") == bias]
            by_bias[bias] = self._figures(
                [rows[i] for i in chosen], [pairs[ids[i]].question_id for i in chosen], bootstrap
            )
        details = {**overall, "path": self.path, "by_bias": by_bias}
        misses = [
            {"pair_id": pid, "bias": pairs[pid].category, "gold": pairs[pid].verdict, **verdicts[pid]}
            for pid, row in zip(ids, rows, strict=True)
            if not row["both"]
        ]
        found = evidence(overall["both_orders"], len(rows), self.flag_below, lower_is_worse=True)
        per_bias = ", ".join(f"{bias} {pct(f['both_orders']['value'])} of {f['n']}" for bias, f in by_bias.items())
        verdict = (
            f"evalbiasbench: right in both orders on {with_interval(overall['both_orders'])} of {len(rows)} pairs "
            f"(original order {pct(overall['original'])}, swapped {pct(overall['swapped'])}, "
            f"{overall['failures']} with a parse failure); by bias: {per_bias}"
            + evidence_suffix(found, len(rows), self.flag_below, "the judge falls for the published traps", True)
        )
        result = ProbeResult.of(
            self.name, judge, "accuracy_both_orders", overall["both_orders"], found, verdict, details, misses
        )
        result.sample = f"EvalBiasBench: {len(rows)} pairs of {self.path}, both orders"
        return result

    @staticmethod
    def _row(pair: Pair, verdicts: dict[str, int | None]) -> dict:
        original = verdicts["original"] == pair.verdict
        swapped = verdicts["swapped"] is not None and verdicts["swapped"] == mirror(pair.verdict)
        failed = verdicts["original"] is None or verdicts["swapped"] is None
        return {"original": original, "swapped": swapped, "both": original and swapped, "failed": failed}

    @staticmethod
    def _figures(rows: list[dict], groups: list[str], bootstrap: Bootstrap) -> dict:
        return {
            "n": len(rows),
            "both_orders": share_ci([row["both"] for row in rows], groups, bootstrap),
            "original": share([row["original"] for row in rows]),
            "swapped": share([row["swapped"] for row in rows]),
            "failures": sum(row["failed"] for row in rows),
        }
