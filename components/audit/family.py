"""Whose answers are a judge's own: the self-enhancement probe needs the judge's model family, and only a
judge whose weights we can read has a family we know.

The pipeline's ``model:`` answers are written by the base model (data/base_model, the generate stage).
A local judge (hf, vllm) built on that base model -- the pipeline's ``base`` and ``finetuned`` judges, a
registered judge or a folder trained from it -- is of that family. An API judge, a scripted judge or a
local model on another base has no family we know: the probe is skipped for it unless the user names the
sources of its family's answers (``audit.self_sources``, ``judgeops audit --self-sources``).
"""

from __future__ import annotations

import json
from pathlib import Path

from components import paths

BASE_MODEL_SOURCES = ("model:",)  # the sources the generate stage gives the base model's answers
_MODEL_INFO = "judgeops_model.json"  # what the base_model stage writes beside the weights (source, size)
_JUDGE_INFO = "judgeops_judge.json"  # what the finetune stage writes beside a judge (its base_model)


def own_sources(judge) -> tuple[str, ...] | None:
    """The answer sources of ``judge``'s own family, or None when its family is unknown."""
    folder = getattr(judge, "model_path", None)
    if not folder:
        return None
    base = _source(paths.BASE_MODEL, _MODEL_INFO, "source")
    if base is None:
        return None
    folder = Path(folder)
    if folder.resolve() == paths.BASE_MODEL.resolve():
        return BASE_MODEL_SOURCES
    built_on = _source(folder, _MODEL_INFO, "source") or _source(folder, _JUDGE_INFO, "base_model")
    return BASE_MODEL_SOURCES if built_on == base else None


def _source(folder: Path, name: str, key: str) -> str | None:
    try:
        return json.loads((folder / name).read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
