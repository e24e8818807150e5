"""Checkpoints that survive SIGKILL: written to a temporary folder, then renamed into place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

PREFIX = "step-"


def save(root: Path, step: int, model, optimizer, scheduler, state: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{PREFIX}{step:06d}"
    tmp = root / f".tmp-{PREFIX}{step:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp / "model", safe_serialization=True)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps({**state, "step": step}, indent=2))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
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
        model.load_state_dict(weights, strict=False)
    saved = torch.load(checkpoint / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    return json.loads((checkpoint / "state.json").read_text())


def publish(model, out: Path) -> None:
    """Save the model's trainable weights to ``out`` atomically (the best checkpoint so far)."""
    tmp = out.parent / f".saving-{out.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
