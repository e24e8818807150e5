"""The pipeline's judges by name, and the fingerprint that keys their judgment caches.

The judge and audit stages both build judges here, so the audit's position probe finds the
judge stage's both-order judgments in the cache instead of paying for them twice.
"""

from __future__ import annotations

import hashlib
import json

from components import paths
from components.config import Params
from components.judges.hf import HFJudge

PIPELINE_JUDGES = ("finetuned", "base")


def make_judge(name: str, params: Params) -> HFJudge:
    if name not in PIPELINE_JUDGES:
        raise ValueError(f"unknown judge {name!r}; the pipeline's judges: {', '.join(PIPELINE_JUDGES)}")
    if name == "base":
        return hf_judge(name, params, paths.BASE_MODEL)
    if params.finetune.method == "full":  # a complete model folder, not an adapter
        return hf_judge(name, params, paths.JUDGE_MODEL)
    return hf_judge(name, params, paths.BASE_MODEL, paths.JUDGE_MODEL)


def hf_judge(name: str, params: Params, model_path, adapter=None) -> HFJudge:
    """A local judge that judges the way params.yaml's judge section says."""
    cfg = params.judge
    return HFJudge(
        name=name,
        model_path=model_path,
        adapter=adapter,
        template=params.finetune.template,
        mode=cfg.mode,
        with_reference=cfg.with_reference,
        batch_size=cfg.batch_size,
        max_new_tokens=cfg.max_new_tokens,
        max_prompt_tokens=cfg.max_prompt_tokens,
        min_score_mass=cfg.min_score_mass,
    )


def cache_file(name: str, params: Params):
    return paths.JUDGMENTS_CACHE / f"{name}-{fingerprint(name, params)}.jsonl"


def fingerprint(name: str, params: Params) -> str:
    """Changes whenever the model, adapter or judging params change, so a cache never serves
    judgments made by another judge."""
    # Where judging runs (Dask or not) does not change a judgment, so it does not key the cache.
    judging = params.judge.model_dump(mode="json", exclude={"dask_workers", "dask_address"})
    parts = {"judge": judging, "template": params.finetune.template}
    parts["base"] = (paths.BASE_MODEL / "judgeops_model.json").read_text()
    parts["base_weights"] = [
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(paths.BASE_MODEL.glob("*.safetensors"))
    ]
    if name == "finetuned":
        parts["adapter"] = [
            hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(paths.JUDGE_MODEL.glob("*.safetensors"))
        ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]
