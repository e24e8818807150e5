"""What decides a judge's answer, declared by the backend that knows it: the key of every judgment cache.

A cached judgment may only be reused by a judge that would give the same answer again. Each backend says
what that takes with ``cache_identity()`` -- its weights (``models.weights_fingerprint``), endpoint URL and
model, or scripted rule; its template; its decoding settings -- and the cache hashes that with the pair and
the order and with the exact prompt text the judge sends for the item (``sent``; ``judges.cache``), so
whatever changes a prompt -- a template branch, truncation, answer joining -- changes the key. Settings that
change only how judging runs (batch size, Dask, timeouts, retries, the API key's variable) stay out: they
do not change an answer. The API key itself never enters an identity.

``failures_repeat`` says whether the backend's failed judgments are answers too: a local model decoding
greedily writes the same unparseable line every time it is asked, so that failure is cached like any
judgment (re-judging it would only cost time); a failure from an API (an outage, a 5xx after the retries,
an empty or unparseable answer) may not happen again, so it is never cached and the next run asks again.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Protocol, runtime_checkable

from components.judges.base import Judge
from components.judges.templates import get_template
from components.keyed_jsonl import digest
from components.schemas import FIRST, Pair

# A fixed pair rendered by every template: its text stands for the template's wording in a key, so an
# edited template misses while an edited comment does not.
CANARY = Pair(
    id="canary",
    question_id="canary",
    family="canary",
    category="canary",
    instruction="What is the capital of France?",
    input="Answer in one word.",
    reference="Paris",
    answer1="Paris",
    answer2="Lyon",
    source1="a",
    source2="b",
    verdict=FIRST,
)


@runtime_checkable
class Cacheable(Judge, Protocol):
    """A judge whose judgments can be cached: it says what decides them, and whether its failures repeat."""

    failures_repeat: bool

    def cache_identity(self) -> dict:
        """Everything that decides this judge's answer to a given pair and order, as JSON-able values."""


def identity_of(judge) -> dict:
    """``judge.cache_identity()``, or a TypeError naming what is missing: a judge that cannot say what
    decides its answers cannot have them cached."""
    declare = getattr(judge, "cache_identity", None)
    if declare is None:
        raise TypeError(
            f"judge {getattr(judge, 'name', judge)!r} has no cache_identity(), so its judgments cannot be "
            "cached: declare what decides its answers (components.judges.identity)"
        )
    return declare()


def failures_repeat(judge) -> bool:
    """Whether ``judge``'s failed judgments may be cached (False unless the backend says so)."""
    return bool(getattr(judge, "failures_repeat", False))


def template_identity(name: str) -> dict:
    """A template as a key: its name, its output format, a hash of its text (the canary pair rendered with
    and without a reference) and a hash of the parser code that reads its answers."""
    template = get_template(name)
    modes = (False, True) if template.supports_reference else (False,)
    return {
        "name": name,
        "output": template.output,
        "text": digest([template.render(CANARY, with_reference) for with_reference in modes]),
        "parser": code_fingerprint("components.judges.parsers"),
    }


@functools.cache
def code_fingerprint(module: str) -> str:
    """A hash of a module's source: for the code that turns a model's output into a judgment."""
    return digest(inspect.getsource(importlib.import_module(module)))[:16]


def reader_fingerprint() -> str:
    """The code that turns probabilities into a logprob-mode judgment: the rules and the local reader."""
    return code_fingerprint("components.judges.score_reading") + code_fingerprint("components.judges.logprob")


def local_model_identity(backend: str, judge, **settings) -> dict:
    """A local model judge's identity (hf, vllm): its weights and adapter, template and the decoding settings
    every such backend has, plus the backend's own ``settings``."""
    from components.models import weights_fingerprint

    return {
        "backend": backend,
        "name": judge.name,
        "weights": weights_fingerprint(judge.model_path, judge.adapter),
        "template": template_identity(judge.template),
        "mode": judge.mode,
        "with_reference": judge.with_reference,
        "max_new_tokens": judge.max_new_tokens,
        **settings,
    }
