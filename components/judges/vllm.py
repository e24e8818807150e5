"""The vLLM backend, for GPU machines: the optional extra ``pip install 'judgeops[vllm]'``.

UNTESTED here: the machines this project is built on have no GPU, and vLLM is not installed in
CI. What is tested, with a stand-in engine, is that a missing vLLM gives a clear error and what the
backend asks vLLM for and makes of its answers. vLLM is imported only when the first batch is judged, so
nothing else in judgeops needs it.

Logprob mode asks vLLM for each written token's ``logprobs`` (the ``top_logprobs`` likeliest alternatives)
and reads the score line from them as an API judge does (components.judges.top_logprobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from components.judges.base import JudgeItem, to_judgment
from components.judges.identity import code_fingerprint, local_model_identity
from components.judges.parsers import parse
from components.judges.score_reading import Reading, check_format, usable_mode
from components.judges.templates import FIRST_LINE_FORMATS, get_template
from components.judges.top_logprobs import LINE_TOKENS, TOP_K, read_top_logprobs
from components.schemas import Judgment, Pair
from components.textgen import chat_prompt

INSTALL_HINT = "the vllm backend needs vLLM on a GPU machine: pip install 'judgeops[vllm]'"


@dataclass
class VLLMJudge:
    """Judge with a local model folder served in-process by vLLM, optionally with a LoRA adapter.
    ``max_model_len`` bounds the context vLLM reserves memory for (set it: vLLM's default is the
    model's full context, the most common vLLM setup failure Prometheus users report)."""

    name: str
    model_path: str
    adapter: str | None = None
    template: str = "judgeops"
    mode: str = "score_first"
    with_reference: bool = True
    max_new_tokens: int = 64
    max_model_len: int | None = 4096
    tensor_parallel_size: int = 1
    min_score_mass: float = 0.05
    top_logprobs: int = TOP_K
    # The engine, started on first use and shared by every template copy (``with_template``).
    engine: dict = field(default_factory=dict, repr=False, compare=False)
    # Temperature 0: a failed (unparseable) judgment comes out the same every time, so it is cached.
    failures_repeat: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self._template = get_template(self.template)
        if self._template.kind != "pairwise":
            raise ValueError(f"template {self.template!r} is pointwise; the vllm judge takes a pairwise template")
        if self.mode == "logprob":
            check_format(self._template.output)

    def with_template(self, name: str) -> VLLMJudge:
        """The same engine and settings prompted with template ``name`` (the format probe's variants); in
        logprob mode, a template whose output logprob cannot read is decoded score_first."""
        return replace(self, template=name, mode=usable_mode(self.mode, name))

    def sent(self, item: JudgeItem, template: str | None = None) -> list[dict[str, str]]:
        """The chat messages sent for ``item`` (under ``template``, else this judge's): with the weights in the
        identity, they decide the prompt vLLM's chat template writes."""
        chosen = get_template(template) if template else self._template
        return chosen.render(item.shown, chosen.shows_reference(item.shown, self.with_reference))

    def cache_identity(self) -> dict:
        """Weights, template and decoding settings: what decides a judgment (the GPU split does not)."""
        logprob = {}
        if self.mode == "logprob":
            reader = code_fingerprint("components.judges.score_reading") + code_fingerprint(
                "components.judges.top_logprobs"
            )
            logprob = {"min_score_mass": self.min_score_mass, "top_logprobs": self.top_logprobs, "reader": reader}
        return local_model_identity("vllm", self, max_model_len=self.max_model_len, **logprob)

    def _engine(self):
        if "llm" not in self.engine:
            try:
                from vllm import LLM
            except ImportError:
                raise RuntimeError(INSTALL_HINT) from None
            self.engine["llm"] = LLM(
                model=str(self.model_path),
                enable_lora=self.adapter is not None,
                max_model_len=self.max_model_len,
                tensor_parallel_size=self.tensor_parallel_size,
                trust_remote_code=False,
            )
        return self.engine["llm"]

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        from vllm import SamplingParams
        from vllm.lora.request import LoRARequest

        llm = self._engine()
        tokenizer = llm.get_tokenizer()
        prompts = [chat_prompt(tokenizer, self._messages(item.shown)) for item in items]
        if self.mode == "logprob":
            sampling = SamplingParams(temperature=0.0, max_tokens=LINE_TOKENS, logprobs=self.top_logprobs)
        else:
            first_line = self.mode == "score_first" and self._template.output in FIRST_LINE_FORMATS
            stop = ["\n"] if first_line else None
            sampling = SamplingParams(temperature=0.0, max_tokens=self.max_new_tokens, stop=stop)
        lora = LoRARequest("judge", 1, str(self.adapter)) if self.adapter else None
        outputs = llm.generate(prompts, sampling, lora_request=lora)
        readings = [self._read(out.outputs[0]) for out in outputs]
        return [
            to_judgment(item, self.name, self.template, r.raw, r.parsed, confidence=r.confidence)
            for item, r in zip(items, readings, strict=True)
        ]

    def _read(self, completion) -> Reading:
        if self.mode == "logprob":
            entries = openai_entries(completion.token_ids, completion.logprobs)
            return read_top_logprobs(self._template.output, entries, self.min_score_mass)
        return Reading(completion.text, parse(self._template.output, completion.text))

    def _messages(self, pair: Pair) -> list[dict[str, str]]:
        return self._template.render(pair, self._template.shows_reference(pair, self.with_reference))


def openai_entries(token_ids, logprobs) -> list[dict]:
    """vLLM's per-token logprobs (``{token id: Logprob(logprob, rank, decoded_token)}``, the written token
    among them) in OpenAI's ``logprobs.content`` shape."""
    entries = []
    for token_id, step in zip(token_ids, logprobs or [], strict=False):
        ranked = sorted(step.values(), key=lambda found: found.rank)
        top = [{"token": found.decoded_token, "logprob": found.logprob} for found in ranked]
        written = step[token_id]
        entries.append({"token": written.decoded_token, "logprob": written.logprob, "top_logprobs": top})
    return entries
