"""Training tokens/s of our SFT loop against a naive HF Trainer baseline, on the same data in the same run.

ours      components.training.trainer: LoRA, bf16 autocast when the CPU has native bf16 ("auto"),
          dynamic padding with length-grouped batches, loss on the judgment only.
tuned     HF Trainer as a user would set it up for SFT: dynamic padding (a padding collator),
          length-grouped batches (train_sampling_strategy="group_by_length"), loss on the judgment
          only (completion-only labels), bf16 autocast when ours uses it. **The headline ratio is ours / tuned.**
baseline  HF Trainer with its defaults: fp32, every row padded to one max length (--baseline-max-length,
          default the longest example in the set), loss on all tokens (labels = input_ids).

Both arms train the same model with the same LoRA config (r=16, alpha 32, dropout 0.05, all linear
layers) for the same number of optimizer steps at the same batch size, on the same encoded examples
(prompt + target token ids, epoch-0 augmentation), with the same torch thread count. Each arm runs in
its own subprocess, so its peak RSS is its own (model loading included, the same in both).

Training tokens/s, for both arms: non-padding tokens in the batches the optimizer stepped on, divided
by the wall seconds of the training loop (model loading and setup excluded; the first, slower step
included). Padding is computed on but not counted -- that is the point of comparing.

    .venv/bin/python benchmarks/finetune_throughput.py --steps 10 --batch-size 8
    .venv/bin/python benchmarks/finetune_throughput.py --model /tmp/tiny --steps 2   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from common import REPO, model_folder  # benchmarks/common.py, beside this script

sys.path.insert(0, str(REPO))

from components.io import read_jsonl, write_jsonl  # noqa: E402
from components.schemas import Pair  # noqa: E402

ARMS = ("ours", "tuned", "baseline")
TRAIN_SPLIT = REPO / "data" / "generated" / "train.jsonl"
FALLBACK_FAMILIES = ("arithmetic", "capitals", "units", "word_count", "json_format", "writing")
FALLBACK_MATCHES = (("correct", "wrong"), ("verbose", "partial"), ("correct", "off_format"), ("truncated", "refusal"))


def built_pairs(n: int, seed: int = 0) -> list[Pair]:
    """``n`` oracle-labelled pairs over several families and answer variants (mixed lengths, as in a
    real train split), for when data/generated/train.jsonl does not exist yet."""
    from components.data.answers import variant_answers
    from components.data.families import get_family
    from components.teachers.oracle import OracleTeacher
    from components.teachers.pairing import make_pair

    teacher, pairs = OracleTeacher(), []
    variants = sorted({v for match in FALLBACK_MATCHES for v in match})
    per_family = -(-n // (len(FALLBACK_FAMILIES) * len(FALLBACK_MATCHES)))
    for name in FALLBACK_FAMILIES:
        questions = get_family(name).questions(random.Random(f"{seed}:{name}"), per_family)
        answers = {a.id: a for a in variant_answers(questions, variants, seed)}
        for question in questions:
            for first, second in FALLBACK_MATCHES:
                a, b = answers[f"{question.id}:{first}"], answers[f"{question.id}:{second}"]
                label = teacher.label(question, a.text, b.text)
                pairs.append(make_pair(f"{question.id}:{first}-{second}", question, a, b, label, teacher.name))
    random.Random(seed).shuffle(pairs)
    return pairs[:n]


def encoded_rows(pairs_file: Path, model: Path, cfg) -> list[dict]:
    """The examples both arms train on: epoch 0 of our augmentation, encoded as our loop encodes them."""
    from transformers import AutoTokenizer

    from components.training.collate import encode
    from components.training.examples import epoch_examples

    tokenizer = AutoTokenizer.from_pretrained(model)
    examples = epoch_examples(read_jsonl(pairs_file, Pair), 0, cfg.template, cfg.output_format, cfg.augment)
    return [encode(e, tokenizer, cfg.max_tokens) for e in examples]


def train_config(steps: int, batch_size: int):
    from components.training.trainer import TrainConfig

    return TrainConfig(max_steps=steps, batch_size=batch_size, checkpoint_every=steps + 1, eval_every=steps + 1)


def arm_ours(model_dir: Path, pairs_file: Path, steps: int, batch_size: int) -> dict:
    from components.models import load_causal_lm
    from components.training.trainer import prepare, train

    cfg = train_config(steps, batch_size)
    model, tokenizer = load_causal_lm(model_dir)
    model = prepare(model, cfg)
    with tempfile.TemporaryDirectory(prefix="judgeops-ft-bench-") as workdir:
        result = train(model, tokenizer, read_jsonl(pairs_file, Pair), cfg, Path(workdir))
    precision = "bf16 autocast" if result.bf16 else "fp32"
    return {
        "tokens": result.tokens,
        "seconds": result.seconds,
        "precision": precision,
        "padding": "dynamic, length-grouped",
        "loss_on": "judgment tokens",
    }


def timed_trainer(model, dataset, batch_size: int, steps: int, **options) -> tuple[int, float]:
    """Train with HF Trainer for ``steps``: (non-padding tokens in the stepped batches, wall seconds of the
    training loop). ``options`` are TrainingArguments beyond the defaults both Trainer arms share, plus
    ``data_collator``."""
    from transformers import Trainer, TrainerCallback, TrainingArguments

    collator = options.pop("data_collator", None)
    counted, clock = {"tokens": 0}, {}

    class CountingTrainer(Trainer):
        def training_step(self, model, inputs, num_items_in_batch=None):
            counted["tokens"] += int(inputs["attention_mask"].sum())
            return super().training_step(model, inputs, num_items_in_batch)

    class Clock(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            clock["start"] = time.perf_counter()

        def on_train_end(self, args, state, control, **kwargs):
            clock["end"] = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="judgeops-ft-bench-") as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=batch_size,
            max_steps=steps,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            use_cpu=True,
            seed=0,
            **options,
        )
        trainer = CountingTrainer(
            model=model, args=args, train_dataset=dataset, data_collator=collator, callbacks=[Clock()]
        )
        trainer.train()
    return counted["tokens"], clock["end"] - clock["start"]


def arm_baseline(model_dir: Path, pairs_file: Path, steps: int, batch_size: int, max_length: str) -> dict:
    import torch

    from components.models import load_causal_lm
    from components.training.hardware import set_threads
    from components.training.trainer import prepare

    set_threads()  # the same thread count as ours, so threads are not what is compared
    cfg = train_config(steps, batch_size)
    model, tokenizer = load_causal_lm(model_dir)
    model = prepare(model, cfg)
    rows = encoded_rows(pairs_file, model_dir, cfg)
    width = max(len(r["input_ids"]) for r in rows) if max_length == "longest" else int(max_length)
    dataset = []
    for row in rows:
        ids = row["input_ids"][:width]
        padded = ids + [tokenizer.pad_token_id] * (width - len(ids))
        mask = [1] * len(ids) + [0] * (width - len(ids))
        dataset.append(
            {"input_ids": torch.tensor(padded), "attention_mask": torch.tensor(mask), "labels": torch.tensor(padded)}
        )
    tokens, seconds = timed_trainer(model, dataset, batch_size, steps)
    return {
        "tokens": tokens,
        "seconds": seconds,
        "precision": "fp32",
        "padding": f"max_length={width}",
        "loss_on": "all tokens (labels = input_ids)",
    }


def arm_tuned(model_dir: Path, pairs_file: Path, steps: int, batch_size: int) -> dict:
    """HF Trainer with the choices a user would make for SFT, so ours is compared with a fair opponent."""
    import torch

    from components.models import load_causal_lm
    from components.training.hardware import set_threads, use_bf16
    from components.training.trainer import prepare

    set_threads()
    cfg = train_config(steps, batch_size)
    model, tokenizer = load_causal_lm(model_dir)
    model = prepare(model, cfg)
    rows = [{"input_ids": r["input_ids"], "labels": r["labels"]} for r in encoded_rows(pairs_file, model_dir, cfg)]
    bf16 = use_bf16(cfg.bf16)

    def pad(batch: list[dict]) -> dict:
        """Each batch padded to its own longest row; padding neither attended to nor in the loss."""
        width = max(len(r["input_ids"]) for r in batch)

        def filled(values: list[int], fill: int) -> list[int]:
            return values + [fill] * (width - len(values))

        return {
            "input_ids": torch.tensor([filled(r["input_ids"], tokenizer.pad_token_id) for r in batch]),
            "attention_mask": torch.tensor([filled([1] * len(r["input_ids"]), 0) for r in batch]),
            "labels": torch.tensor([filled(r["labels"], -100) for r in batch]),
        }

    tokens, seconds = timed_trainer(
        model,
        rows,
        batch_size,
        steps,
        train_sampling_strategy="group_by_length",
        bf16=bf16,
        remove_unused_columns=False,
        data_collator=pad,
    )
    return {
        "tokens": tokens,
        "seconds": seconds,
        "precision": "bf16 autocast" if bf16 else "fp32",
        "padding": "dynamic, length-grouped",
        "loss_on": "judgment tokens",
    }


def run_arm(arm: str, args: argparse.Namespace, model_dir: Path, pairs_file: Path) -> dict:
    """One arm in a fresh interpreter, so its peak RSS is its own."""
    command = [
        sys.executable,
        __file__,
        "--arm",
        arm,
        "--model",
        str(model_dir),
        "--pairs-file",
        str(pairs_file),
        "--steps",
        str(args.steps),
        "--batch-size",
        str(args.batch_size),
        "--baseline-max-length",
        args.baseline_max_length,
    ]
    print(f"running {arm} ...", flush=True)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{arm} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pairs_source(stack: ExitStack, given: str | None, n: int) -> tuple[Path, str]:
    if given:
        return Path(given), given
    if TRAIN_SPLIT.exists():
        return TRAIN_SPLIT, str(TRAIN_SPLIT.relative_to(REPO))
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="judgeops-bench-")))
    write_jsonl(folder / "pairs.jsonl", built_pairs(n))
    return folder / "pairs.jsonl", f"built: {n} oracle pairs over {', '.join(FALLBACK_FAMILIES)}"


def table(results: dict[str, dict]) -> str:
    lines = [
        f"{'arm':<9} {'precision':<14} {'padding':<24} {'loss on':<32} {'tokens':>7} {'seconds':>8} "
        f"{'tokens/s':>9} {'peak RSS MB':>11}"
    ]
    for arm, r in results.items():
        lines.append(
            f"{arm:<9} {r['precision']:<14} {r['padding']:<24} {r['loss_on']:<32} {r['tokens']:>7} "
            f"{r['seconds']:>8.2f} {r['tokens_per_s']:>9.1f} {r['peak_rss_mb']:>11.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a local model folder (default: data/base_model, else SmolLM2)")
    parser.add_argument("--pairs", help="a pairs JSONL (default: data/generated/train.jsonl, else built pairs)")
    parser.add_argument("--built-pairs", type=int, default=256, help="how many pairs to build when there is no file")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--baseline-max-length", default="longest", help="'longest' (in the set) or a number, e.g. 512")
    parser.add_argument("--out", help="also write the results as JSON here")
    parser.add_argument("--arm", choices=ARMS, help=argparse.SUPPRESS)
    parser.add_argument("--pairs-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.arm:
        from components.training.trainer import peak_rss_mb

        model_dir, pairs_file = Path(args.model), Path(args.pairs_file)
        if args.arm == "ours":
            result = arm_ours(model_dir, pairs_file, args.steps, args.batch_size)
        elif args.arm == "tuned":
            result = arm_tuned(model_dir, pairs_file, args.steps, args.batch_size)
        else:
            result = arm_baseline(model_dir, pairs_file, args.steps, args.batch_size, args.baseline_max_length)
        result["tokens_per_s"] = result["tokens"] / result["seconds"]
        print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))
        return

    with ExitStack() as stack:
        model_dir = model_folder(stack, args.model)
        pairs_file, source = pairs_source(stack, args.pairs, args.built_pairs)
        print(
            f"model {model_dir}; pairs from {source}; {args.steps} steps x batch {args.batch_size}; "
            "LoRA r=16 alpha=32 dropout=0.05 all-linear",
            flush=True,
        )
        results = {arm: run_arm(arm, args, model_dir, pairs_file) for arm in ARMS}
    print("training tokens/s = non-padding tokens in the stepped batches / wall seconds of the training loop")
    print(table(results))
    ratio = results["ours"]["tokens_per_s"] / results["tuned"]["tokens_per_s"]
    naive = results["ours"]["tokens_per_s"] / results["baseline"]["tokens_per_s"]
    print(f"ratio ours / tuned: {ratio:.2f}x (the headline); ours / baseline: {naive:.2f}x")
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "results": results,
                    "ratio": ratio,
                    "ratio_vs_baseline": naive,
                    "steps": args.steps,
                    "batch_size": args.batch_size,
                    "pairs": source,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
