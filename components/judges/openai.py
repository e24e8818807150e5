"""The API backend: any OpenAI-compatible chat endpoint (OpenAI, a vLLM server, ``judgeops serve``).

Thin on purpose: prompts come from the template registry and outputs go through the same parsers
as the local backend, so an API judge is audited exactly like ours. HTTP, retries, the response
cache and token counts live in ``components.llm_client``; a request that fails after its retries
becomes a failed Judgment carrying the reason -- never an empty output, never a tie -- and neither it nor
an unparseable answer is cached, in the response cache or the judgment cache: the next run asks again.

Modes, as for the local judge: ``generate`` (the whole answer, parsed; the default), ``score_first`` (the
answer up to its first newline) and ``logprob``: the request asks for ``logprobs`` and ``top_logprobs``, and
the score line is read from them by the local reader's rules (components.judges.top_logprobs), so a judge
served by ``judgeops serve`` or vLLM judges over the API as it does locally. An endpoint that answers
without logprobs is judged score_first instead, with one warning saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from components.judges.base import JudgeItem, failed_judgment, to_judgment
from components.judges.identity import code_fingerprint, template_identity
from components.judges.parsers import parse
from components.judges.score_reading import Reading, check_format, usable_mode
from components.judges.templates import get_template
from components.judges.top_logprobs import LINE_TOKENS, TOP_K, read_top_logprobs
from components.llm_client import ChatError, ChatResult, LLMClient
from components.redaction import redact_url
from components.schemas import Judgment, Pair
from components.vocabulary import JUDGE_MODES

log = logging.getLogger(__name__)


@dataclass
class OpenAIJudge:
    """Judge each item with one chat completion from ``client`` (temperature and max_tokens are the
    client's; its defaults are deterministic: temperature 0). ``top_logprobs``: how many alternatives
    logprob mode asks for at each token (20 is OpenAI's maximum)."""

    name: str
    client: LLMClient
    template: str = "judgeops"
    with_reference: bool = True
    mode: str = "generate"
    min_score_mass: float = 0.05
    top_logprobs: int = TOP_K
    # Whether the endpoint has answered a logprob request without logprobs (warned once, shared by copies).
    fell_back: dict = field(default_factory=dict, repr=False, compare=False)
    # The items (pair id, order) whose logprob-mode answer was read as text, in this judge's last call.
    read_as_text: set = field(default_factory=set, repr=False, compare=False)
    # An API's failure (outage, 5xx, an empty or unparseable answer) may not happen again: never cached.
    failures_repeat: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self._template = get_template(self.template)
        if self._template.kind != "pairwise":
            raise ValueError(f"template {self.template!r} is pointwise; the openai judge takes a pairwise template")
        if self.mode not in JUDGE_MODES:
            raise ValueError(f"unknown judge mode {self.mode!r}; known: {', '.join(JUDGE_MODES)}")
        if self.mode == "logprob":
            check_format(self._template.output)

    @property
    def usage(self) -> dict[str, int]:
        """Tokens paid for so far (fresh responses only; cached ones cost nothing)."""
        return dict(self.client.usage)

    def describe(self) -> dict:
        """Run params for MLflow: the endpoint settings, the template and the mode; never the key."""
        return {
            "backend": "openai",
            "template": self.template,
            "with_reference": self.with_reference,
            "mode": self.mode,
            **self.client.describe(),
        }

    def cache_identity(self) -> dict:
        """Endpoint, model, decoding, template and mode: what decides an answer (never the key)."""
        identity = {
            "backend": "openai",
            "name": self.name,
            **self.client.identity(),
            "template": template_identity(self.template),
            "with_reference": self.with_reference,
            "mode": self.mode,
        }
        if self.mode == "logprob":
            identity["logprob"] = {
                "min_score_mass": self.min_score_mass,
                "top_logprobs": self.top_logprobs,
                "reader": code_fingerprint("components.judges.score_reading")
                + code_fingerprint("components.judges.top_logprobs"),
            }
        return identity

    def judged_as(self, item: JudgeItem) -> dict | None:
        """The identity ``item``'s judgment from the last call was made under, where it is not this judge's
        own: in logprob mode, an answer that came without logprobs was read as text, so it is cached as a
        text reading of the same request (never where a logprob reading is looked up)."""
        if (item.pair.id, item.order) not in self.read_as_text:
            return None
        identity = {key: value for key, value in self.cache_identity().items() if key != "logprob"}
        return identity | {"read": "text: the endpoint sent no logprobs"}

    def sent(self, item: JudgeItem, template: str | None = None) -> list[dict[str, str]]:
        """The chat messages sent for ``item`` (under ``template``, else this judge's): what keys its judgment."""
        chosen = get_template(template) if template else self._template
        return chosen.render(item.shown, chosen.shows_reference(item.shown, self.with_reference))

    def with_template(self, name: str) -> OpenAIJudge:
        """The same endpoint and settings (one client, one response cache) prompted with template ``name``;
        in logprob mode, a template whose output logprob cannot read is judged score_first."""
        return replace(self, template=name, mode=usable_mode(self.mode, name), read_as_text=set())

    def messages(self, pair: Pair) -> list[dict[str, str]]:
        return self._template.render(pair, self._template.shows_reference(pair, self.with_reference))

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        requests = [self.messages(item.shown) for item in items]
        answers = self.client.chat_many(requests, accept=self._usable, **self._options())
        self.read_as_text = {
            (item.pair.id, item.order)
            for item, answer in zip(items, answers, strict=True)
            if self.mode == "logprob" and isinstance(answer, ChatResult) and not answer.logprobs
        }
        return [self._judgment(item, answer) for item, answer in zip(items, answers, strict=True)]

    def _options(self) -> dict:
        if self.mode == "logprob":
            return {"logprobs": True, "top_logprobs": self.top_logprobs, "max_tokens": LINE_TOKENS}
        if self.mode == "score_first":
            return {"stop": ["\n"]}
        return {}

    def _usable(self, answer: ChatResult) -> bool:
        """Whether an answer is one: an unreadable one is not cached, so the next run asks again."""
        return not self._read(answer).parsed.failed

    def _read(self, answer: ChatResult) -> Reading:
        output = self._template.output
        if self.mode == "logprob" and answer.logprobs:
            return read_top_logprobs(output, answer.logprobs, self.min_score_mass)
        if self.mode == "logprob" and not self.fell_back:
            self.fell_back["warned"] = True
            log.warning(
                "%s: the endpoint %s sent no logprobs; judging score_first (the score line as written) instead",
                self.name,
                redact_url(self.client.base_url),
            )
        return Reading(answer.text, parse(output, answer.text))

    def _judgment(self, item: JudgeItem, answer: ChatResult | ChatError) -> Judgment:
        if isinstance(answer, ChatError):
            return failed_judgment(item, self.name, self.template, f"request failed: {answer}")
        reading = self._read(answer)
        return to_judgment(item, self.name, self.template, reading.raw, reading.parsed, confidence=reading.confidence)
