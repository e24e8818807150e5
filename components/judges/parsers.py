"""Turn a judge model's raw output into scores and a verdict -- or into a named failure, never a guess.

Parsers read only the model output, never the prompt: reading the prompt is how a parser ends up
returning the example score of the instructions (prometheus-eval users' top complaint). An output
that does not follow its format is a failure with a reason; it is never mapped to a tie, as
PandaLM's and JudgeLM's own parsers do, because a hidden tie inflates agreement on tie-heavy data
and hides a judge that cannot follow its format.

Acceptance rules, per output format ("first line" = the first line that is not blank; surrounding
whitespace and markdown emphasis (``*``, ``_``, backticks) around it are ignored, so ``**8 7**``
reads as ``8 7``; numbers are ASCII decimals like ``7`` or ``7.5``; ranges are inclusive; 1..10 is
``vocabulary.SCORE_RANGE``, JudgeLM's scale, which validate.min_score/max_score may only narrow):

- ``judgelm``: the first line, commas read as spaces, is exactly two numbers, each in 1..10.
  ``score1, score2`` are those numbers; verdict: higher wins, equal is a tie (``7 7``). Anything else
  on that line (labels like ``Scores:``, ``8/10``, a third number, a trailing period) is a failure, and
  so is a score outside the scale: ``0 0`` and ``15 3`` are not verdicts, nor is JudgeLM's failure
  value ``-1 -1``. Two scores given as numbers (``score_pair``) follow the same range and rule.
- ``pointwise``: as ``judgelm`` with exactly one number in 1..10 -> ``score1``; no verdict.
- ``pandalm``: the first line is ``1``, ``2`` or ``Tie`` (any case: ``tie``, ``TIE``), optionally
  followed by one period (``Tie.``, ``1.``). Labels (``Result: 1``, ``Response 1``), ``0`` and a tie
  inside a sentence are failures: PandaLM's format is the bare token, and every extra spelling
  accepted is a spelling a broken judge can hit by chance.
- ``mtbench_pair``: every ``[[A]]`` / ``[[B]]`` / ``[[C]]`` marker in the output (exact spelling and
  case, as in FastChat; ``[[a]]``, ``[[ A ]]``, ``[A]`` are not markers) must name the same verdict:
  A -> 1, B -> 2, C -> tie. No marker, or markers that disagree, is a failure. FastChat instead takes
  ``[[A]]`` whenever it appears anywhere, which reads an output quoting the instruction
  (``"[[A]]" if A is better, "[[B]]" ...``) as a win for the first answer -- a position bias made by
  the parser; "last marker wins" would read the same quote as a tie. Repeating the one verdict is fine.
- ``mtbench_single``: ``[[n]]`` markers (spaces inside allowed) holding a number; all numeric ones
  must agree and lie in 1..10 -> ``score1``. Markers not holding a number (an echoed ``[[rating]]``)
  are ignored when a numeric one exists. No fallback to single brackets ``[n]``, unlike FastChat:
  citation marks such as ``[1]`` in a critique would become ratings.
- ``prometheus_absolute``: the first word after ``[RESULT]`` (any case, optional colon, may start the
  next line) is an integer 1..5, optionally written ``4/5`` and wrapped in ``** " ( [`` or followed by
  punctuation -> ``score1``; later words (``out of 5``, more text) are tolerated. All numeric results
  must agree; a non-numeric one (the echoed ``[RESULT] (an integer ...)``) is ignored when a numeric
  one exists. ``Score: 4`` without ``[RESULT]`` is a failure: feedback often quotes the rubric's
  ``Score 5:`` lines. Decimals, out-of-range and disagreeing results are failures.
- ``prometheus_relative``: the rest of the ``[RESULT]`` line is ``A`` or ``B`` alone (exact case),
  optionally ``Response A``, wrapped as above or followed by punctuation -> verdict 1 / 2. The letter
  must end its line (as in prometheus-eval), so the echoed ``[RESULT] (A or B)`` is ignored. Relative
  grading has no tie, so ``[RESULT] Tie`` or ``C`` is a failure, as are results that disagree.

Empty or whitespace-only output is a failure in every format.

A verdict written as text whose format is not known (a predictions file given to ``judgeops score``)
is read by ``parse_verdict_text``: it must follow one of ``VERDICT_TEXT_FORMATS`` by the rules above,
so the scorer and the judges read every string the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from components.schemas import FIRST, SECOND, TIE, verdict_from_scores
from components.vocabulary import SCORE_RANGE, TARGET_FORMATS

_T = TypeVar("_T")

PROMETHEUS_RANGE = (1, 5)

_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_EMPHASIS = "*_`"
_PAIR_MARKER = re.compile(r"\[\[([ABC])\]\]")
_BRACKETED = re.compile(r"\[\[([^\[\]\n]*)\]\]")
_RESULT = re.compile(r"\[RESULT\]\s*:?\s*([^\n]*)", re.IGNORECASE)
_RESPONSE = re.compile(r"^Response\s+", re.IGNORECASE)
_RESULT_TRIM = _EMPHASIS + "\"'()[].,;!"
_RESULT_SCORE = re.compile(r"([+-]?[0-9]+(?:\.[0-9]+)?)(?:/5)?")
_PANDALM_TOKENS = {"1": FIRST, "2": SECOND, "tie": TIE}
_PANDALM_NAMES = {FIRST: "1", SECOND: "2", TIE: "Tie"}
_VERDICT_LETTERS = {"A": FIRST, "B": SECOND, "C": TIE}


@dataclass(frozen=True)
class Parsed:
    """What one output said. Pairwise formats set ``verdict`` on success; pointwise formats set only
    ``score1``. A failure carries a reason and nothing else, so it can never pass for a tie."""

    score1: float | None = None
    score2: float | None = None
    verdict: int | None = None
    failure: str = ""

    def __post_init__(self) -> None:
        if self.failure and (self.score1, self.score2, self.verdict) != (None, None, None):
            raise ValueError("a failed parse carries no scores and no verdict")

    @property
    def failed(self) -> bool:
        return bool(self.failure)


class _Failure(Exception):
    """Raised inside a parser with the reason the output does not follow its format."""


def parse(output_format: str, raw: str) -> Parsed:
    """Parse one raw judge output. An unknown ``output_format`` is a caller bug and raises ValueError;
    a malformed output is the judge's failure and comes back as ``Parsed(failure=...)``."""
    parser = _PARSERS.get(output_format)
    if parser is None:
        raise ValueError(f"unknown output format {output_format!r}; known formats: {', '.join(_PARSERS)}")
    if not raw.strip():
        return Parsed(failure="empty output")
    try:
        return parser(raw)
    except _Failure as failure:
        return Parsed(failure=str(failure))


