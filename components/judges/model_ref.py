"""One rule for what a model reference names, for every command that loads a model: `judgeops serve
--model`, `judgeops audit --judge` and the pipeline's own judges.

- ``finetuned`` / ``base``: the pipeline's judges, models/judge and data/base_model
- ``models:/NAME@ALIAS`` (or ``models:/NAME/VERSION``): a model registered in MLflow, downloaded first; a
  pyfunc judge (components/judge_model.py) packs its judge folder and, for an adapter, its base model, which
  is then the base
- a local folder

A folder (or what a download holds) is read by what is in it, never by how it was named: a LoRA adapter
(adapter_config.json, looked for below a download's top folder too) or a full model (config.json), so
models/judge is an adapter or a full model as the finetune stage saved it. An adapter's base model is
``base`` when given, else the folder its adapter_config.json records (the finetune stage records
data/base_model, relative to the project root), else data/base_model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from components import paths
from components.tracking import download_model

ADAPTER_CONFIG = "adapter_config.json"
MODEL_CONFIG = "config.json"
JUDGE_IDENTITY = "judgeops_judge.json"  # what the finetune stage writes beside the judge's weights
PACKED_JUDGE, PACKED_BASE = "judge", "base_model"  # a pyfunc judge's artifacts (components/judge_model.py)
REGISTRY_PREFIX = "models:/"
PIPELINE_MODELS = {"finetuned": paths.JUDGE_MODEL, "base": paths.BASE_MODEL}
"""Where the pipeline's judges (vocabulary.PIPELINE_JUDGES) live, and the stage that writes each."""
_WRITTEN_BY = {"finetuned": "finetune", "base": "base_model"}
ACCEPTED = "finetuned, base, models:/NAME@ALIAS, or a model or LoRA adapter folder"


class UnknownModelRef(ValueError):
    """A reference that is no pipeline judge, no registry URI and no existing folder."""


@dataclass(frozen=True)
class ModelSource:
    """The folders to load (``adapter`` None for a full model) and the name the model goes by."""

    base: Path
    adapter: Path | None
    name: str


def resolve_model(ref: str, base: str | Path | None = None, download_dir: Path | None = None) -> ModelSource:
    """The folders ``ref`` names. A registered model is downloaded into ``download_dir`` (default
    .state/registry/<name>); ``base`` overrides an adapter's base model and is refused for a full model."""
    if ref in PIPELINE_MODELS:
        folder = PIPELINE_MODELS[ref]
        if not folder.is_dir():
            raise FileNotFoundError(f"{ref}: {folder} does not exist yet; run `dvc repro {_WRITTEN_BY[ref]}`")
        return _from_folder(folder, base, ref)
    if ref.startswith(REGISTRY_PREFIX):
        name = ref.removeprefix(REGISTRY_PREFIX)
        downloaded = _download(ref, download_dir or Path(".state") / "registry" / slug(name))
        packed = packed_artifacts(downloaded)
        if PACKED_JUDGE in packed:
            return _from_folder(packed[PACKED_JUDGE], base or packed.get(PACKED_BASE), name)
        return _from_folder(_model_folder(downloaded, ref), base, name)
    folder = Path(ref)
    if not folder.is_dir():
        raise UnknownModelRef(f"unknown model {ref!r}: no such folder; a model reference is {ACCEPTED}")
    return _from_folder(folder, base, folder.resolve().name)


def slug(ref: str) -> str:
    """``ref`` as a file or judge name: characters other than letters, digits, ``-_.`` become ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in ref.removeprefix(REGISTRY_PREFIX)).strip("_")


def packed_artifacts(folder: Path) -> dict[str, Path]:
    """A downloaded pyfunc model's artifacts by name (from its MLmodel file); {} for anything else."""
    if not (folder / "MLmodel").exists():
        return {}
    from mlflow.models import Model

    flavor = Model.load(str(folder / "MLmodel")).flavors.get("python_function", {})
    return {name: folder / spec["path"] for name, spec in (flavor.get("artifacts") or {}).items()}


def _download(ref: str, target: Path) -> Path:
    from mlflow.exceptions import MlflowException

    try:
        return Path(download_model(ref, target))
    except MlflowException as exc:
        raise ValueError(f"{ref} is not in the MLflow registry: {exc.message}") from None


def _model_folder(downloaded: Path, ref: str) -> Path:
    """The shallowest folder of a download holding an adapter, else a model."""
    for marker in (ADAPTER_CONFIG, MODEL_CONFIG):
        found = sorted(downloaded.rglob(marker), key=lambda file: (len(file.parts), file))
        if found:
            return found[0].parent
    raise FileNotFoundError(f"{ref} holds neither a LoRA adapter ({ADAPTER_CONFIG}) nor a model ({MODEL_CONFIG})")


def _from_folder(folder: Path, base: str | Path | None, name: str) -> ModelSource:
    if (folder / ADAPTER_CONFIG).exists():
        return ModelSource(_base_for(folder, base), folder, name)
    if (folder / MODEL_CONFIG).exists():
        if base is not None:
            raise ValueError(f"{folder} is a full model folder; a base model is only for adapter folders")
        return ModelSource(folder, None, name)
    raise FileNotFoundError(
        f"{folder} is neither a model folder ({MODEL_CONFIG}) nor a LoRA adapter folder ({ADAPTER_CONFIG})"
    )


def _base_for(adapter: Path, base: str | Path | None) -> Path:
    if base is not None:
        candidates = [Path(base)]
    else:
        recorded = json.loads((adapter / ADAPTER_CONFIG).read_text()).get("base_model_name_or_path")
        candidates = [Path(recorded)] if recorded else []
        candidates.append(paths.BASE_MODEL)
    for candidate in candidates:
        if (candidate / MODEL_CONFIG).exists():
            return candidate
    tried = ", ".join(str(candidate) for candidate in candidates)
    raise FileNotFoundError(f"no base model for the adapter in {adapter} (tried {tried}); pass --base FOLDER")
