"""Stage base_model: the untuned model every later stage starts from, as safetensors."""

from __future__ import annotations

import shutil
from pathlib import Path

from components import paths
from components.config import Params
from components.models import build_tiny, copy_local, materialise_smollm2
from components.stages.contract import Out, Stage

STAGE = Stage(
    name="base_model",
    help="Materialise the base model as safetensors.",
    params=("base_model",),
    deps=("components/models.py",),
    outs=(Out("data/base_model"),),
)


def run(params: Params, tracker) -> dict:
    cfg = params.base_model
    out = paths.BASE_MODEL
    tmp = out.parent / f".tmp-{out.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    if cfg.kind == "smollm2":
        info = materialise_smollm2(tmp)
    elif cfg.kind == "tiny":
        info = build_tiny(tmp, cfg.tiny_hidden_size, cfg.tiny_layers, cfg.seed)
    else:
        info = copy_local(Path(cfg.path), tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    tracker.tags({"base_model.source": info["source"]})
    return {"parameters": info["parameters"], "layers": info["layers"], "hidden_size": info["hidden_size"]}
