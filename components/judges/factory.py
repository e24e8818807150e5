"""The pipeline's judges by name, and where their judgment caches live.

The judge and audit stages both build judges here and share each judge's cache file, so the audit's
position probe finds the judge stage's both-order judgments instead of paying for them twice. What keys
a cached judgment (weights, template, decoding settings) is the judge's own ``cache_identity()``: a
changed model or setting misses in the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from components import paths
from components.config import Params
from components.judges import PIPELINE_JUDGES
from components.judges.model_ref import resolve_model

if TYPE_CHECKING:
    from components.judges.hf import HFJudge

# The judge section's keys an HFJudge is built from (here, and in training/agreement.py's val pass).
HF_JUDGE_PARAMS = (
    "judge.mode",
    "judge.with_reference",
    "judge.batch_size",
    "judge.max_new_tokens",
    "judge.max_prompt_tokens",
    "judge.min_score_mass",
)
# What make_judge reads: those, the engine (not the finetune stage's: its val pass runs the model it trains),
# and the template the finetune stage trained the judge on. Whether the judge
# is an adapter or a full model (finetune.method) is read from models/judge itself (components.judges.model_ref).
PIPELINE_JUDGE_PARAMS = (*HF_JUDGE_PARAMS, "judge.engine", "judge.ct2_compute_type", "finetune.template")


def make_judge(name: str, params: Params) -> HFJudge:
    if name not in PIPELINE_JUDGES:
        raise ValueError(f"unknown judge {name!r}; the pipeline's judges: {', '.join(PIPELINE_JUDGES)}")
    source = resolve_model(name)
    return hf_judge(name, params, source.base, source.adapter)


def hf_judge(name: str, params: Params, model_path, adapter=None) -> HFJudge:
    """A local judge that judges the way params.yaml's judge section says."""
    from components.judges.hf import HFJudge  # torch: only when a judge is built

    engine = {"engine": params.judge.engine, "ct2_compute_type": params.judge.ct2_compute_type}
    return HFJudge(name=name, model_path=model_path, adapter=adapter, **judge_settings(params), **engine)


def judge_settings(params: Params) -> dict:
    """How the pipeline's judges judge (PIPELINE_JUDGE_PARAMS as HFJudge's arguments): what the finetune
    stage records beside the judge, so the registered model judges the same way anywhere."""
    cfg = params.judge
    return {
        "template": params.finetune.template,
        "mode": cfg.mode,
        "with_reference": cfg.with_reference,
        "batch_size": cfg.batch_size,
        "max_new_tokens": cfg.max_new_tokens,
        "max_prompt_tokens": cfg.max_prompt_tokens,
        "min_score_mass": cfg.min_score_mass,
    }


def cache_file(name: str) -> Path:
    return paths.JUDGMENTS_CACHE / f"{name}.jsonl"
