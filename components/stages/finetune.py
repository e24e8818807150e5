"""Stage finetune: LoRA SFT of the base model into a judge, registered in MLflow as `judge`.

Checkpoints live under models/checkpoints/<fingerprint>, where the fingerprint covers the
training data, the base model and the finetune params: a rerun after a crash resumes, a run
with different inputs starts fresh.
"""

from __future__ import annotations

import hashlib
import json
import shutil

from components import paths
from components.config import Params
from components.io import read_jsonl
from components.judges.base import JudgeItem
from components.judges.hf import HFJudge
from components.models import describe, load_causal_lm
from components.schemas import Pair
from components.tracking import git_rev, register_model
from components.training.examples import Augment
from components.training.trainer import TrainConfig, prepare, train


def run(params: Params, tracker) -> dict:
    cfg = params.finetune
    train_pairs = read_jsonl(paths.split_file("train"), Pair)
    val_pairs = read_jsonl(paths.split_file("val"), Pair)[: cfg.eval_items]
    model, tokenizer = load_causal_lm(paths.BASE_MODEL)
    tcfg = TrainConfig(
        **cfg.model_dump(include={
            "method", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "template", "output_format",
            "max_steps", "batch_size", "learning_rate", "warmup_steps", "bf16", "checkpoint_every", "eval_every", "seed",
        }),
        augment=Augment(cfg.swap_prob, cfg.reference_drop, cfg.seed),
        max_tokens=params.judge.max_prompt_tokens,
    )
    model = prepare(model, tcfg)
    data_hash = file_md5(paths.split_file("train"))
    workdir = paths.CHECKPOINTS / fingerprint(data_hash, cfg.model_dump(mode="json"))
    _drop_stale(workdir)
    evaluate = _validation_agreement(val_pairs, tokenizer, params) if val_pairs else None
    result = train(model, tokenizer, train_pairs, tcfg, workdir, evaluate, log=lambda step, m: tracker.metrics(m, step=step))

    shutil.rmtree(paths.JUDGE_MODEL, ignore_errors=True)
    shutil.copytree(workdir / "best", paths.JUDGE_MODEL)
    base = describe(paths.BASE_MODEL)
    (paths.JUDGE_MODEL / "judgeops_judge.json").write_text(
        json.dumps({"base_model": base["source"], "train_data_md5": data_hash, "template": cfg.template,
                    "output_format": cfg.output_format, "best_step": result.best_step}, indent=2) + "\n"
    )
    version = register_model(
        tracker,
        paths.JUDGE_MODEL,
        "judge_adapter",
        tags={"base_model": base["source"], "train_data_md5": data_hash, "git_rev": git_rev(), "template": cfg.template},
        alias="candidate",
    )
    tracker.tags({"train_data_md5": data_hash, "registered_version": version})
    return {
        "train_pairs": len(train_pairs),
        "steps_run": result.steps,
        "resumed_from_step": result.resumed_from,
        "best_step": result.best_step,
        "best_val_agreement": result.best_score if result.best_score is not None else float("nan"),
        "first_loss": result.losses[0] if result.losses else float("nan"),
        "final_loss": result.losses[-1] if result.losses else float("nan"),
        "train_tokens": result.tokens,
        "tokens_per_s": round(result.tokens_per_s, 1),
        "bf16": int(result.bf16),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "registered_version": int(version),
    }


def _validation_agreement(val_pairs: list[Pair], tokenizer, params: Params):
    """Agreement of the model being trained with the teacher on the val split: CritiqueLLM
    picks its checkpoint by validation correlation, we pick by verdict agreement."""

    def evaluate(model) -> float:
        judge = HFJudge(
            name="val",
            model_path="",
            model=model,
            tokenizer=tokenizer,
            template=params.finetune.template,
            mode="score_first",
            with_reference=params.judge.with_reference,
            batch_size=params.judge.batch_size,
            max_new_tokens=params.judge.max_new_tokens,
            max_prompt_tokens=params.judge.max_prompt_tokens,
        )
        judgments = judge.judge([JudgeItem(p) for p in val_pairs])
        return sum(j.verdict == p.verdict for j, p in zip(judgments, val_pairs)) / len(val_pairs)

    return evaluate


def file_md5(path) -> str:
    """The same content hash DVC records for a file output."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(data_hash: str, finetune_params: dict) -> str:
    base = describe(paths.BASE_MODEL)
    blob = json.dumps({"data": data_hash, "params": finetune_params, "base": base}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _drop_stale(keep) -> None:
    if paths.CHECKPOINTS.exists():
        for folder in paths.CHECKPOINTS.iterdir():
            if folder != keep:
                shutil.rmtree(folder, ignore_errors=True)
