"""What ``judgeops serve --model`` accepts, resolved to local folders: a model folder, a LoRA adapter
folder, or a registered judge (``models:/judge@champion``, which is an adapter over a base model)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from components import paths
from components.tracking import download_model

ADAPTER_CONFIG = "adapter_config.json"


@dataclass(frozen=True)
class ModelSource:
    """The folders to load and the name clients must send as ``model``."""

    base: Path
    adapter: Path | None
    name: str


def resolve(ref: str, base: str | Path | None, download_dir: Path) -> ModelSource:
    """A registry URI is downloaded into ``download_dir``. ``base`` overrides an adapter's base model,
    which otherwise is the one its adapter_config.json records (a path relative to the project root,
    as the finetune stage trains from data/base_model), else data/base_model."""
    if ref.startswith("models:/"):
        folder = download_model(ref, download_dir)
        adapter = next((found.parent for found in sorted(folder.rglob(ADAPTER_CONFIG))), None)
        if adapter is None:
            raise FileNotFoundError(f"{ref} holds no LoRA adapter ({ADAPTER_CONFIG} missing)")
        return ModelSource(_base_for(adapter, base), adapter, ref.removeprefix("models:/"))
    folder = Path(ref)
    name = folder.resolve().name
    if (folder / ADAPTER_CONFIG).exists():
        return ModelSource(_base_for(folder, base), folder, name)
    if (folder / "config.json").exists():
        if base is not None:
            raise ValueError(f"{ref} is a full model folder; --base is only for adapter folders")
        return ModelSource(folder, None, name)
    raise FileNotFoundError(
        f"{ref} is neither a model folder (config.json), a LoRA adapter folder ({ADAPTER_CONFIG}) "
        "nor a models:/judge@alias URI"
    )


def _base_for(adapter: Path, base: str | Path | None) -> Path:
    if base is not None:
        candidates = [Path(base)]
    else:
        recorded = json.loads((adapter / ADAPTER_CONFIG).read_text()).get("base_model_name_or_path")
        candidates = [Path(recorded)] if recorded else []
        candidates.append(paths.BASE_MODEL)
    for candidate in candidates:
        if (candidate / "config.json").exists():
            return candidate
    tried = ", ".join(str(candidate) for candidate in candidates)
    raise FileNotFoundError(f"no base model for the adapter in {adapter} (tried {tried}); pass --base FOLDER")
