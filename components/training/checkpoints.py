"""Checkpoints that survive SIGKILL: written to a staging folder, then renamed into place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

PREFIX = "step-"


def save(root: Path, step: int, model, optimizer, scheduler, state: dict) -> Path:
    """The trainable weights (a LoRA adapter, or the whole model for full fine-tuning), the
    optimizer and scheduler, and the loop's own state."""
    staging_dir = staging(root, step)
    shutil.rmtree(staging_dir, ignore_errors=True)
    model.save_pretrained(staging_dir / "model", safe_serialization=True)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, staging_dir / "optimizer.pt")
    return commit(root, staging_dir, step, state)


def staging(root: Path, step: int) -> Path:
    """Where checkpoint ``step`` is written before it counts (never named step-*)."""
    return root / f".tmp-{PREFIX}{step:06d}"


def commit(root: Path, staging_dir: Path, step: int, state: dict) -> Path:
    """Add state.json, rename the staging folder into place and drop older checkpoints."""
    (staging_dir / "state.json").write_text(json.dumps({**state, "step": step}, indent=2))
    final = root / f"{PREFIX}{step:06d}"
    shutil.rmtree(final, ignore_errors=True)
    staging_dir.rename(final)
    for old in list_checkpoints(root)[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints, oldest first (a half-written one is never named step-*)."""
    if not root.exists():
        return []
    return sorted(p for p in root.glob(f"{PREFIX}*") if (p / "state.json").exists())


def latest(root: Path) -> Path | None:
    found = list_checkpoints(root)
    return found[-1] if found else None


def load_state(checkpoint: Path, model, optimizer, scheduler, lora: bool) -> dict:
    from safetensors.torch import load_file

    folder = checkpoint / "model"
    if lora:
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(model, load_file(folder / "adapter_model.safetensors"))
    else:
        weights = {}
        for shard in sorted(folder.glob("*.safetensors")):
            weights.update(load_file(shard))
        _load_full(model, weights, checkpoint)
    saved = torch.load(checkpoint / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    return json.loads((checkpoint / "state.json").read_text())


def _load_full(model, weights: dict, checkpoint: Path) -> None:
    """Every weight of the model must come from the checkpoint, except tied ones that
    save_pretrained leaves out (lm_head = embed_tokens): a checkpoint of another model or of a
    LoRA run fails here instead of resuming from the base weights in silence."""
    result = model.load_state_dict(weights, strict=False)
    current = model.state_dict()
    loaded = {current[name].data_ptr() for name in weights if name in current}
    untied = [name for name in result.missing_keys if current[name].data_ptr() not in loaded]
    if result.unexpected_keys or untied:
        raise ValueError(
            f"{checkpoint} does not fit this model: missing {untied[:5]}, unexpected {result.unexpected_keys[:5]}"
        )


def publish(model, out: Path, state_dict: dict | None = None) -> None:
    """Save the model's trainable weights to ``out`` atomically (the best checkpoint so far).
    ``state_dict`` is the gathered one when the model is sharded across processes."""
    tmp = out.parent / f".saving-{out.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    extra = {} if state_dict is None else {"state_dict": state_dict}
    model.save_pretrained(tmp, safe_serialization=True, **extra)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
