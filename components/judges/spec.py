"""Any judge by a one-word spec, for `judgeops audit --judge` and the audit deployment.

- ``finetuned`` / ``base``: the pipeline's own judges (params.yaml decides how they judge)
- ``models:/judge@champion``, ``PATH``: any model reference ``judgeops serve`` takes, resolved by the one
  rule in components.judges.model_ref (a registered model, a model folder, or an adapter over its base model)
- ``openai:MODEL@BASE_URL``: any OpenAI-compatible endpoint; the key comes from the environment
  variable named by ``api_key_env`` (never from the spec, so it never lands in logs or MLflow). The URL is
  what follows the last ``@`` that starts ``http://`` or ``https://``, so MODEL may hold ``@`` itself:
  ``openai:judge@champion@http://127.0.0.1:8000/v1`` is the model ``judge@champion`` (what ``judgeops serve
  --model models:/judge@champion`` serves). The URL may carry credentials (``http://user:password@host/v1``):
  they are redacted wherever the spec or the URL is written (components.redaction)
- ``vllm:PATH``: a local model served in-process by vLLM (GPU machines, ``judgeops[vllm]``; untested here)
- ``scripted:NAME``: a scripted judge with a known bias, to check the audit itself
"""

from __future__ import annotations

import re

from components import paths
from components.config import Params
from components.judges.base import Judge
from components.judges.factory import PIPELINE_JUDGES, hf_judge, make_judge
from components.judges.model_ref import ACCEPTED, UnknownModelRef, resolve_model, slug
from components.redaction import redact

OPENAI_SPEC = re.compile(
    r"openai:(?P<model>.+)@(?P<url>https?://(?:[^@/]*@)?[^@]*)"
)  # greedy: the URL follows the last @http


def judge_from_spec(spec: str, params: Params, api_key_env: str | None = None) -> Judge:
    if spec in PIPELINE_JUDGES:
        return make_judge(spec, params)
    if spec.startswith("scripted:"):
        from components.judges.scripted import make_scripted

        return make_scripted(spec.split(":", 1)[1], external_template(params))
    if spec.startswith("openai:"):
        return _openai(spec, params, api_key_env)
    if spec.startswith("vllm:"):
        from components.judges.score_reading import usable_mode
        from components.judges.vllm import VLLMJudge

        cfg = params.judge
        template = external_template(params)
        return VLLMJudge(
            name=slug(spec),
            model_path=spec.removeprefix("vllm:"),
            template=template,
            mode=usable_mode(cfg.mode, template),
            with_reference=cfg.with_reference,
            max_new_tokens=cfg.max_new_tokens,
            max_model_len=cfg.max_prompt_tokens + cfg.max_new_tokens,
            min_score_mass=cfg.min_score_mass,
        )
    try:
        source = resolve_model(spec)
    except UnknownModelRef:
        raise ValueError(
            f"unknown judge {spec!r}: expected {ACCEPTED}, openai:MODEL@BASE_URL or scripted:NAME"
        ) from None
    return hf_judge(slug(spec), params, source.base, source.adapter)


def external_template(params: Params) -> str:
    """The template for a judge this project did not train (scripted, openai, vllm): the trained judge's own
    when it is pairwise, else our pairwise layout -- those backends judge a pair in one prompt."""
    from components.judges.templates import get_template

    template = params.finetune.template
    return template if get_template(template).kind == "pairwise" else "judgeops"


def openai_target(spec: str) -> tuple[str, str]:
    """(model, base URL) of ``openai:MODEL@BASE_URL``; MODEL may contain ``@``."""
    found = OPENAI_SPEC.fullmatch(spec)
    if found is None:
        raise ValueError(
            f"an openai judge is openai:MODEL@BASE_URL with BASE_URL starting http:// or https://, got {redact(spec)!r}"
        )
    return found["model"], found["url"]


def _openai(spec: str, params: Params, api_key_env: str | None) -> Judge:
    from components.judges.openai import OpenAIJudge
    from components.judges.score_reading import usable_mode
    from components.llm_client import LLMClient

    model, base_url = openai_target(spec)
    cache = paths.JUDGMENTS_CACHE / f"openai-{slug(model)}.jsonl"
    client = LLMClient(
        base_url=base_url, model=model, api_key_env=api_key_env, cache=cache, max_tokens=params.judge.max_new_tokens
    )
    template = external_template(params)
    return OpenAIJudge(
        name=f"openai:{model}",
        client=client,
        template=template,
        with_reference=params.judge.with_reference,
        mode=usable_mode(params.judge.mode, template),
        min_score_mass=params.judge.min_score_mass,
    )
