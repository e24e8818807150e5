"""Format bias: the verdict should follow the answers' content, not the prompt layout or the answers'
markup. The probe judges each pair as it is (the judge's own template: the *base*), under other prompt
templates, and with both answers restyled the same way (markdown vs plain, bullets vs prose) -- every
change keeps the content -- and counts how often the verdict differs from the base verdict.

Only templates of the judge's kind are compared (``for_judge``): a pairwise layout asks a pointwise
judge for another task, and its flips would measure that. The others are listed as skipped, with why.

Re-templating needs a copy of the judge under another template. Judges that can be re-templated expose
``with_template(name) -> Judge`` (every backend that renders our templates: hf, openai -- so also a
served judge -- vllm, scripted); ``judge_for`` wraps such a judge so that each template variant's items
go to the matching copy, while every other item goes to the judge itself (so its cached judgments are
reused). For any other judge the probe is skipped with the reason in the results (``ProbeSkipped``); it
can still be probed for answer styles with ``templates=()``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from components.audit.base import Bootstrap, ProbeResult, ProbeSkipped
from components.audit.items import CLEAN, Judged, by_variant, sentence_breaks, sentences, untag, variant
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
from components.judges.base import Judge, JudgeItem
from components.judges.identity import failures_repeat, identity_of, template_identity
from components.judges.templates import get_template
from components.schemas import Judgment, Pair
from components.vocabulary import ANSWER_STYLES

TEMPLATE = "template="
STYLE = "style="
_BULLET = re.compile(r"^\s*(?:[-*\u2022])\s+", re.MULTILINE)
_HEADING = re.compile(r"^\s*#+\s*", re.MULTILINE)


@runtime_checkable
class Retemplatable(Protocol):
    def with_template(self, name: str) -> Judge:
        """The same judge (same weights, same settings) prompted with template ``name``."""


def restyle(text: str, style: str) -> str:
    """``text`` with its presentation changed and its words kept: markup adds only symbols (and one
    ``Answer`` heading, the same on both answers), so a word-counting judge sees the same contest."""
    if style == "markdown":
        breaks = sentence_breaks(text.strip())
        body = text.strip()
        cut = breaks[0][0] if breaks else len(body)
        return f"### Answer\n\n**{body[:cut]}**{body[cut:]}"
    if style == "plain":
        return _BULLET.sub("", _HEADING.sub("", text.replace("**", "").replace("`", "")))
    if style == "bullets":
        return "\n".join(f"- {_BULLET.sub('', part)}" for part in sentences(text))
    if style == "prose":
        lines = [_BULLET.sub("", line).strip() for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            return text
        return " ".join(line if line[-1] in ".!?:;" else f"{line}." for line in lines)
    raise ValueError(f"unknown answer style {style!r}; known: {', '.join(ANSWER_STYLES)}")


@dataclass
class Retemplated:
    """The judge under test, with each template variant's items sent to its copy under that template."""

    base: Judge
    probe: str = "format"
    _copies: dict[str, Judge] = field(default_factory=dict, repr=False)
    _identity: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def template(self) -> str:
        return self.base.template

    @property
    def failures_repeat(self) -> bool:
        return failures_repeat(self.base)

    def cache_identity(self) -> dict:
        """The base judge's identity (asked once: it may hash weights)."""
        if not self._identity:
            self._identity.update(identity_of(self.base))
        return self._identity

    def item_identity(self, item: JudgeItem) -> dict:
        """Who judges ``item``: the base judge, or its copy under a variant's template -- named by the base's
        identity and the template's, so a fully cached run never builds (or loads) a copy to ask it."""
        template = self._route(item)
        if not template:
            return self.cache_identity()
        return {"retemplated": self.cache_identity(), "template": template_identity(template)}

    def sent(self, item: JudgeItem):
        """The prompt the judge of ``item`` sends (the base's, or its copy's under the variant's template), as
        the base judge renders it -- so no copy is built (or loaded) to key a cached judgment. None where the
        base judge renders no prompt of its own."""
        sent = getattr(self.base, "sent", None)
        if sent is None:
            return None
        template = self._route(item)
        return sent(item, template) if template else sent(item)

    def judged_as(self, item: JudgeItem) -> dict | None:
        """The identity ``item``'s fresh judgment was made under, where the judge that made it says it differs."""
        template = self._route(item)
        judge = self._copies.get(template) if template else self.base
        judged_as = getattr(judge, "judged_as", None)
        if judged_as is None:
            return None
        identity = judged_as(item)
        if identity is None or not template:
            return identity
        return {"retemplated": identity, "template": template_identity(template)}

    def _route(self, item: JudgeItem) -> str:
        """The template a variant item asks for, or "" for an item the base judge judges."""
        name = untag(item.pair.id, self.probe)[1]
        return name.removeprefix(TEMPLATE) if name.startswith(TEMPLATE) else ""

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        routes: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            routes.setdefault(self._route(item), []).append(index)
        out: list[Judgment | None] = [None] * len(items)
        for template, indices in routes.items():
            judge = self._copy(template) if template else self.base
            for index, judgment in zip(indices, judge.judge([items[i] for i in indices]), strict=True):
                out[index] = judgment
        return out

    def _copy(self, template: str) -> Judge:
        """Made on first use only, so a fully cached run never builds (or loads) a copy."""
        if template not in self._copies:
            self._copies[template] = self.base.with_template(template)
        return self._copies[template]


