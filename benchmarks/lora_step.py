"""Training tokens per second of one top-N LoRA step on the frozen-prefix cache, four ways, in one process.

The default recipe's step (components/training/trainer.py: pointwise score-line targets, batch 8, bf16
autocast on a CPU with native bf16, peft LoRA with dropout 0.05 on every linear of the top N layers) is
the baseline; the other arms change one thing each on the same model, batches and threads:

- no dropout: peft's ``lora_dropout`` replaced by the identity (``finetune.lora_dropout: 0``). On a CPU the
  dropout masks are drawn element by element (``aten::bernoulli_``), one per adapted linear, per step;
- bf16 weights: the top layers' frozen matrices swapped for bf16 copies during each step, as the trainer
  does (``Bf16Weights``), so autocast has nothing to cast;
- both.

The frozen cache is computed once (untimed); the arms then alternate for ``--rounds`` rounds of ``--steps``
steps on the same batches, so a machine whose speed drifts shows it as a spread between rounds. Ratios
are against the baseline measured in the same round. See benchmarks/README.md.

    .venv/bin/python benchmarks/lora_step.py                  # top 12 layers, 10 steps, 2 rounds
    .venv/bin/python benchmarks/lora_step.py --layers 4
"""

from __future__ import annotations

import argparse
import time
from contextlib import nullcontext

import torch
from common import load_model, model_arguments, split_pairs  # benchmarks/common.py, beside this script

from components.training.collate import collate
from components.training.examples import Augment
from components.training.frozen import Bf16Weights, top_only
from components.training.runtime import Local
from components.training.trainer import TrainConfig, _batches, _step, frozen_prefix, next_batch, prepare

ARMS = (("baseline", True, False), ("no dropout", False, False), ("bf16 weights", True, True), ("both", False, True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    model_arguments(parser)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per arm and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    pairs = split_pairs("train")
    cfg = TrainConfig(
        template="pointwise",
        output_format="pointwise",
        target="score_line",
        lora_layers=args.layers,
        frozen_cache=True,
        max_steps=10**6,
        batch_size=8,
        augment=Augment(0.0, 0.0, 7),
    )
    model, tokenizer = load_model(args.model)
    model = prepare(model, cfg)
    runtime = Local(True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    model.train()
    started = time.perf_counter()
    schedule = _batches(pairs, tokenizer, cfg, frozen_prefix(model, cfg))
    next_batch(schedule, 1)
    print(f"frozen cache for {len(pairs)} train pairs: {time.perf_counter() - started:.0f} s (untimed)", flush=True)
    dropouts = [module for name, module in model.named_modules() if name.endswith("lora_dropout")]
    copies = Bf16Weights(model, cfg.lora_layers)

    def rate(first: int, steps: int, dropout: bool = True, bf16_weights: bool = False) -> float:
        for holder in dropouts:
            holder["default"] = torch.nn.Dropout(cfg.lora_dropout) if dropout else torch.nn.Identity()
        tokens, began = 0, time.perf_counter()
        for step in range(first, first + steps):
            rows = next_batch(schedule, step)
            tokens += sum(len(row["input_ids"]) for row in rows)
            with top_only(model, cfg.lora_layers), copies.swapped() if bf16_weights else nullcontext():
                _step(model, collate(rows, tokenizer.pad_token_id), optimizer, scheduler, runtime, trainable, 1.0)
        return tokens / (time.perf_counter() - began)

    rate(2, 3)  # warm-up: first-call allocations stay out of the rates
    print(f"top {args.layers} layers, batch 8, bf16 autocast {runtime.bf16}, threads {torch.get_num_threads()}")
    print(f"{'round':>5}  {'arm':<13} {'tokens/s':>9} {'x baseline':>10}")
    for round_ in range(1, args.rounds + 1):
        baseline = None
        for name, dropout, bf16_weights in ARMS:
            measured = rate(10, args.steps, dropout, bf16_weights)
            baseline = baseline or measured
            print(f"{round_:>5}  {name:<13} {measured:>9.0f} {measured / baseline:>9.2f}x", flush=True)


if __name__ == "__main__":
    main()
