"""The SFT loop: LoRA (or full) fine-tuning of a causal LM into a judge, resumable and checkpointed.

A hand-written loop rather than HF Trainer because the three things that matter here --
per-batch augmentation from immutable records, resume-after-SIGKILL without redoing steps,
and checkpoint selection by a judging pass -- are each a few lines in a loop and awkward
as Trainer callbacks. HF Trainer defaults are the baseline in benchmarks/finetune_throughput.py.
The loop calls a runtime (components/training/runtime.py) for the few things that differ under
``accelerate launch``; on one CPU process those are the plain torch calls.
"""

from __future__ import annotations

import contextlib
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from components.io import Appender
from components.progress import Progress
from components.schemas import Pair
from components.training import checkpoints
from components.training.collate import collate, encode, length_grouped_batches, tokens_in
from components.training.evaluation import EvalSet
from components.training.examples import Augment, epoch_examples, training_units, twins
from components.training.frozen import Bf16Weights, FrozenPrefix, top_only
from components.training.loss import judgment_loss, target_weight
from components.training.packing import pack, question_batches
from components.training.runtime import Accelerated, Local, make_runtime


@dataclass(frozen=True)
class TrainConfig:
    method: str = "lora"
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str | list[str] = "all-linear"
    lora_layers: int | None = None
    template: str = "judgeops"
    output_format: str = "judgelm"
    max_steps: int = 60
    schedule_steps: int | None = None  # the linear decay's end (None: max_steps); a run may stop before it
    batch_size: int = 8
    learning_rate: float = 3e-4
    warmup_steps: int = 5
    score_loss_weight: float = 1.0
    target: str = "judgment"  # judgment (score line and reason) | score_line
    frozen_cache: bool = False  # LoRA on the top lora_layers: run the frozen layers below once per example
    pack_questions: bool = False  # one packed row per batch, each question's shared start once (packing.py)
    bf16: str | bool = "auto"
    checkpoint_every: int = 30
    eval_every: int = 30
    seed: int = 7
    augment: Augment = field(default_factory=Augment)
    max_tokens: int = 1024


@dataclass
class TrainResult:
    steps: int
    resumed_from: int
    best_step: int
    best_score: float | None
    eval_loss: float | None
    losses: list[float]
    tokens: int
    seconds: float
    bf16: bool
    peak_rss_mb: float
    curve: list[dict] = field(default_factory=list)  # one row per eval step: step, tokens and the eval metrics
    fed_tokens: int = 0  # what the trained layers ran on: padding included, a packed question start once

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


Evaluate = Callable[[object], dict[str, float]]  # model -> metrics, "val_agreement" (higher is better) among them
Log = Callable[[int, dict], None]
Runtime = Local | Accelerated


def prepare(model, cfg: TrainConfig):
    """Wrap the model for LoRA, or leave every weight trainable for full fine-tuning. LoRA's A matrices
    start random: seeded, so runs with the same settings (one process or several) start alike."""
    torch.manual_seed(cfg.seed)
    if cfg.method == "full":
        model.requires_grad_(True)
        return model
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=_targets(model, cfg),
        layers_to_transform=top_layers(model, cfg.lora_layers),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def _targets(model, cfg: TrainConfig) -> str | list[str]:
    """peft takes ``layers_to_transform`` only with named modules: "all-linear" becomes the names of
    the decoder layers' linear modules."""
    if cfg.target_modules != "all-linear" or top_layers(model, cfg.lora_layers) is None:
        return cfg.target_modules
    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and ".layers." in name
        }
    )


def top_layers(model, count: int | None) -> list[int] | None:
    """The indices of the last ``count`` decoder layers (None: all). Adapting only the top layers
    also shortens the backward pass: nothing below the lowest adapter needs a gradient, so autograd
    stops there -- on a CPU, where training is compute-bound, that is most of the saving."""
    layers = model.config.num_hidden_layers
    if count is None or count >= layers:
        return None
    return list(range(layers - count, layers))


