"""Logprob mode's rules, on the probabilities of a score line's values: what the line states, the expected
scores, the verdict, the confidence, and when there is too little probability to read anything.

One set of rules for every source of probabilities -- a local model's logits (components.judges.logprob)
and an endpoint's ``top_logprobs`` (components.judges.top_logprobs) -- so a judge read over an API judges
as the same judge read locally. Plain floats, no torch: an API judge does not load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.judges.parsers import Parsed
from components.judges.templates import get_template
from components.schemas import FIRST, SECOND, TIE, verdict_from_scores
from components.vocabulary import SCORE_RANGE

LOGPROB_FORMATS = ("judgelm", "pandalm", "pointwise")  # the output formats these rules read
SEPARATOR = " "  # between the two scores of a judgelm line
LABEL_TEXTS = {FIRST: ("1",), SECOND: ("2",), TIE: ("Tie", "tie")}  # pandalm's verdict and its spellings


def check_format(output_format: str) -> None:
    if output_format not in LOGPROB_FORMATS:
        raise ValueError(
            f"logprob mode reads the {' or '.join(LOGPROB_FORMATS)} output formats, not {output_format!r}; "
            "use score_first or generate for this template"
        )


def usable_mode(mode: str, template: str) -> str:
    """``mode``, or ``score_first`` where it is logprob and logprob cannot read ``template``'s output."""
    if mode == "logprob" and get_template(template).output not in LOGPROB_FORMATS:
        return "score_first"
    return mode


def score_texts() -> dict[int, tuple[str, ...]]:
    """Each score of the scale and the text that writes it."""
    low, high = (int(bound) for bound in SCORE_RANGE)
    return {k: (str(k),) for k in range(low, high + 1)}


@dataclass(frozen=True)
class Reading:
    """One judgment as read: the text it stands for, the parse, and the probability behind it."""

    raw: str
    parsed: Parsed
    confidence: float | None = None
    stated: float | None = None  # pointwise: the score the line states (the most likely one; parsed has the mean)


def likeliest(values: Sequence[int], p: Sequence[float]) -> int:
    """The value with the most probability (the first of equals)."""
    return values[max(range(len(p)), key=lambda i: (p[i], -i))]


def expected(values: Sequence[int], p: Sequence[float]) -> float:
    """The mean value under ``p``, renormalised over the values."""
    return sum(v * q for v, q in zip(values, p, strict=True)) / sum(p)


def unlikely(what: str, mass: float, min_mass: float, written: str, token: str, token_p: float) -> Reading:
    """A failure that names the mass found and what the model would have written instead (``token``)."""
    reason = (
        f"no {what} token is likely: p = {mass:.3g} < {min_mass:g} on the valid tokens; "
        f"the most likely next token is {token!r} (p = {token_p:.3g})"
    )
    return Reading(written + token, Parsed(failure=reason))


def score_reading(values: Sequence[int], p: Sequence[float]) -> Reading:
    """Pointwise: the line states the likeliest score; the parse keeps the expected one."""
    best = likeliest(values, p)
    return Reading(str(best), Parsed(score1=expected(values, p)), max(p), stated=best)


def score_line_reading(values: Sequence[int], p1: Sequence[float], p2: Sequence[float]) -> Reading:
    """judgelm: the likeliest line "s1 s2" (s2 read after s1), JudgeLM's verdict on it, the expected scores,
    and the probability of that line as the confidence."""
    s1, s2 = likeliest(values, p1), likeliest(values, p2)
    parsed = Parsed(score1=expected(values, p1), score2=expected(values, p2), verdict=verdict_from_scores(s1, s2))
    return Reading(f"{s1}{SEPARATOR}{s2}", parsed, max(p1) * max(p2))


def label_reading(values: Sequence[int], names: Sequence[str], p: Sequence[float]) -> Reading:
    """pandalm: the likeliest label, its probability the confidence."""
    index = values.index(likeliest(values, p))
    return Reading(names[index], Parsed(verdict=values[index]), p[index])
