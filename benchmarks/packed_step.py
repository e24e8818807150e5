"""Seconds per epoch of top-N LoRA training on the frozen-prefix cache: padded batches against packed ones.

Baseline: the trainer's padded path (length-grouped batches of ``--batch`` answers, right padding, bf16
weight copies under bf16 autocast where the CPU has native bf16). Arm: ``finetune.pack_questions`` --
batches of the same size that keep a question's answers together, packed into one row in which each
question's shared start (chat header, question, reference) is fed once (components/training/packing.py).
Both arms take the same number of steps per epoch and train the same examples; what differs is the
tokens a step feeds the top layers. A third arm, packed without LoRA dropout (``finetune.lora_dropout: 0``),
shows what the dropout masks cost a packed step: on a CPU they are drawn element by element, one per
adapted linear.

Per arm: the tokens one epoch feeds (counted over the whole epoch, padding included), and the seconds of
``--steps`` timed steps, alternated for ``--rounds`` rounds so that a machine whose speed drifts shows it;
seconds per epoch extrapolate the measured step time over the epoch's steps. Ratios are against the
baseline measured in the same round. See benchmarks/README.md.

    .venv/bin/python benchmarks/packed_step.py                  # top 12 layers, 12 steps, 2 rounds
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
from components.training.packing import pack
from components.training.runtime import Local
from components.training.trainer import TrainConfig, _batches, _step, frozen_prefix, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    model_arguments(parser)
    parser.add_argument("--batch", type=int, default=8, help="answers per step (finetune.batch_size)")
    parser.add_argument("--steps", type=int, default=12, help="timed steps per arm and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    pairs = split_pairs("train")
    model, tokenizer = load_model(args.model)

    def config(packed: bool) -> TrainConfig:
        return TrainConfig(
            template="pointwise",
            output_format="pointwise",
            target="score_line",
            lora_layers=args.layers,
            frozen_cache=True,
            pack_questions=packed,
            max_steps=10**6,
            batch_size=args.batch,
            augment=Augment(0.0, 0.0, 7),
        )

    model = prepare(model, config(False))
    runtime = Local(True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    model.train()
    started = time.perf_counter()
    prefix = frozen_prefix(model, config(False))
    arms = {}
    dropouts = [module for name, module in model.named_modules() if name.endswith("lora_dropout")]
    for name, packed in (("padded", False), ("packed", True), ("packed, no dropout", True)):
        batches = _batches(pairs, tokenizer, config(packed), prefix).epoch(0)
        shape = pack if packed else collate
        fed = sum(int(shape(rows, tokenizer.pad_token_id)["input_ids"].numel()) for rows in batches)
        arms[name] = (batches, shape, fed)
    print(f"frozen cache for {len(pairs)} train pairs: {time.perf_counter() - started:.0f} s (untimed)", flush=True)
    copies = Bf16Weights(model, args.layers) if runtime.bf16 else None

    def seconds_per_step(name: str, first: int, steps: int) -> float:
        batches, shape, _ = arms[name]
        for holder in dropouts:
            holder["default"] = torch.nn.Identity() if "no dropout" in name else torch.nn.Dropout(0.05)
        began = time.perf_counter()
        for rows in batches[first : first + steps]:
            with top_only(model, args.layers), copies.swapped() if copies else nullcontext():
                _step(model, shape(rows, tokenizer.pad_token_id), optimizer, scheduler, runtime, trainable, 1.0)
        return (time.perf_counter() - began) / steps

    for name in arms:
        seconds_per_step(name, 0, 2)  # warm-up: first-call allocations stay out of the rates
    steps = len(arms["padded"][0])
    print(
        f"top {args.layers} layers, {steps} steps of {args.batch} answers an epoch, bf16 autocast {runtime.bf16}, "
        f"threads {torch.get_num_threads()}"
    )
    for name, (_, _, fed) in arms.items():
        print(f"  {name}: {fed:,} tokens fed per epoch ({fed / arms['padded'][2]:.2f}x padded)")
    print(f"{'round':>5}  {'arm':<18} {'s/step':>7} {'s/epoch':>8} {'x padded':>9}")
    for round_ in range(1, args.rounds + 1):
        baseline = None
        for name in arms:
            per_step = seconds_per_step(name, 2 + (round_ - 1) * args.steps, args.steps)
            baseline = baseline or per_step
            print(
                f"{round_:>5}  {name:<18} {per_step:>7.2f} {per_step * steps:>8.0f} {baseline / per_step:>8.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