def train(
    model,
    tokenizer,
    pairs: list[Pair],
    cfg: TrainConfig,
    workdir: Path,
    evaluate: Evaluate | None = None,
    log: Log | None = None,
    val_pairs: list[Pair] | None = None,
) -> TrainResult:
    """Train for ``cfg.max_steps`` optimizer steps, resuming from ``workdir`` if a checkpoint is
    there. At every eval step the loss on ``val_pairs`` is logged as ``eval_loss`` with the metrics
    ``evaluate`` returns; the best model by their ``val_agreement`` is saved under ``workdir/best``
    (the last one when there is no ``evaluate``). The eval rows, with the training tokens seen so
    far, make the learning curve (``TrainResult.curve``), kept across a resume."""
    runtime = make_runtime(cfg.bf16, cfg.batch_size)
    torch.manual_seed(cfg.seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _warmup_then_linear(cfg.warmup_steps, cfg.schedule_steps or cfg.max_steps)
    )
    model, optimizer, scheduler = runtime.prepare(model, optimizer, scheduler)
    trainable = [p for p in model.parameters() if p.requires_grad]
    state = {
        "best_step": 0,
        "best_score": None,
        "eval_loss": None,
        "losses": [],
        "tokens": 0,
        "fed_tokens": 0,
        "seconds": 0.0,
        "curve": [],
    }
    found = checkpoints.latest(workdir / "checkpoints")
    if found is not None:
        state = runtime.load(found, model, optimizer, scheduler, lora=cfg.method == "lora")
    start = state.get("step", 0)
    if runtime.is_main:
        _forget_after(workdir / "progress.jsonl", start)
    progress = Appender(workdir / "progress.jsonl") if runtime.is_main else None
    model.train()
    prefix = frozen_prefix(runtime.unwrap(model), cfg)
    eval_set = (
        EvalSet(
            val_pairs,
            tokenizer,
            cfg.template,
            cfg.output_format,
            cfg.max_tokens,
            cfg.batch_size,
            score_line=cfg.target == "score_line",
            prefix=prefix,
            packed=cfg.pack_questions,
        )
        if val_pairs
        else None
    )
    # one process under bf16 autocast: the top layers' frozen matrices are cast once, not every step
    bf16_weights = None
    if prefix and runtime.bf16 and isinstance(runtime, Local):
        bf16_weights = Bf16Weights(runtime.unwrap(model), cfg.lora_layers)
    schedule = _batches(pairs, tokenizer, cfg, prefix)
    began = time.perf_counter() - state["seconds"]
    if prefix is not None and start < cfg.max_steps:
        next_batch(schedule, start + 1)  # fill the cache (its own progress line) before the steps' rate and ETA
    bar = Progress("finetune", cfg.max_steps, unit="steps", initial=start, disable=not runtime.is_main)
    for step in range(start + 1, cfg.max_steps + 1):
        rows = next_batch(schedule, step)
        mine, counted = runtime.shard(rows)
        batch = runtime.to_device((pack if cfg.pack_questions else collate)(mine, tokenizer.pad_token_id))
        denominator = runtime.denominator(target_weight(rows, cfg.score_loss_weight))
        with (
            top_only(runtime.unwrap(model), cfg.lora_layers) if prefix else contextlib.nullcontext(),
            bf16_weights.swapped() if bf16_weights else contextlib.nullcontext(),
        ):
            loss = _step(
                model, batch, optimizer, scheduler, runtime, trainable, cfg.score_loss_weight, denominator, counted
            )
        state["losses"].append(loss)
        state["tokens"] += tokens_in(rows)
        state["fed_tokens"] = state.get("fed_tokens", 0) + int(batch["input_ids"].numel())
        state["seconds"] = time.perf_counter() - began
        if progress is not None:
            progress.append({"step": step, "loss": loss, "tokens": tokens_in(rows)})
        if log and runtime.is_main:
            log(
                step,
                {
                    "loss": loss,
                    "learning_rate": scheduler.get_last_lr()[0],
                    "tokens_per_s": state["tokens"] / state["seconds"],
                    "peak_rss_mb": peak_rss_mb(),
                },
            )
        bar.update(1)
        bar.set_postfix(f"loss {loss:.3f}")
        if (eval_set is not None or evaluate) and (step % cfg.eval_every == 0 or step == cfg.max_steps):
            _evaluate(model, runtime, eval_set, evaluate, step, state, workdir, log)
        if step % cfg.checkpoint_every == 0 or step == cfg.max_steps:
            runtime.save(workdir / "checkpoints", step, model, optimizer, scheduler, state)
    bar.close()
    if progress is not None:
        progress.close()
    if not evaluate:
        runtime.publish(model, workdir / "best")
        state["best_step"] = cfg.max_steps
    return TrainResult(
        steps=cfg.max_steps - start,
        resumed_from=start,
        best_step=state["best_step"],
        best_score=state["best_score"],
        eval_loss=state.get("eval_loss"),
        losses=state["losses"],
        tokens=state["tokens"],
        seconds=state["seconds"],
        bf16=runtime.bf16,
        fed_tokens=state.get("fed_tokens", 0),
        peak_rss_mb=peak_rss_mb(),
        curve=state.get("curve", []),
    )