def format_target(
    output_format: str, score1: float | None, score2: float | None, verdict: int | None, reason: str
) -> str:
    """The training target a fine-tuned judge learns to write, built so that ``parse`` reads back the
    same scores and verdict. Fields a format does not write are ignored, except that a verdict given
    together with both scores must agree with them (a teacher record that contradicts itself is a
    data bug, not a target). An empty reason gives the first line alone."""
    if output_format == "judgelm":
        _check_agrees(score1, score2, verdict)
        first = f"{_score_text(score1)} {_score_text(score2)}"
    elif output_format == "pointwise":
        first = _score_text(score1)
    elif output_format == "pandalm":
        _check_agrees(score1, score2, verdict)
        if verdict not in _PANDALM_NAMES:
            raise ValueError(f"pandalm target needs a verdict in (0, 1, 2), got {verdict!r}")
        first = _PANDALM_NAMES[verdict]
        reason = f"### Reason: {reason.strip()}" if reason.strip() else ""
    else:
        raise ValueError(
            f"no training target for format {output_format!r}; formats with targets: {', '.join(TARGET_FORMATS)}"
        )
    return f"{first}\n{reason.strip()}" if reason.strip() else first


def _check_agrees(score1: float | None, score2: float | None, verdict: int | None) -> None:
    if None not in (score1, score2, verdict) and verdict_from_scores(score1, score2) != verdict:
        raise ValueError(f"verdict {verdict} contradicts scores {score1} and {score2}")


def _score_text(score: float | None) -> str:
    """Integers without a decimal point (as JudgeLM's targets); other floats in full, so they parse back."""
    low, high = SCORE_RANGE
    if score is None or not low <= score <= high:
        raise ValueError(f"score must be within {low:g}..{high:g}, got {score!r}")
    return str(int(score)) if float(score).is_integer() else repr(float(score))


def _first_line(raw: str) -> str:
    """The first non-blank line without surrounding whitespace or markdown emphasis."""
    line = next(line for line in raw.splitlines() if line.strip())
    return line.strip().strip(_EMPHASIS).strip()


def _number_text(value: float) -> str:
    return f"{value:g}"


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _first_line_scores(raw: str, count: int) -> tuple[float, ...]:
    """Exactly ``count`` numbers within SCORE_RANGE on the first line, commas read as spaces."""
    line = _first_line(raw)
    tokens = line.replace(",", " ").split()
    if not tokens or not all(_NUMBER.fullmatch(token) for token in tokens):
        raise _Failure(f"first line is not {count} number(s): {_show(line)}")
    if len(tokens) != count:
        raise _Failure(f"expected {count} score(s) on the first line, got {len(tokens)}: {_show(line)}")
    return tuple(_in_range(float(token)) for token in tokens)


def _in_range(score: float) -> float:
    low, high = SCORE_RANGE
    if not low <= score <= high:
        raise _Failure(f"score {_number_text(score)} out of range {low:g}-{high:g}")
    return score


def _verdict_of(score1: float, score2: float) -> Parsed:
    return Parsed(score1=score1, score2=score2, verdict=verdict_from_scores(score1, score2))


def _parse_judgelm(raw: str) -> Parsed:
    return _verdict_of(*_first_line_scores(raw, 2))


def _parse_pointwise(raw: str) -> Parsed:
    (score,) = _first_line_scores(raw, 1)
    return Parsed(score1=score)


