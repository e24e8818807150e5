"""Knowledge bias: a judge cannot tell a right fact from a wrong one unless it knows the fact, and
JudgeLM's answer is to give it the reference. The probe judges each knowledge question with its
reference and again with the reference removed (a copy of the pair with ``reference=""``, which every
backend renders without a reference block), and reports how much the reference buys in agreement with
gold. A large gap flags a judge that must not be run reference-free on such questions.

A judge configured never to read references (``judge.with_reference: false``, or a template without a
reference slot) sees the same prompt twice, so its gap is zero by construction, not by merit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.audit.base import Bootstrap, ProbeResult
from components.audit.items import CLEAN, by_variant, variant
from components.audit.stats import (
    ci,
    evidence,
    evidence_suffix,
    flip_example,
    pct,
    share,
    share_ci,
    with_interval,
)
from components.judges.base import JudgeItem
from components.schemas import Judgment, Pair

NO_REFERENCE = "no_reference"


@dataclass(frozen=True)
class KnowledgeProbe:
    flag_gap_above: float = 0.1
    name: str = "knowledge"

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        """Each selected pair as it is and without its reference. Pairs without a reference or a gold
        verdict cannot show what a reference buys and are left out."""
        usable = [pair for pair in pairs if pair.reference.strip() and pair.verdict is not None]
        chosen = [pair for pair in usable if pair.needs_knowledge] or usable
        return [
            item
            for pair in chosen
            for item in (JudgeItem(pair), JudgeItem(variant(pair, self.name, NO_REFERENCE, reference="")))
        ]

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        rows, groups, examples = [], [], []
        knowledge_only = True
        for pair_id, versions in by_variant(self.name, items, judgments).items():
            if CLEAN not in versions or NO_REFERENCE not in versions:
                continue
            with_ref, without = versions[CLEAN], versions[NO_REFERENCE]
            gold = with_ref.item.shown.verdict
            knowledge_only &= with_ref.item.pair.needs_knowledge
            rows.append((with_ref.verdict == gold, without.verdict == gold, with_ref.verdict, without.verdict))
            groups.append(with_ref.item.pair.question_id)
            if with_ref.verdict != without.verdict:
                examples.append(flip_example(pair_id, with_ref, without, NO_REFERENCE, gold=gold))
        selection = "needs_knowledge pairs" if knowledge_only else "all pairs (none is marked needs_knowledge)"
        gap = ci(rows, lambda sample: share([r[0] for r in sample]) - share([r[1] for r in sample]), groups, bootstrap)
        wrong_without = [row for row in rows if not row[1]]
        details = {
            "n": len(rows),
            "selection": selection,
            "agreement_with_reference": share_ci([r[0] for r in rows], groups, bootstrap),
            "agreement_without_reference": share_ci([r[1] for r in rows], groups, bootstrap),
            "errors_without_reference": len(wrong_without),
            "fixed_by_reference": share([r[0] for r in wrong_without]),
            "broken_by_reference": sum(r[1] and not r[0] for r in rows),
            "failures_with_reference": sum(r[2] is None for r in rows),
            "failures_without_reference": sum(r[3] is None for r in rows),
        }
        found = evidence(gap, len(rows), self.flag_gap_above)
        verdict = (
            f"knowledge: agreement {pct(details['agreement_with_reference']['value'])} with the reference vs "
            f"{pct(details['agreement_without_reference']['value'])} without, on {len(rows)} {selection}; "
            f"gap {with_interval(gap)}; the reference fixes {pct(details['fixed_by_reference'])} of the "
            f"no-reference errors"
            + evidence_suffix(found, len(rows), self.flag_gap_above, "do not judge such questions reference-free")
        )
        return ProbeResult.of(self.name, judge, "agreement_gap", gap, found, verdict, details, examples)