@dataclass(frozen=True)
class FormatProbe:
    templates: tuple[str, ...] = ("judgelm", "mtbench_pair")
    styles: tuple[str, ...] = ANSWER_STYLES
    flag_above: float = 0.1
    name: str = "format"
    set_aside: tuple[str, ...] = ()  # templates of the other kind than the judge's (``for_judge``)

    def __post_init__(self):
        for template in self.templates:
            get_template(template)  # an unknown name fails here, before any judging
        unknown = set(self.styles) - set(ANSWER_STYLES)
        if unknown:
            raise ValueError(f"unknown answer styles {sorted(unknown)}; known: {', '.join(ANSWER_STYLES)}")

    def for_judge(self, judge: Judge) -> FormatProbe:
        """This probe with only the templates of the judge's kind. A pairwise template asks a pointwise
        judge (or the reverse) for another task -- two answers compared, not one graded -- so its verdicts
        would measure the task change, not the layout: such templates are set aside, and the results say so."""
        kind = get_template(judge.template).kind
        same = tuple(t for t in self.templates if get_template(t).kind == kind)
        return replace(self, templates=same, set_aside=tuple(t for t in self.templates if t not in same))

    def judge_for(self, judge: Judge) -> Judge:
        """The judge to run this probe's items through: template variants need copies under other templates."""
        if not self.templates:
            return judge
        if not isinstance(judge, Retemplatable):
            raise ProbeSkipped(
                f"judge {judge.name!r} has no with_template(name), so the format probe cannot change its "
                "template; give it one, or set audit.format_templates: [] to probe answer styles only"
            )
        return Retemplated(judge, self.name)

    def build(self, pairs: Sequence[Pair]) -> list[JudgeItem]:
        """Each pair as it is, under each template, and in each style that changes at least one answer
        (restyling plain text as plain judges nothing new)."""
        items = []
        for pair in pairs:
            items.append(JudgeItem(pair))
            items += [JudgeItem(variant(pair, self.name, TEMPLATE + t)) for t in self.templates]
            for style in self.styles:
                answers = {"answer1": restyle(pair.answer1, style), "answer2": restyle(pair.answer2, style)}
                if (answers["answer1"], answers["answer2"]) != (pair.answer1, pair.answer2):
                    items.append(JudgeItem(variant(pair, self.name, STYLE + style, **answers)))
        return items

    def measure(
        self, judge: str, items: Sequence[JudgeItem], judgments: Sequence[Judgment], bootstrap: Bootstrap
    ) -> ProbeResult:
        judged = by_variant(self.name, items, judgments)
        _check_templates(judged)
        bases = [versions[CLEAN] for versions in judged.values() if CLEAN in versions]
        own = bases[0].judgment.template if bases else ""
        names = [TEMPLATE + t for t in self.templates if t != own] + [STYLE + s for s in self.styles]
        per_variant = {name: self._variant(judged, name, bootstrap) for name in names}
        rates = {name: stats["flip_rate"]["value"] for name, stats in per_variant.items() if stats["n"]}
        worst = max(rates, key=rates.__getitem__, default="")
        value = per_variant[worst]["flip_rate"] if worst else ci([], share, [], bootstrap)
        skipped = {name: "changes no pair (or no base verdict parsed)" for name in per_variant if name not in rates}
        if own in self.templates:
            skipped[TEMPLATE + own] = "the judge's own template"
        for template in self.set_aside:
            skipped[TEMPLATE + template] = (
                f"a {get_template(template).kind} template, and the judge's is not: another task, not another layout"
            )
        details = {
            "base_template": own,
            "base_agreement": share(
                [b.verdict == b.item.shown.verdict for b in bases if b.item.shown.verdict is not None]
            ),
            "base_failures": sum(b.verdict is None for b in bases),
            "variants": per_variant,
            "worst_variant": worst,
            "mean_flip_rate": sum(rates.values()) / len(rates) if rates else share([]),
            "skipped": skipped,
        }
        n = per_variant[worst]["n"] if worst else 0
        details["n"] = n
        found = evidence(value, n, self.flag_above)
        listed = ", ".join(f"{_label(name)} {pct(rate)}" for name, rate in rates.items())
        verdict = (
            f"format: the worst variant, {_label(worst)}, changes {with_interval(value)} of verdicts vs the "
            f"{own} template{_unparsed(per_variant[worst])} (all: {listed})"
            if worst
            else "format: nothing measured (no variant changed a pair with a parsed base verdict)"
        ) + evidence_suffix(found, n, self.flag_above, "verdicts depend on presentation, not content")
        examples = [
            flip_example(pair_id, versions[CLEAN], versions[name], name)
            for name in sorted(rates, key=lambda name: name != worst)
            for pair_id, versions in judged.items()
            if _flipped(versions, name)
        ]
        return ProbeResult.of(self.name, judge, "max_flip_rate", value, found, verdict, details, examples)

    def _variant(self, judged: dict[str, dict[str, Judged]], name: str, bootstrap: Bootstrap) -> dict:
        """Flip rate vs the base verdict (a failure under the variant counts as a flip: the format broke
        the judge), agreement with gold and failures, over pairs whose base verdict parsed."""
        rows = [
            versions
            for versions in judged.values()
            if name in versions and CLEAN in versions and versions[CLEAN].verdict is not None
        ]
        flips = [_flipped(versions, name) for versions in rows]
        gold = [(versions[name].verdict, versions[name].item.shown.verdict) for versions in rows]
        return {
            "n": len(rows),
            "flip_rate": share_ci(flips, [versions[CLEAN].item.pair.question_id for versions in rows], bootstrap),
            "agreement": share([verdict == truth for verdict, truth in gold if truth is not None]),
            "failures": sum(verdict is None for verdict, _ in gold),
        }