def frozen_prefix(model, cfg: TrainConfig) -> FrozenPrefix | None:
    """The cache of frozen-layer outputs when ``frozen_cache`` is on; it needs LoRA on some top layers."""
    if not cfg.frozen_cache:
        return None
    if cfg.method != "lora" or top_layers(model, cfg.lora_layers) is None:
        raise ValueError(
            "finetune.frozen_cache needs method lora and lora_layers below the model's layer count: "
            "only layers without an adapter can be computed once"
        )
    return FrozenPrefix(
        model, cfg.lora_layers, cfg.batch_size * 2, packed=cfg.pack_questions, progress="frozen layers (cached once)"
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _forget_after(progress: Path, step: int) -> None:
    """Steps logged after the checkpoint we resume from are about to be redone: drop them."""
    if not progress.exists():
        return
    from components.io import iter_json_lines, write_jsonl

    rows = [row for _, row in iter_json_lines(progress) if isinstance(row, dict) and row.get("step", 0) <= step]
    write_jsonl(progress, rows)


def _step(
    model,
    batch: dict,
    optimizer,
    scheduler,
    runtime: Runtime,
    trainable: list,
    score_weight: float,
    denominator: float | None = None,
    counted: bool = True,
) -> float:
    """One optimizer step; the loss of the whole batch (every process's share, when there are several).
    A lent row (``counted`` False) runs forward and backward with its loss zeroed."""
    with runtime.autocast():
        loss = judgment_loss(model, batch, score_weight, denominator)
        if not counted:
            loss = loss * 0.0
    runtime.backward(loss)
    runtime.clip(trainable, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return runtime.mean(float(loss.detach()))


def _evaluate(
    model,
    runtime: Runtime,
    eval_set: EvalSet | None,
    evaluate: Evaluate | None,
    step: int,
    state: dict,
    workdir: Path,
    log: Log | None,
) -> None:
    model.eval()
    metrics = {}
    if eval_set is not None:
        metrics["eval_loss"] = state["eval_loss"] = eval_set.loss(model, runtime)
    if evaluate:
        metrics.update(evaluate(runtime.unwrap(model)))
    metrics = runtime.agree(metrics)
    model.train()
    state.setdefault("curve", []).append({"step": step, "tokens": state["tokens"], **metrics})
    if log and runtime.is_main:
        log(step, metrics)
    score = metrics.get("val_agreement")
    if score is not None and (state["best_score"] is None or score > state["best_score"]):
        state["best_score"], state["best_step"] = score, step
        runtime.publish(model, workdir / "best")


class _Schedule:
    """Batches for any step, recomputed deterministically from (seed, epoch): a resumed run
    sees exactly the batches the killed run would have seen."""

    def __init__(self, pairs, tokenizer, cfg: TrainConfig, prefix: FrozenPrefix | None = None):
        self.pairs, self.tokenizer, self.cfg, self.prefix = pairs, tokenizer, cfg, prefix
        self.units = len(training_units(pairs, cfg.output_format))
        self._epoch, self._batches = -1, []

    def epoch(self, epoch: int) -> list[list[dict]]:
        if epoch != self._epoch:
            cfg = self.cfg
            score_line = cfg.target == "score_line"
            examples = epoch_examples(self.pairs, epoch, cfg.template, cfg.output_format, cfg.augment, score_line)
            encoded = [encode(e, self.tokenizer, cfg.max_tokens) for e in examples]
            if self.prefix is not None:
                self.prefix.attach(encoded)
            rng, pairs_of = random.Random(f"{cfg.seed}:{epoch}"), twins(cfg.output_format, cfg.augment)
            if cfg.pack_questions:  # a question's rows side by side, so that they share its start
                order = question_batches([e["group"] for e in encoded], cfg.batch_size, rng, pairs_of)
            else:  # rows of similar length side by side, so that they pad little
                order = length_grouped_batches(
                    [len(e["input_ids"]) for e in encoded], cfg.batch_size, rng, twins=pairs_of
                )
            self._epoch, self._batches = epoch, [[encoded[i] for i in batch] for batch in order]
        return self._batches

    def per_epoch(self) -> int:
        per_batch = max(1, self.cfg.batch_size // twins(self.cfg.output_format, self.cfg.augment))
        return -(-self.units // per_batch)


def _batches(pairs, tokenizer, cfg: TrainConfig, prefix: FrozenPrefix | None = None) -> _Schedule:
    if not pairs:
        raise ValueError("no training pairs: the train split is empty")
    return _Schedule(pairs, tokenizer, cfg, prefix)


def next_batch(schedule: _Schedule, step: int) -> list[dict]:
    per_epoch = schedule.per_epoch()
    epoch, index = divmod(step - 1, per_epoch)
    return schedule.epoch(epoch)[index]


def _warmup_then_linear(warmup: int, total: int):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor
