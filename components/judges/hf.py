"""The default backend: a local transformers causal LM, optionally with a LoRA adapter.

Speed comes from batching (both orders of a pair ride in one batch, prompts sorted by length)
and from score-first decoding, which stops at the end of the score line the way JudgeLM's fast
mode does; ``logprob`` mode reads the score line from next-token probabilities instead
(components.judges.logprob); reasons are generated only in ``generate`` mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, NamedTuple

from components.judges.base import JudgeItem, failed_judgment, to_judgment
from components.judges.identity import local_model_identity, reader_fingerprint
from components.judges.logprob import Reading, check_format, read_judgments
from components.judges.parsers import Parsed, parse
from components.judges.score_reading import usable_mode
from components.judges.templates import FIRST_LINE_FORMATS, get_template
from components.schemas import Judgment, Pair, verdict_from_scores
from components.textgen import Decoding, chat_prompt, generate
from components.vocabulary import JUDGE_ENGINES, JUDGE_MODES


@dataclass
class HFJudge:
    """Judge with a local model folder (``model_path``) and an optional adapter folder."""

    name: str
    model_path: Path | str
    adapter: Path | str | None = None
    template: str = "judgeops"
    mode: str = "score_first"
    with_reference: bool = True
    batch_size: int = 16
    max_new_tokens: int = 64
    max_prompt_tokens: int = 1024
    min_score_mass: float = 0.05
    engine: str = "torch"  # torch | ct2: logprob mode on the judge converted to CTranslate2 (components/judges/ct2.py)
    ct2_compute_type: str = "int8"
    model: object = None
    tokenizer: object = None
    # Greedy decoding: a failed (unparseable) judgment comes out the same every time, so it is cached.
    failures_repeat: ClassVar[bool] = True

    def __post_init__(self):
        if self.mode not in JUDGE_MODES:
            raise ValueError(f"unknown judge mode {self.mode!r}; known: {', '.join(JUDGE_MODES)}")
        self._template = get_template(self.template)
        if self.mode == "logprob":
            check_format(self._template.output)
        if self.engine not in JUDGE_ENGINES:
            raise ValueError(f"unknown judge engine {self.engine!r}; known: {', '.join(JUDGE_ENGINES)}")
        if self.engine == "ct2" and usable_mode(self.mode, self.template) != "logprob":
            raise ValueError(
                f"the ct2 engine reads score lines in logprob mode only; mode {self.mode!r} with template "
                f"{self.template!r} decodes text: use engine torch"
            )
        self.truncated = 0

    def _load_tokenizer(self) -> None:
        """The tokenizer alone: what a prompt's text (and so a cache key) needs, without the weights."""
        if self.tokenizer is None:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)  # as both loaders load it

    def _load(self) -> None:
        """Load the model on first use: a run whose judgments all come from the cache never pays for it."""
        if self.model is None and self.engine == "ct2":
            from components.judges.ct2 import load_ct2

            self.model, self.tokenizer = load_ct2(self.model_path, self.adapter, self.ct2_compute_type)
        elif self.model is None:
            from components.models import load_causal_lm

            self.model, self.tokenizer = load_causal_lm(self.model_path, self.adapter)

    def with_template(self, name: str) -> HFJudge:
        """The same weights and settings prompted with template ``name`` (the format probe's variants).
        The model is loaded first so that every copy shares it instead of loading its own. In logprob
        mode, a template whose output logprob cannot read (mtbench_pair, ...) is decoded score_first --
        by torch, on the ct2 engine, which only reads (that copy loads the torch model when it first judges)."""
        mode = usable_mode(self.mode, name)
        if self.engine == "ct2" and mode != "logprob":
            return replace(self, template=name, mode=mode, engine="torch", model=None, tokenizer=None)
        self._load()
        return replace(self, template=name, mode=mode)

    def cache_identity(self) -> dict:
        """Weights, template and decoding settings: what decides a judgment (batch_size does not). Another
        engine computes other numbers, so its judgments get their own identity (torch's stays as it was)."""
        engine = {} if self.engine == "torch" else {"engine": f"{self.engine}:{self.ct2_compute_type}"}
        return local_model_identity(
            "hf",
            self,
            max_prompt_tokens=self.max_prompt_tokens,
            min_score_mass=self.min_score_mass,
            reader=reader_fingerprint() if self.mode == "logprob" else "",
            **engine,
        )

    def sent(self, item: JudgeItem, template: str | None = None) -> list[str]:
        """The exact prompt text(s) this judge sends for ``item`` -- or its copy under ``template`` (the format
        probe's variants) -- after truncation: what keys its cached judgment (components.judges.cache). A
        pointwise template sends one prompt per answer. Needs the tokenizer only, never the weights."""
        self._load_tokenizer()
        shown = item.shown
        if get_template(template or self.template).kind == "pointwise":
            return [self._prompt(shown, template).text, self._prompt(shown.swapped(), template).text]
        return [self._prompt(shown, template).text]

    def prompt(self, pair: Pair) -> tuple[str, bool]:
        """The templated prompt text, with the answers cut in the middle if it is too long."""
        built = self._prompt(pair)
        return built.text, built.cut

    def _prompt(self, pair: Pair, template: str | None = None) -> Prompt:
        """The prompt under ``template`` (this judge's by default), cut to ``max_prompt_tokens``. When even
        cutting the answers cannot make it fit -- the instruction and reference alone are too long, so an
        answer would be cut to nothing -- the prompt does not show the answers (``too_long``)."""
        self._load_tokenizer()
        chosen = get_template(template) if template else self._template
        with_reference = chosen.shows_reference(pair, self.with_reference)
        text = chat_prompt(self.tokenizer, chosen.render(pair, with_reference))
        excess = self._length(text) - self.max_prompt_tokens
        if excess <= 0:
            return Prompt(text, False, False)
        shown = ("answer1",) if chosen.kind == "pointwise" else ("answer1", "answer2")
        for extra in (0, 8, 32):  # cutting and joining tokens again can leave a few over the limit
            shortened, emptied = truncate_answers(pair, self.tokenizer, excess + extra, shown)
            text = chat_prompt(self.tokenizer, chosen.render(shortened, with_reference))
            if emptied or self._length(text) <= self.max_prompt_tokens:
                break
        return Prompt(text, True, emptied or self._length(text) > self.max_prompt_tokens)

    def _length(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        self._load()
        if self._template.kind == "pointwise":
            return self._judge_pointwise(items)
        built = [self._prompt(item.shown) for item in items]
        self.truncated += sum(prompt.cut for prompt in built)
        readable = [prompt.text for prompt in built if not prompt.too_long]
        readings = iter(self._read(readable))
        return [
            failed_judgment(item, self.name, self.template, TOO_LONG)
            if prompt.too_long
            else self._judgment(item, next(readings), prompt.cut)
            for item, prompt in zip(items, built, strict=True)
        ]

    def _judgment(self, item: JudgeItem, reading: Reading, cut: bool) -> Judgment:
        return to_judgment(
            item, self.name, self.template, reading.raw, reading.parsed, confidence=reading.confidence, truncated=cut
        )

    def _read(self, prompts: list[str]) -> list[Reading]:
        output = self._template.output
        if self.mode == "logprob":
            return read_judgments(
                self.model, self.tokenizer, prompts, output, self.batch_size, self.min_score_mass, self.name
            )
        first_line = self.mode == "score_first" and output in FIRST_LINE_FORMATS
        decoding = Decoding(max_new_tokens=self.max_new_tokens, stop_at_newline=first_line)
        raws = generate(self.model, self.tokenizer, prompts, decoding, self.batch_size, progress=self.name)
        return [Reading(raw, parse(output, raw)) for raw in raws]

    def _judge_pointwise(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        """A pointwise template grades each answer alone; the verdict follows from the two stated scores
        (higher wins, equal ties), as JudgeLM turns a score pair into a verdict. Both orders of a pair,
        and every pair that shares an answer, reuse one reading per distinct prompt. The judge never sees
        the two answers together, so its verdicts mirror when the order does: consistent by construction.
        An item either of whose prompts cannot show its answer is a failure ("prompt too long")."""
        graded = [(self._prompt(item.shown), self._prompt(item.shown.swapped())) for item in items]
        distinct = list(
            dict.fromkeys(prompt.text for both in graded for prompt in both if not any(p.too_long for p in both))
        )
        readings = dict(zip(distinct, self._read(distinct), strict=True))
        self.truncated += sum(first.cut or second.cut for first, second in graded)
        return [
            failed_judgment(item, self.name, self.template, TOO_LONG)
            if first.too_long or second.too_long
            else self._combine(item, readings[first.text], readings[second.text], first.cut or second.cut)
            for item, (first, second) in zip(items, graded, strict=True)
        ]

    def _combine(self, item: JudgeItem, first: Reading, second: Reading, cut: bool) -> Judgment:
        raw = f"[1] {first.raw.strip()}\n[2] {second.raw.strip()}"
        for which, reading in (("answer 1", first), ("answer 2", second)):
            if reading.parsed.failed:
                return to_judgment(
                    item,
                    self.name,
                    self.template,
                    raw,
                    Parsed(failure=f"{which}: {reading.parsed.failure}"),
                    truncated=cut,
                )
        stated = [r.stated if r.stated is not None else r.parsed.score1 for r in (first, second)]
        parsed = Parsed(score1=first.parsed.score1, score2=second.parsed.score1, verdict=verdict_from_scores(*stated))
        confidence = first.confidence * second.confidence if first.confidence and second.confidence else None
        return to_judgment(item, self.name, self.template, raw, parsed, confidence=confidence, truncated=cut)


def truncate_answers(
    pair: Pair, tokenizer, excess: int, shown: tuple[str, ...] = ("answer1", "answer2")
) -> tuple[Pair, bool]:
    """Remove at least ``excess`` tokens from the middle of the ``shown`` answers, longest first (every
    answer cut keeps the same number of tokens, a short one is left whole where that suffices), keeping
    each cut answer's start and end (the instruction and score request stay whole). Also says whether an
    answer had to be cut to nothing: the prompt then cannot show it."""
    ids = [tokenizer(getattr(pair, name), add_special_tokens=False)["input_ids"] for name in shown]
    budget = sum(len(tokens) for tokens in ids) - excess - MARKER_TOKENS * len(ids)
    keep = max((cap for cap in range(max(budget, 0) + 1) if sum(min(len(t), cap) for t in ids) <= budget), default=0)
    shortened, emptied = {}, False
    for name, tokens in zip(shown, ids, strict=True):
        if len(tokens) <= keep:
            continue
        emptied = emptied or keep == 0
        head, tail = tokens[: keep - keep // 2], tokens[len(tokens) - keep // 2 :] if keep // 2 else []
        shortened[name] = tokenizer.decode(head) + MARKER + tokenizer.decode(tail)
    return pair.model_copy(update=shortened), emptied


MARKER = " [...] "
MARKER_TOKENS = 4  # the marker, and what decoding and encoding again may add at each cut


class Prompt(NamedTuple):
    text: str
    cut: bool  # the answers were cut in the middle to fit
    too_long: bool  # even cut, it cannot show the answers: judged as a failure, never read


TOO_LONG = "prompt too long"