def _check_templates(judged: dict[str, dict[str, Judged]]) -> None:
    """Template variants judged under the judge's own template would measure nothing and pass: that
    happens when a caller judges this probe's items with the bare judge instead of ``judge_for``."""
    for versions in judged.values():
        for name, found in versions.items():
            wanted = name.removeprefix(TEMPLATE)
            if name.startswith(TEMPLATE) and found.judgment.template != wanted:
                raise ValueError(
                    f"item {found.item.pair.id} was judged under template {found.judgment.template!r}, not "
                    f"{wanted!r}: judge the format probe's items with probe.judge_for(judge) (see audit.runner)"
                )


def _unparsed(stats: dict) -> str:
    """How many of a variant's changed verdicts are failures: a judge that keeps writing its own output
    format under another template's is not swayed by the layout, it ignores the format asked for."""
    if not stats["failures"]:
        return ""
    unparsed = f"{stats['failures']} of its {stats['n']} judgments unparsed"
    return f", {unparsed} (the output format the template asks for not written)"


def _label(name: str) -> str:
    """``template=judgelm`` -> ``judgelm template``, ``style=bullets`` -> ``bullets style``."""
    kind, _, value = name.partition("=")
    return f"{value} {kind}"


def _flipped(versions: dict[str, Judged], name: str) -> bool:
    return (
        CLEAN in versions
        and name in versions
        and versions[CLEAN].verdict is not None
        and versions[name].verdict != versions[CLEAN].verdict
    )
