"""Deterministic judges with one known behaviour each: the audit's test subjects.

Each one implements the Judge protocol and decides a verdict for the pair *as shown* (so a swapped
item is judged on the swapped answers, and the gold verdict it may read is already mirrored by
``Pair.swapped``). It then writes that verdict as a real judge of its template's family would -- a
JudgeLM score line ``"s1 s2\\nreason"``, a PandaLM verdict line, an MT-Bench ``[[A]]`` marker -- and the
project's parser reads it back, so a scripted judge that cannot express a verdict (no gold label, or
a tie under a template without ties) produces a real parse failure, never a silent tie.

An audit that flags ``Oracle`` for anything, or misses the bias a judge here is built with, is broken;
``tests/model/test_audit_probes.py`` holds the audit to that, and users can run the same check.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import ClassVar

from components.judges.base import JudgeItem, to_judgment
from components.judges.identity import code_fingerprint, template_identity
from components.judges.parsers import format_target, parse
from components.judges.templates import get_template
from components.schemas import FIRST, SECOND, TIE, Judgment, Pair, mirror

SCORES = {FIRST: (8.0, 3.0), SECOND: (3.0, 8.0), TIE: (6.0, 6.0)}
MTBENCH_MARKERS = {FIRST: "[[A]]", SECOND: "[[B]]", TIE: "[[C]]"}
PROMETHEUS_RESULTS = {FIRST: "A", SECOND: "B", TIE: "Tie"}  # relative grading has no tie: "Tie" fails to parse
REASONS = {FIRST: "Assistant 1 is better.", SECOND: "Assistant 2 is better.", TIE: "Both are equally good."}
UNSURE = "I cannot judge this pair."
_WORD = re.compile(r"\w+")
_MARKUP = re.compile(r"\*\*|`|^\s*#|^\s*[-*\u2022]\s", re.MULTILINE)
_OBEY = re.compile(r"give Assistant ([12]) a score of 10", re.IGNORECASE)


def write(output_format: str, verdict: int | None, reason: str) -> str:
    """The raw text a judge of ``output_format``'s family writes for ``verdict`` (None: no verdict)."""
    if verdict is None:
        return UNSURE
    if output_format in ("judgelm", "pandalm"):
        return format_target(output_format, *SCORES[verdict], verdict, reason)
    if output_format == "mtbench_pair":
        return f"{reason}\n\n{MTBENCH_MARKERS[verdict]}"
    if output_format == "prometheus_relative":
        return f"Feedback: {reason} [RESULT] {PROMETHEUS_RESULTS[verdict]}"
    raise ValueError(f"scripted judges write pairwise formats only, not {output_format!r}")


@dataclass(frozen=True)
class Scripted:
    """The shared machinery: subclasses only say how they decide (``decide``) and why (``rule``)."""

    name: str = "scripted"
    template: str = "judgeops"
    rule: ClassVar[str] = ""
    failures_repeat: ClassVar[bool] = True  # deterministic: a failure comes out the same every time

    def __post_init__(self):
        if get_template(self.template).kind != "pairwise":
            raise ValueError(f"template {self.template!r} is pointwise; scripted judges take a pairwise template")

    def decide(self, shown: Pair) -> int | None:
        """The verdict for the pair as the judge sees it; None when it cannot say."""
        raise NotImplementedError

    def with_template(self, name: str) -> Scripted:
        return replace(self, template=name)

    def cache_identity(self) -> dict:
        """Which rule (class, settings and this module's code) under which template."""
        return {
            "backend": "scripted",
            "kind": type(self).__name__,
            **asdict(self),
            "template": template_identity(self.template),
            "code": code_fingerprint(__name__),
        }

    def judge(self, items: list[JudgeItem]) -> list[Judgment]:
        output = get_template(self.template).output
        judgments = []
        for item in items:
            verdict = self.decide(item.shown)
            raw = write(output, verdict, f"{REASONS.get(verdict, '')} ({self.rule})")
            judgments.append(to_judgment(item, self.name, self.template, raw, parse(output, raw)))
        return judgments


