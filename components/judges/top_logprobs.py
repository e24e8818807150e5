"""Logprob mode over an API: a score line read from the ``top_logprobs`` an endpoint (``judgeops serve``,
vLLM, OpenAI) returns with the line it wrote, by the local reader's rules (components.judges.score_reading).

The input is OpenAI's ``choices[0].logprobs.content``: one entry per written token, ``{"token", "logprob",
"top_logprobs": [{"token", "logprob"}, ...]}``. An endpoint shows the distribution only along the line it
wrote, so:

- a value spelled by two tokens ("10" as "1" "0", "Tie" as "T" "ie") is known exactly when the line went
  through its first token. Otherwise that token's mass counts as its own value when it is one (a "1" not
  shown going on as "10" counts as 1) and as nothing when it is not (a "T" that may go on as "The"). The
  likeliest value is exact either way when the written token is a value: its mass bounds both parts of the
  split one. A tokenizer that has "10" as one token is read directly.
- a token outside the top k has no mass here: ask for k = 20 (OpenAI's maximum).
- a judgelm line's second score is read after the first as written: when the endpoint wrote another first
  score than the likeliest, or no score line ("s1 s2", the separator alone or joined to the digit as " 7"),
  the judgment is a failure saying so -- never another verdict than the local reader's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from components.judges.parsers import Parsed
from components.judges.score_reading import (
    LABEL_TEXTS,
    SEPARATOR,
    Reading,
    check_format,
    label_reading,
    likeliest,
    score_line_reading,
    score_reading,
    score_texts,
    unlikely,
)

LINE_TOKENS = 8  # what to generate for a reading: the longest score line ("10 10") and a blank before it
TOP_K = 20  # alternatives to ask for at each token: OpenAI's maximum
Entry = dict  # {"token": str, "logprob": float, "top_logprobs": [{"token": str, "logprob": float}, ...]}


@dataclass(frozen=True)
class Position:
    """The values' probabilities at one point of the written line, the value written there (None: not
    a value), the tokens it took, and the likeliest token there (for a failure's message)."""

    p: list[float]
    written: int | None
    width: int
    top: tuple[str, float]


def read_top_logprobs(output_format: str, entries: Sequence[Entry], min_mass: float) -> Reading:
    """The judgment ``entries`` stand for, or a failure naming why there is none."""
    check_format(output_format)
    if not entries:
        return Reading("", Parsed(failure="the endpoint wrote nothing"))
    if output_format == "pandalm":
        labels = tuple(LABEL_TEXTS)
        first = position(entries, 0, LABEL_TEXTS)
        if sum(first.p) < min_mass:
            return unlikely("verdict", sum(first.p), min_mass, "", *first.top)
        return label_reading(labels, [texts[0] for texts in LABEL_TEXTS.values()], first.p)
    texts = score_texts()
    values = tuple(texts)
    first = position(entries, 0, texts)
    if sum(first.p) < min_mass:
        return unlikely("score", sum(first.p), min_mass, "", *first.top)
    if output_format == "pointwise":
        return score_reading(values, first.p)
    return _second(entries, texts, first, min_mass)


def _second(entries: Sequence[Entry], texts: dict, first: Position, min_mass: float) -> Reading:
    values = tuple(texts)
    s1 = likeliest(values, first.p)
    written = "".join(entry["token"] for entry in entries[: first.width + 1])
    if first.written != s1:
        shown = "no score" if first.written is None else f"the score {first.written}"
        reason = (
            f"the endpoint wrote {shown} ({written!r}) where {s1} is likelier: its top_logprobs show the "
            "second score after that line only"
        )
        return Reading(written, Parsed(failure=reason))
    after = first.width
    if after < len(entries) and entries[after]["token"] == SEPARATOR:
        second = position(entries, after + 1, texts) if after + 1 < len(entries) else None
    elif after < len(entries) and entries[after]["token"].startswith(SEPARATOR):
        second = position(entries, after, texts, prefix=SEPARATOR)
    else:
        second = None
    if second is None:
        reason = f"the endpoint's line {written!r} does not go on as a score line ({s1}{SEPARATOR}and a score)"
        return Reading(written, Parsed(failure=reason))
    if sum(second.p) < min_mass:
        return unlikely("second score", sum(second.p), min_mass, f"{s1}{SEPARATOR}", *second.top)
    return score_line_reading(values, first.p, second.p)


def position(entries: Sequence[Entry], index: int, texts: dict[int, tuple[str, ...]], prefix: str = "") -> Position:
    """The values' probabilities at ``entries[index]``; tokens there count only with ``prefix`` (removed)."""
    here = _distribution(entries[index], prefix)
    written = _strip(entries[index]["token"], prefix)
    following = entries[index + 1] if index + 1 < len(entries) else None
    after = _distribution(following) if following is not None else {}
    every = [text for alternatives in texts.values() for text in alternatives]
    p = []
    for alternatives in texts.values():
        total = 0.0
        for text in alternatives:
            longer = [other for other in every if other != text and other.startswith(text)]
            if text in here:
                going_on = sum(after.get(other[len(text) :], 0.0) for other in longer) if written == text else 0.0
                total += here[text] * (1 - going_on)
            if written and following is not None and written != text and text.startswith(written):
                total += here.get(written, 0.0) * after.get(text[len(written) :], 0.0)
        p.append(total)
    value, width = _written_value(texts, written, following["token"] if following is not None else None)
    return Position(p, value, width, _top(entries[index]))


def _written_value(texts: dict[int, tuple[str, ...]], written: str | None, next_token: str | None):
    """(the value the line writes from here, how many tokens it takes) or (None, 1)."""
    spelled = {text: value for value, alternatives in texts.items() for text in alternatives}
    if written is None:
        return None, 1
    if next_token and written + next_token in spelled:
        return spelled[written + next_token], 2
    return spelled.get(written), 1


def _distribution(entry: Entry, prefix: str = "") -> dict[str, float]:
    found: dict[str, float] = {}
    for alternative in entry.get("top_logprobs") or []:
        token = _strip(alternative["token"], prefix)
        if token is not None:
            found[token] = found.get(token, 0.0) + math.exp(alternative["logprob"])
    return found


def _strip(token: str, prefix: str) -> str | None:
    return token[len(prefix) :] if token.startswith(prefix) else None


def _top(entry: Entry) -> tuple[str, float]:
    alternatives = entry.get("top_logprobs") or [entry]
    best = max(alternatives, key=lambda alternative: alternative["logprob"])
    return best["token"], math.exp(best["logprob"])
