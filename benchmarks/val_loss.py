"""Seconds of one val-loss pass: the whole model over padded val rows against a step's forward on the cache.

Baseline: the val loss as it was computed until 2026-12-07 -- the whole model (all its layers, the adapter
unmerged) over the val split in length-sorted, right-padded batches of ``--batch`` rows. Arm: what the trainer
does now with the frozen-prefix cache and packing (components/training/evaluation.py) -- the top ``--layers``
layers on the bottom layers' cached outputs, the val rows packed by question. Both under bf16 autocast where the
CPU has native bf16, as the trainer runs them, and both on the pointwise score-line target.

The arm's first pass fills the cache for the val rows (the trainer's first evaluation does the same) and is
reported apart; then ``--rounds`` rounds alternate the two, so a machine whose speed drifts shows it, with the
ratio against the baseline measured in the same round. The two losses are printed too: they agree to bf16
rounding. See benchmarks/README.md.

    .venv/bin/python benchmarks/val_loss.py          # the default: top 12 layers, 120 val pairs, 2 rounds
"""

from __future__ import annotations

import argparse
import time

from common import load_model, model_arguments, split_pairs  # benchmarks/common.py, beside this script

from components.subsets import spread
from components.training.evaluation import EvalSet
from components.training.frozen import FrozenPrefix
from components.training.runtime import Local
from components.training.trainer import TrainConfig, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    model_arguments(parser)
    parser.add_argument("--batch", type=int, default=8, help="val rows per padded batch (finetune.batch_size)")
    parser.add_argument("--items", type=int, default=120, help="val pairs (finetune.eval_items)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    pairs = spread(split_pairs("val"), args.items)
    model, tokenizer = load_model(args.model)
    model = prepare(model, TrainConfig(lora_layers=args.layers, lora_dropout=0.0))
    model.eval()
    runtime = Local(True)
    shape = ("pointwise", "pointwise", 1024, args.batch)
    whole = EvalSet(pairs, tokenizer, *shape, score_line=True)
    prefix = FrozenPrefix(model, args.layers, packed=True)
    cached = EvalSet(pairs, tokenizer, *shape, score_line=True, prefix=prefix, packed=True)

    def timed(eval_set: EvalSet) -> tuple[float, float]:
        began = time.perf_counter()
        loss = eval_set.loss(model, runtime)
        return time.perf_counter() - began, loss

    seconds, loss = timed(cached)
    print(
        f"{len(pairs)} val pairs, {len(whole.rows)} rows; top {args.layers} layers; bf16 autocast {runtime.bf16}; "
        f"first cached pass, filling the cache: {seconds:.1f} s (loss {loss:.4f})"
    )
    print(f"{'round':>5}  {'arm':<32} {'seconds':>8} {'loss':>8} {'x whole':>8}")
    for round_ in range(1, args.rounds + 1):
        baseline, base_loss = timed(whole)
        seconds, loss = timed(cached)
        for arm, took, found in (
            ("whole model, padded (baseline)", baseline, base_loss),
            ("top layers on the cache, packed", seconds, loss),
        ):
            print(f"{round_:>5}  {arm:<32} {took:>8.1f} {found:>8.4f} {baseline / took:>7.2f}x")


if __name__ == "__main__":
    main()
