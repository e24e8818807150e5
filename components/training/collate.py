"""Tokenisation with the loss on the judgment only, dynamic padding, and length-grouped batches."""

from __future__ import annotations

import random

import torch

from components.textgen import chat_prompt
from components.training.examples import Example

IGNORE = -100


def encode(example: Example, tokenizer, max_tokens: int = 1024) -> dict:
    """input_ids and labels for one example; labels are IGNORE on the prompt, so the loss is
    on the judgment tokens (and the end-of-turn token that teaches the judge to stop).
    ``first_line`` counts the target tokens up to and including the first newline: the score line
    (or verdict) that ``score_loss_weight`` can weigh above the reason."""
    prompt = chat_prompt(tokenizer, example.messages)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(example.target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    prompt_ids = (
        prompt_ids[-(max_tokens - len(target_ids)) :] if len(prompt_ids) + len(target_ids) > max_tokens else prompt_ids
    )
    return {
        "input_ids": prompt_ids + target_ids,
        "labels": [IGNORE] * len(prompt_ids) + target_ids,
        "first_line": _first_line_tokens(tokenizer, target_ids),
        "group": example.group,
    }


def _first_line_tokens(tokenizer, target_ids: list[int]) -> int:
    for count in range(1, len(target_ids) + 1):
        if "\n" in tokenizer.decode(target_ids[:count]):
            return count
    return len(target_ids)


def collate(encoded: list[dict], pad_id: int) -> dict:
    """Pad to the longest row of this batch only (right padding; masked out of the loss).
    ``first_line`` marks each row's score-line target tokens. Rows that carry cached ``hidden`` states
    (components.training.frozen) give a padded ``hidden`` tensor too."""
    width = max(len(row["input_ids"]) for row in encoded)
    ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    labels = torch.full((len(encoded), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    first_line = torch.zeros((len(encoded), width), dtype=torch.bool)
    for i, row in enumerate(encoded):
        n = len(row["input_ids"])
        ids[i, :n] = torch.tensor(row["input_ids"])
        labels[i, :n] = torch.tensor(row["labels"])
        mask[i, :n] = 1
        start = row["labels"].count(IGNORE)  # the prompt, then the target
        first_line[i, start : start + row["first_line"]] = True
    batch = {"input_ids": ids, "labels": labels, "attention_mask": mask, "first_line": first_line}
    if "hidden" in encoded[0]:
        hidden = torch.zeros((len(encoded), width, encoded[0]["hidden"].shape[-1]), dtype=encoded[0]["hidden"].dtype)
        for i, row in enumerate(encoded):
            hidden[i, : len(row["input_ids"])] = row["hidden"]
        batch["hidden"] = hidden
    return batch


def length_grouped_batches(
    lengths: list[int], batch_size: int, rng: random.Random, bucket: int = 8, twins: int = 1
) -> list[list[int]]:
    """Shuffle, sort within buckets of ``bucket`` batches by length, then shuffle the batches:
    rows of a batch have similar lengths (little padding) but batch order stays random. Each run of
    ``twins`` consecutive rows (one pair in both orders) moves as one unit and shares a batch, so a
    batch holds ``batch_size // twins`` units (at least one)."""
    units = [list(range(start, min(start + twins, len(lengths)))) for start in range(0, len(lengths), twins)]
    per_batch = max(1, batch_size // twins)
    rng.shuffle(units)
    span = per_batch * bucket
    batches = []
    for start in range(0, len(units), span):
        chunk = sorted(units[start : start + span], key=lambda unit: max(lengths[i] for i in unit))
        for i in range(0, len(chunk), per_batch):
            batches.append([row for unit in chunk[i : i + per_batch] for row in unit])
    rng.shuffle(batches)
    return batches


def tokens_in(rows: list[dict]) -> int:
    """Tokens of these encoded rows, padding not counted: what "training tokens" means in every
    tokens/s this project reports (benchmarks/finetune_throughput.py too)."""
    return sum(len(row["input_ids"]) for row in rows)