def _parse_pandalm(raw: str) -> Parsed:
    line = _first_line(raw)
    verdict = _PANDALM_TOKENS.get(line.removesuffix(".").strip().lower())
    if verdict is None:
        raise _Failure(f'first line is not "1", "2" or "Tie": {_show(line)}')
    return Parsed(verdict=verdict)


def _single(values: set[_T], what: str, label: Callable[[_T], str]) -> _T:
    """The one value all markers agree on; several different ones are a conflict, not a choice."""
    if len(values) > 1:
        raise _Failure(f"conflicting {what}: {', '.join(map(label, sorted(values)))}")
    return next(iter(values))


def _parse_mtbench_pair(raw: str) -> Parsed:
    letters = set(_PAIR_MARKER.findall(raw))
    if not letters:
        raise _Failure("no [[A]], [[B]] or [[C]] verdict marker")
    letter = _single(letters, "verdict markers", lambda letter: f"[[{letter}]]")
    return Parsed(verdict=_VERDICT_LETTERS[letter])


def _parse_mtbench_single(raw: str) -> Parsed:
    contents = [content.strip() for content in _BRACKETED.findall(raw)]
    if not contents:
        raise _Failure("no [[rating]] marker")
    numbers = {float(content) for content in contents if _NUMBER.fullmatch(content)}
    if not numbers:
        raise _Failure(f"[[...]] marker holds no number: {_show(contents[0])}")
    rating = _single(numbers, "ratings", _number_text)
    low, high = SCORE_RANGE
    if not low <= rating <= high:
        raise _Failure(f"rating {_number_text(rating)} out of range {low:g}-{high:g}")
    return Parsed(score1=rating)


def _results(raw: str) -> list[str]:
    """The rest of the line after each [RESULT] marker, without quotes, brackets, emphasis or end punctuation."""
    results = [result.strip().strip(_RESULT_TRIM) for result in _RESULT.findall(raw)]
    if not results:
        raise _Failure("no [RESULT] marker")
    return results


def _parse_prometheus_absolute(raw: str) -> Parsed:
    """The first word after the marker is the score, so ``[RESULT] 4 out of 5`` reads as 4."""
    words = [result.split()[0].strip(_RESULT_TRIM) if result else "" for result in _results(raw)]
    numbers = {float(match[1]) for word in words if (match := _RESULT_SCORE.fullmatch(word))}
    if not numbers:
        raise _Failure(f"[RESULT] is not followed by a score: {_show(words[0])}")
    score = _single(numbers, "results", _number_text)
    low, high = PROMETHEUS_RANGE
    if not score.is_integer():
        raise _Failure(f"result {_number_text(score)} is not an integer")
    if not low <= score <= high:
        raise _Failure(f"result {_number_text(score)} out of range {low}-{high}")
    return Parsed(score1=score)


def _parse_prometheus_relative(raw: str) -> Parsed:
    """The letter must end its line (as in prometheus-eval), so the echoed ``[RESULT] (A or B)`` is
    not read as A."""
    results = [_RESPONSE.sub("", result, count=1).strip(_RESULT_TRIM) for result in _results(raw)]
    if any(result.lower() in ("tie", "c") for result in results):
        raise _Failure("relative grading has no tie, got [RESULT] tie")
    letters = {result for result in results if result in ("A", "B")}
    if not letters:
        raise _Failure(f"[RESULT] is not followed by A or B alone: {_show(results[0])}")
    return Parsed(verdict=_VERDICT_LETTERS[_single(letters, "results", str)])


def score_pair(score1: float, score2: float) -> Parsed:
    """JudgeLM's rule for two scores already read as numbers: each within SCORE_RANGE, higher wins."""
    try:
        return _verdict_of(_in_range(float(score1)), _in_range(float(score2)))
    except _Failure as failure:
        return Parsed(failure=str(failure))


def parse_verdict_text(raw: str) -> Parsed:
    """A pairwise verdict from text in an unnamed format: what the one of VERDICT_TEXT_FORMATS it follows
    says, else a failure giving each format's reason. No text follows both (a score line is two numbers,
    PandaLM's verdict one token), so the order they are tried in never matters."""
    failures = []
    for output_format in VERDICT_TEXT_FORMATS:
        parsed = parse(output_format, raw)
        if not parsed.failed:
            return parsed
        failures.append(f"not {output_format} ({parsed.failure})")
    return Parsed(failure="; ".join(failures))


_PARSERS: dict[str, Callable[[str], Parsed]] = {
    "judgelm": _parse_judgelm,
    "pandalm": _parse_pandalm,
    "mtbench_pair": _parse_mtbench_pair,
    "mtbench_single": _parse_mtbench_single,
    "prometheus_absolute": _parse_prometheus_absolute,
    "prometheus_relative": _parse_prometheus_relative,
    "pointwise": _parse_pointwise,
}
OUTPUT_FORMATS = tuple(_PARSERS)
VERDICT_TEXT_FORMATS = ("judgelm", "pandalm")