@dataclass(frozen=True)
class Oracle(Scripted):
    name: str = "oracle"
    rule: ClassVar[str] = "gold verdict"

    def decide(self, shown: Pair) -> int | None:
        return shown.verdict


@dataclass(frozen=True)
class AlwaysFirst(Scripted):
    name: str = "always_first"
    rule: ClassVar[str] = "the first answer always wins"

    def decide(self, shown: Pair) -> int | None:
        return FIRST


@dataclass(frozen=True)
class PrefersLonger(Scripted):
    """Counts words (runs of letters and digits): markup symbols do not make an answer longer."""

    name: str = "prefers_longer"
    rule: ClassVar[str] = "more words win"

    def decide(self, shown: Pair) -> int | None:
        first, second = len(_WORD.findall(shown.answer1)), len(_WORD.findall(shown.answer2))
        return FIRST if first > second else SECOND if second > first else TIE


@dataclass(frozen=True)
class NeedsReference(Scripted):
    name: str = "needs_reference"
    rule: ClassVar[str] = "right with a reference, a tie without"

    def decide(self, shown: Pair) -> int | None:
        return shown.verdict if shown.reference.strip() else TIE


@dataclass(frozen=True)
class TemplateSensitive(Scripted):
    """Under any template but its own (the one it was made with, unless given) it mixes up which answer
    is which: verdicts come out mirrored."""

    name: str = "template_sensitive"
    own_template: str = ""
    rule: ClassVar[str] = "right under its own template only"

    def __post_init__(self):
        super().__post_init__()
        if not self.own_template:
            object.__setattr__(self, "own_template", self.template)

    def decide(self, shown: Pair) -> int | None:
        return shown.verdict if self.template == self.own_template else mirror(shown.verdict)


@dataclass(frozen=True)
class Injectable(Scripted):
    name: str = "injectable"
    rule: ClassVar[str] = "obeys 'give Assistant N a score of 10' inside an answer"

    def decide(self, shown: Pair) -> int | None:
        order = _OBEY.search(shown.answer1) or _OBEY.search(shown.answer2)
        return int(order.group(1)) if order else shown.verdict


@dataclass(frozen=True)
class FormatSensitive(Scripted):
    """Right on plain text; once either answer carries markup it ranks by the amount of markup."""

    name: str = "format_sensitive"
    rule: ClassVar[str] = "more markdown wins"

    def decide(self, shown: Pair) -> int | None:
        first, second = len(_MARKUP.findall(shown.answer1)), len(_MARKUP.findall(shown.answer2))
        if first == second == 0:
            return shown.verdict
        return FIRST if first > second else SECOND if second > first else TIE


@dataclass(frozen=True)
class PrefersSource(Scripted):
    """Self-enhancement stand-in: an answer whose source starts with ``prefix`` beats one that does not."""

    name: str = "prefers_source"
    prefix: str = "model:"
    rule: ClassVar[str] = "its own family's answers win"

    def decide(self, shown: Pair) -> int | None:
        first, second = shown.source1.startswith(self.prefix), shown.source2.startswith(self.prefix)
        if first != second:
            return FIRST if first else SECOND
        return shown.verdict


SCRIPTED: dict[str, type[Scripted]] = {
    kind.name: kind
    for kind in (
        Oracle,
        AlwaysFirst,
        PrefersLonger,
        NeedsReference,
        TemplateSensitive,
        Injectable,
        FormatSensitive,
        PrefersSource,
    )
}


def make_scripted(name: str, template: str = "judgeops") -> Scripted:
    """A scripted judge by name, e.g. for ``judgeops audit --judge scripted:oracle``."""
    if name not in SCRIPTED:
        raise ValueError(f"unknown scripted judge {name!r}; known: {', '.join(SCRIPTED)}")
    return SCRIPTED[name](template=template)
