"""Stage finetune: LoRA (or full) SFT of the base model into a judge, registered in MLflow as `judge`: a pyfunc
model (components/judge_model.py) that packs the judge, its base model and the code, and judges as the
pipeline does wherever it is loaded.

The run records what it was trained on: the train and val splits as MLflow datasets (their digest is
the md5 DVC keeps for each file; the train split's is also tagged ``train_data_md5``), params ``git_rev``
and ``base_model``; metrics per step (loss, learning_rate, tokens_per_s, peak_rss_mb) and per eval step
(eval_loss, val_agreement, val_kappa, val_auc; the best step is the one with the highest val_agreement);
``register_seconds``, what logging and registering the pyfunc took.

Checkpoints live under models/checkpoints/<fingerprint>, where the fingerprint covers everything the
stage depends on, as DVC hashes it: its declared params (the finetune section and the judge keys, such as
judge.max_prompt_tokens, which sets training truncation) and the content of its deps (train and val
splits, the base model, the validation results and its code). A rerun after a crash resumes; a run whose
inputs changed in any way starts fresh. Other keys' folders are kept, the most recently used few, so a
short run with other settings does not wipe an interrupted long one.

Under ``accelerate launch`` every process runs this stage and trains its share; only the main
process publishes and registers the judge (see docs/training.md).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import fields

from components import paths
from components.config import Params
from components.inputs_digest import inputs_digest
from components.io import file_md5, read_jsonl, write_json
from components.judges.factory import HF_JUDGE_PARAMS, judge_settings
from components.judges.model_ref import JUDGE_IDENTITY
from components.models import describe, load_causal_lm
from components.schemas import Pair
from components.stages.contract import Out, Stage
from components.subsets import spread
from components.tracking import git_rev
from components.training.examples import Augment

STAGE = Stage(
    name="finetune",
    help="LoRA SFT of the base model into a judge, registered in MLflow.",
    params=("finetune", *HF_JUDGE_PARAMS),
    deps=(
        "data/base_model",
        "data/generated/train.jsonl",
        "data/generated/val.jsonl",
        "data/validation",
        "components/training",
        "components/judges",
        "components/answer_quality.py",
        "components/judge_model.py",
        "components/textgen.py",
        "components/metrics.py",
        "components/subsets.py",
        "components/keyed_jsonl.py",
        "components/models.py",
        "components/progress.py",
        "components/schemas.py",
        "components/inputs_digest.py",
    ),
    outs=(Out("models/judge"),),
    plots=(Out("metrics/learning_curve.json", cache=False, x="tokens", y="val_agreement"),),
)


def run(params: Params, tracker) -> dict:
    from components.judge_model import log_judge  # torch, mlflow: only when the stage runs
    from components.training.agreement import val_agreement
    from components.training.runtime import is_main_process
    from components.training.trainer import TrainConfig, prepare, train

    cfg = params.finetune
    train_pairs = read_jsonl(paths.split_file("train"), Pair)
    val_pairs = spread(read_jsonl(paths.split_file("val"), Pair), cfg.eval_items)
    model, tokenizer = load_causal_lm(paths.BASE_MODEL)
    shared = {f.name for f in fields(TrainConfig)} & set(type(cfg).model_fields)  # same names, same meaning
    tcfg = TrainConfig(
        **cfg.model_dump(include=shared),
        augment=Augment(cfg.swap_prob, cfg.reference_drop, cfg.seed, cfg.both_orders),
        max_tokens=params.judge.max_prompt_tokens,
    )
    model = prepare(model, tcfg)
    data_hash = file_md5(paths.split_file("train"))
    base = describe(paths.BASE_MODEL)
    rev = git_rev()
    main = is_main_process()
    if main:
        tracker.params({"git_rev": rev, "base_model": base["source"]})
        tracker.dataset(paths.split_file("train"), "train", "training", data_hash)
        tracker.dataset(paths.split_file("val"), "val", "validation", file_md5(paths.split_file("val")))
    workdir = paths.CHECKPOINTS / fingerprint(params)
    _drop_stale(workdir)
    frozen_layers = cfg.lora_layers if cfg.frozen_cache else None
    evaluate = val_agreement(val_pairs, tokenizer, cfg.template, params.judge, frozen_layers) if val_pairs else None
    with tracker.step_metrics() as step_log:
        result = train(model, tokenizer, train_pairs, tcfg, workdir, evaluate, log=step_log, val_pairs=val_pairs)
    if not main:
        return {"steps_run": result.steps}

    write_json(paths.LEARNING_CURVE, result.curve)
    shutil.rmtree(paths.JUDGE_MODEL, ignore_errors=True)
    shutil.copytree(workdir / "best", paths.JUDGE_MODEL)
    if cfg.method == "full":
        tokenizer.save_pretrained(paths.JUDGE_MODEL)  # a whole model folder, loadable on its own
    identity = {
        "base_model": base["source"],
        "method": cfg.method,
        "train_data_md5": data_hash,
        "template": cfg.template,
        "output_format": cfg.output_format,
    }
    meta = {**identity, "best_step": result.best_step, "judge": judge_settings(params)}
    (paths.JUDGE_MODEL / JUDGE_IDENTITY).write_text(json.dumps(meta, indent=2) + "\n")
    base_folder = paths.BASE_MODEL if cfg.method == "lora" else None
    logged = log_judge(tracker, paths.JUDGE_MODEL, base_folder, tags={**identity, "git_rev": rev}, alias="candidate")
    version = logged["version"]
    # The version this judge is, for the report to tag and promote (not whatever holds `candidate` by then).
    meta["registered_version"] = version
    (paths.JUDGE_MODEL / JUDGE_IDENTITY).write_text(json.dumps(meta, indent=2) + "\n")
    tracker.tags(
        {
            "train_data_md5": data_hash,
            "registered_version": version,
            "model_uri": logged["model_uri"],
            "bf16": str(result.bf16).lower(),
        }
    )
    return {
        "train_pairs": len(train_pairs),
        "steps_run": result.steps,
        "resumed_from_step": result.resumed_from,
        "best_step": result.best_step,
        "best_val_agreement": result.best_score if result.best_score is not None else float("nan"),
        "first_loss": result.losses[0] if result.losses else float("nan"),
        "final_loss": result.losses[-1] if result.losses else float("nan"),
        "final_eval_loss": result.eval_loss if result.eval_loss is not None else float("nan"),
        "train_tokens": result.tokens,
        "train_tokens_fed": result.fed_tokens,
        "tokens_per_s": round(result.tokens_per_s, 1),
        # Flags and names, not measurements: kept in metrics/finetune.json, tags (not metrics) in MLflow.
        "bf16": bool(result.bf16),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "registered_version": str(version),
        "register_seconds": round(logged["seconds"], 1),
    }


def fingerprint(params: Params) -> str:
    """The checkpoint folder's key: the declared params' values and every dep's content (inputs_digest)."""
    return inputs_digest(STAGE.params_of(params), STAGE.all_deps)


KEEP_OTHER_CHECKPOINTS = 2  # other keys' folders kept besides this run's, the most recently used


def _drop_stale(keep, others: int = KEEP_OTHER_CHECKPOINTS) -> None:
    """Mark ``keep`` used now and delete other keys' folders beyond the ``others`` most recently used."""
    keep.mkdir(parents=True, exist_ok=True)
    os.utime(keep)
    if not paths.CHECKPOINTS.exists():
        return
    older = sorted(
        (folder for folder in paths.CHECKPOINTS.iterdir() if folder.is_dir() and folder != keep),
        key=lambda folder: folder.stat().st_mtime,
        reverse=True,
    )
    for folder in older[others:]:
        shutil.rmtree(folder, ignore_errors=True)
