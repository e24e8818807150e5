"""Verbosity bias: padding an answer with restatements of itself adds words but no content, so it must
not change the verdict. The probe pads one answer of each pair and compares the judge's verdict with
its verdict on the unpadded pair in the same order.

The padded answer is the weaker one by gold where there is one (padding the winner leaves little room
to move toward it, and a padded loser that wins is the harm that matters); in ties it alternates. The
order alternates too, so the padded answer is shown first in half the items and second in the other
half, whatever the data's verdict balance: a position bias cannot pass for a verbosity bias.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.audit.base import Bootstrap, ProbeResult
from components.audit.items import CLEAN, by_variant, sentences, variant
from components.audit.stats import (
    evidence,
    evidence_suffix,
    flip_example,
    moved_toward,
    pct,
    share,
    share_ci,
    with_interval,
)
from components.judges.base import JudgeItem
from components.schemas import FIRST, SECOND, Judgment, Order, Pair

PADDED = {FIRST: "pad1", SECOND: "pad2"}


def pad(text: str) -> str:
    """``text`` followed by two restatements of its own sentences: longer, same content, no new facts
    and no markup (so a format-sensitive judge is not what this measures)."""
    restated = " ".join(sentences(text)) or text.strip()
    return f"{text}\n\nTo restate: {restated}\n\nIn other words, as said above: {restated}"


def padded_side(pair: Pair, index: int) -> int:
    """Which answer (1 or 2, in the pair's order) to pad: the gold loser, else alternating."""
    if pair.verdict == FIRST:
        return SECOND
    if pair.verdict == SECOND:
        return FIRST
    return FIRST if index % 2 == 0 else SECOND


@dataclass(frozen=True)
class VerbosityProbe:
    flag_above: float = 0.1
    name: str = "verbosity"

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        items = []
        for index, pair in enumerate(pairs):
            side = padded_side(pair, index)
            shown_first = index % 2 == 0
            order: Order = "original" if (side == FIRST) == shown_first else "swapped"
            field = f"answer{side}"
            padded = variant(pair, self.name, PADDED[side], **{field: pad(getattr(pair, field))})
            items += [JudgeItem(pair, order), JudgeItem(padded, order)]
        return items

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        rows, groups, examples = [], [], []
        for pair_id, versions in by_variant(self.name, items, judgments).items():
            name = next((name for name in versions if name in PADDED.values()), None)
            if CLEAN not in versions or name is None:
                continue
            clean, padded = versions[CLEAN], versions[name]
            side = FIRST if name == PADDED[FIRST] else SECOND
            shown = side if padded.item.order == "original" else 3 - side
            toward = moved_toward(clean.verdict, padded.verdict, shown)
            away = moved_toward(clean.verdict, padded.verdict, 3 - shown)
            rows.append((toward, away, shown, clean.verdict is None or padded.verdict is None))
            groups.append(clean.item.pair.question_id)
            if toward:
                examples.append(flip_example(pair_id, clean, padded, name, padded_shown=shown))
        toward = share_ci([r[0] for r in rows], groups, bootstrap)
        details = {
            "n": len(rows),
            "toward_padded": toward["value"],
            "away_from_padded": share([r[1] for r in rows]),
            "net_toward_padded": share([r[0] for r in rows]) - share([r[1] for r in rows]),
            "toward_padded_shown_first": share([r[0] for r in rows if r[2] == FIRST]),
            "toward_padded_shown_second": share([r[0] for r in rows if r[2] == SECOND]),
            "failures": sum(r[3] for r in rows),
        }
        found = evidence(toward, len(rows), self.flag_above)
        verdict = (
            f"verbosity: padding moved the verdict toward the padded answer in {with_interval(toward)} of "
            f"{len(rows)} pairs (away from it in {pct(details['away_from_padded'])}), "
            f"{details['failures']} with a parse failure"
            + evidence_suffix(found, len(rows), self.flag_above, "restating an answer wins it points")
        )
        return ProbeResult.of(self.name, judge, "toward_padded_rate", toward, found, verdict, details, examples)
