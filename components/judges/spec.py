"""Any judge by a one-word spec, for `judgeops audit --judge` and the audit deployment.

- ``finetuned`` / ``base``: the pipeline's own judges (params.yaml decides how they judge)
- ``models:/judge@champion``, ``PATH``: any model reference ``judgeops serve`` takes, resolved by the one
  rule in components.judges.model_ref (a registered model, a model folder, or an adapter over its base model)
- ``openai:MODEL@BASE_URL``: any OpenAI-compatible endpoint; the key comes from the environment
  variable named by ``api_key_env`` (never from the spec, so it never lands in logs or MLflow)
- ``vllm:PATH``: a local model served in-process by vLLM (GPU machines, ``judgeops[vllm]``; untested here)
- ``scripted:NAME``: a scripted judge with a known bias, to check the audit itself
"""

from __future__ import annotations

from components import paths
from components.config import Params
from components.judges.base import Judge
from components.judges.factory import PIPELINE_JUDGES, hf_judge, make_judge
from components.judges.model_ref import ACCEPTED, UnknownModelRef, resolve_model, slug


def judge_from_spec(spec: str, params: Params, api_key_env: str | None = None) -> Judge:
    if spec in PIPELINE_JUDGES:
        return make_judge(spec, params)
    if spec.startswith("scripted:"):
        from components.judges.scripted import make_scripted

        return make_scripted(spec.split(":", 1)[1], external_template(params))
    if spec.startswith("openai:"):
        return _openai(spec, params, api_key_env)
    if spec.startswith("vllm:"):
        from components.judges.vllm import VLLMJudge

        cfg = params.judge
        return VLLMJudge(
            name=slug(spec),
            model_path=spec.removeprefix("vllm:"),
            template=external_template(params),
            mode=cfg.mode if cfg.mode != "logprob" else "score_first",
            with_reference=cfg.with_reference,
            max_new_tokens=cfg.max_new_tokens,
            max_model_len=cfg.max_prompt_tokens + cfg.max_new_tokens,
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


def _openai(spec: str, params: Params, api_key_env: str | None) -> Judge:
    from components.judges.openai import OpenAIJudge
    from components.llm_client import LLMClient

    model, _, base_url = spec.removeprefix("openai:").partition("@")
    if not model or not base_url:
        raise ValueError(f"an openai judge is openai:MODEL@BASE_URL, got {spec!r}")
    cache = paths.JUDGMENTS_CACHE / f"openai-{slug(model)}.jsonl"
    client = LLMClient(
        base_url=base_url, model=model, api_key_env=api_key_env, cache=cache, max_tokens=params.judge.max_new_tokens
    )
    return OpenAIJudge(
        name=f"openai:{model}",
        client=client,
        template=external_template(params),
        with_reference=params.judge.with_reference,
    )
