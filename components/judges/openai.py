"""The API backend: any OpenAI-compatible chat endpoint (OpenAI, a vLLM server, ``judgeops serve``).

Thin on purpose: prompts come from the template registry and outputs go through the same parsers
as the local backend, so an API judge is audited exactly like ours. HTTP, retries, the response
cache and token counts live in ``components.llm_client``; a request that fails after its retries
becomes a failed Judgment carrying the reason -- never an empty output, never a tie -- and neither it nor
an unparseable answer is cached, in the response cache or the judgment cache: the next run asks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from components.judges.base import JudgeItem, failed_judgment, to_judgment
from components.judges.identity import template_identity
from components.judges.parsers import parse
from components.judges.templates import get_template
from components.llm_client import ChatError, ChatResult, LLMClient
from components.schemas import Judgment, Pair


@dataclass
class OpenAIJudge:
    """Judge each item with one chat completion from ``client`` (temperature and max_tokens are the
    client's; its defaults are deterministic: temperature 0)."""

    name: str
    client: LLMClient
    template: str = "judgeops"
    with_reference: bool = True
    # An API's failure (outage, 5xx, an empty or unparseable answer) may not happen again: never cached.
    failures_repeat: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self._template = get_template(self.template)
        if self._template.kind != "pairwise":
            raise ValueError(f"template {self.template!r} is pointwise; the openai judge takes a pairwise template")

    @property
    def usage(self) -> dict[str, int]:
        """Tokens paid for so far (fresh responses only; cached ones cost nothing)."""
        return dict(self.client.usage)

    def describe(self) -> dict:
        """Run params for MLflow: the endpoint settings and the template; never the key."""
        return {
            "backend": "openai",
            "template": self.template,
            "with_reference": self.with_reference,
            **self.client.describe(),
        }

    def cache_identity(self) -> dict:
        """Endpoint, model, decoding and template: what decides an answer (never the key)."""
        return {
            "backend": "openai",
            "name": self.name,
            **self.client.identity(),
            "template": template_identity(self.template),
            "with_reference": self.with_reference,
        }

    def with_template(self, name: str) -> OpenAIJudge:
        """The same endpoint and settings (one client, one response cache) prompted with template ``name``."""
        return replace(self, template=name)

    def messages(self, pair: Pair) -> list[dict[str, str]]:
        return self._template.render(pair, self._template.shows_reference(pair, self.with_reference))

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        answers = self.client.chat_many([self.messages(item.shown) for item in items], accept=self._parses)
        return [self._judgment(item, answer) for item, answer in zip(items, answers, strict=True)]

    def _parses(self, text: str) -> bool:
        """Whether an answer is one: unparseable output is not cached, so the next run asks again."""
        return not parse(self._template.output, text).failed

    def _judgment(self, item: JudgeItem, answer: ChatResult | ChatError) -> Judgment:
        if isinstance(answer, ChatError):
            return failed_judgment(item, self.name, self.template, f"request failed: {answer}")
        return to_judgment(item, self.name, self.template, answer.text, parse(self._template.output, answer.text))
