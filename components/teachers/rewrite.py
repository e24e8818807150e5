"""CritiqueLLM's second round: each critique rewritten as if no reference answer had been given.

Round 1 is the teacher's label, written with the reference. Round 2 shows the same model the
question, both answers and that critique, and asks for the same judgement without mentioning or
relying on the reference; the scores may move by at most ``MAX_MOVE``. Moves beyond that are clamped
(and counted): the reference-free label must stay the same judgement, not a new one. The result is a
reference-free training target beside the reference-based one, for JudgeLM's reference drop.

Where it goes on the pair: ``reason_no_reference`` holds the rewritten reason; the flag
``score1_no_reference`` / ``score2_no_reference`` its scores (they swap with the answers), ``no_reference_clamped``
marks a clamp, and ``no_reference_failed`` a rewrite that could not be used (unparseable, a failed
request, or a reason still mentioning the reference) -- such a pair keeps its round-1 label only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from components.judges.parsers import parse
from components.schemas import Pair
from components.teachers.judge import Complete, Messages, reason_after_score_line

log = logging.getLogger(__name__)

MAX_MOVE = 1.0
CLAMPED_FLAG = "no_reference_clamped"
FAILED_FLAG = "no_reference_failed"
MENTIONS_REFERENCE = re.compile(r"reference|参考", re.IGNORECASE)

SYSTEM = "You are a careful assistant who checks the quality of answers."


@dataclass
class RewriteStats:
    rewritten: int = 0
    clamped: int = 0
    failures: int = 0


def rewrite_messages(pair: Pair) -> Messages:
    """Round 2's prompt. The reference is not shown: the model rewrites from the critique alone."""
    question = f"{pair.instruction}\n\n{pair.input}" if pair.input.strip() else pair.instruction
    user = (
        f"[Question]\n{question}\n\n"
        f"[The Start of Assistant 1's Answer]\n{pair.answer1}\n[The End of Assistant 1's Answer]\n\n"
        f"[The Start of Assistant 2's Answer]\n{pair.answer2}\n[The End of Assistant 2's Answer]\n\n"
        f"[The Start of the Evaluation]\n{pair.text}\n[The End of the Evaluation]\n\n"
        "[System]\n"
        "The evaluation above was written by a grader who had a reference answer. Rewrite it for a reader "
        "who has no reference answer: keep its judgement of each assistant, but justify it from the question "
        "and the answers alone, and do not mention or allude to a reference answer. You may change each "
        f"score by at most {MAX_MOVE:g}.\n"
        "Write the two scores, Assistant 1's first, alone on the first line, separated by a space. "
        "From the second line on, write the rewritten explanation."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


class Rewriter:
    """Round 2 for many pairs at once through ``complete`` (the teacher's own model)."""

    def __init__(self, complete: Complete):
        self.complete = complete
        self.stats = RewriteStats()

    def rewrite(self, pairs: Sequence[Pair]) -> list[Pair]:
        outputs = self.complete([rewrite_messages(pair) for pair in pairs]) if pairs else []
        return [self._apply(pair, output) for pair, output in zip(pairs, outputs, strict=True)]

    def _apply(self, pair: Pair, output: str | Exception) -> Pair:
        try:
            score1, score2, reason, clamped = read_rewrite(pair, output)
        except ValueError as failure:
            self.stats.failures += 1
            log.warning("pair %s: reference-free rewrite not used: %s", pair.id, failure)
            return pair.model_copy(update={"flags": [*pair.flags, FAILED_FLAG]})
        self.stats.rewritten += 1
        self.stats.clamped += int(clamped)
        flags = [*pair.flags, *([CLAMPED_FLAG] if clamped else [])]
        return pair.model_copy(
            update={
                "reason_no_reference": reason,
                "score1_no_reference": score1,
                "score2_no_reference": score2,
                "flags": flags,
            }
        )


def read_rewrite(pair: Pair, output: str | Exception) -> tuple[float, float, str, bool]:
    """(score1, score2, reason, clamped) from a round-2 output; ValueError says why it is unusable."""
    if isinstance(output, Exception):
        raise ValueError(f"request failed: {output}")
    parsed = parse("judgelm", output)
    if parsed.failed:
        raise ValueError(f"unparseable: {parsed.failure}")
    reason = reason_after_score_line(output)
    if not reason:
        raise ValueError("no rewritten reason after the score line")
    if MENTIONS_REFERENCE.search(reason):
        raise ValueError("the rewritten reason still mentions the reference")
    score1, moved1 = clamp(parsed.score1, pair.score1)
    score2, moved2 = clamp(parsed.score2, pair.score2)
    return score1, score2, reason, moved1 or moved2


def clamp(score: float, round1: float | None) -> tuple[float, bool]:
    """``score`` kept within MAX_MOVE of round 1's; whether it had to be moved."""
    if round1 is None:
        raise ValueError("the round-1 label has no score to rewrite")
    kept = min(max(score, round1 - MAX_MOVE), round1 + MAX_MOVE)
    return kept, kept != score
