"""Train a question's shared prompt once: one packed row per batch, a block mask, positions that restart.

A pointwise example is mostly the start it shares with every other answer to its question: the chat
header, the question and the reference come before the answer, and they are the same tokens for each
of the question's five or six answers. Under a causal mask those tokens' states do not depend on what
follows them, so computing them once per question and letting each answer attend to them gives every
answer exactly the states it would have had alone.

``pack`` lays a batch out as one row with no padding:

    [question A's shared start][answer 1's rest][answer 2's rest][question B's shared start][answer 3's rest]

Each rest attends to its own question's start and, causally, to itself; its position ids continue from
the start's length, as if it followed the start alone. The shared start of a group of rows is their
longest common token prefix, stopped before the first target token, so it needs no knowledge of the
template: rows with a hidden reference (reference drop) simply share less. A row's loss, its gradients
and its logits are the unpacked row's (tests/model/test_packing.py checks them against ``collate``),
and the language-model head runs only on the columns that predict a target token.

``question_batches`` keeps a question's answers next to each other, so most of a batch's rows share
a start with another row, and puts a question's correct and wrong answers side by side in one step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from components.training.collate import IGNORE


def shared_start(rows: list[dict]) -> int:
    """Tokens at the start of every row of ``rows``, up to (never into) the earliest target token."""
    limit = min(row["labels"].count(IGNORE) for row in rows)  # each row: its prompt, then its target
    first = rows[0]["input_ids"]
    for length in range(limit):
        token = first[length]
        if any(row["input_ids"][length] != token for row in rows[1:]):
            return length
    return limit


def pack(encoded: list[dict], pad_id: int) -> dict:
    """One packed row for the batch ``encoded`` (rows from ``collate.encode``, each with a ``group``,
    e.g. its question id; rows with ``hidden`` states give a packed ``hidden`` too). Returns what
    ``collate`` returns for a one-row batch plus ``position_ids`` and a 4D boolean ``attention_mask``
    ([1, 1, L, L], True where a column may be attended to)."""
    pieces = layout(encoded)
    ids, labels, first_line, positions, hidden = [], [], [], [], []
    for piece in pieces:
        row, start, end = encoded[piece.row], piece.start, piece.end
        ids += row["input_ids"][start:end]
        labels += row["labels"][start:end]  # a shared start ends before any target: all IGNORE
        target_begins = row["labels"].count(IGNORE)
        first_line += [target_begins <= t < target_begins + row["first_line"] for t in range(start, end)]
        positions += list(range(start, end))
        if "hidden" in row:
            hidden.append(row["hidden"][start:end])
    batch = {
        "input_ids": torch.tensor([ids], dtype=torch.long),
        "labels": torch.tensor([labels], dtype=torch.long),
        "attention_mask": block_mask(pieces)[None, None],
        "position_ids": torch.tensor([positions], dtype=torch.long),
        "first_line": torch.tensor([first_line], dtype=torch.bool),
    }
    if hidden:
        batch["hidden"] = torch.cat(hidden)[None]
    return batch


@dataclass(frozen=True)
class Piece:
    """Tokens ``start:end`` of row ``row``, in block ``block`` (one per group); ``shared``: the block's
    shared start, which every other piece of the block attends to."""

    row: int
    start: int
    end: int
    block: int
    shared: bool


def layout(encoded: list[dict]) -> list[Piece]:
    """The packed row's pieces in order: per group, its shared start (taken from its first row), then each
    row's rest. A group of one row is one piece."""
    pieces = []
    for block, members in enumerate(_groups(encoded).values()):
        start = shared_start([encoded[i] for i in members]) if len(members) > 1 else 0
        if start:
            pieces.append(Piece(members[0], 0, start, block, True))
        pieces += [Piece(i, start, len(encoded[i]["input_ids"]), block, False) for i in members]
    return pieces


def block_mask(pieces: list[Piece]) -> torch.Tensor:
    """[L, L] booleans: a token sees, causally, its own piece and its block's shared start."""
    block = torch.tensor([p.block for p in pieces for _ in range(p.end - p.start)])
    part = torch.tensor([-1 if p.shared else n for n, p in enumerate(pieces) for _ in range(p.end - p.start)])
    order = torch.arange(len(block))
    return (
        (block[:, None] == block[None, :])
        & (order[None, :] <= order[:, None])
        & ((part[None, :] == -1) | (part[None, :] == part[:, None]))
    )


def group_runs(encoded: list[dict], budget: int) -> list[list[int]]:
    """Row indices in runs of whole groups (questions) of about ``budget`` unpacked tokens each, a group never
    split (one alone may exceed it): the packed rows to run when a row of every group would be too long, since
    attention in a packed row costs its whole length squared, masked or not."""
    runs, run, size = [], [], 0
    for members in _groups(encoded).values():
        tokens = sum(len(encoded[i]["input_ids"]) for i in members)
        if run and size + tokens > budget:
            runs.append(run)
            run, size = [], 0
        run += members
        size += tokens
    return runs + [run] if run else runs


def _groups(encoded: list[dict]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(encoded):
        groups.setdefault(row.get("group", f"row {i}"), []).append(i)
    return groups


def question_batches(groups: list[str], batch_size: int, rng: random.Random, twins: int = 1) -> list[list[int]]:
    """Batches of ``batch_size`` rows in which a question's rows are neighbours: the questions shuffled,
    each question's units (``twins`` consecutive rows) shuffled, then cut into batches in that order.
    ``groups`` names each row's question."""
    questions: dict[str, list[list[int]]] = {}
    for start in range(0, len(groups), twins):
        questions.setdefault(groups[start], []).append(list(range(start, min(start + twins, len(groups)))))
    order = list(questions.values())
    rng.shuffle(order)
    units = []
    for question in order:
        rng.shuffle(question)
        units += question
    per_batch = max(1, batch_size // twins)
    return [[row for unit in units[i : i + per_batch] for row in unit] for i in range(0, len(units), per_batch)]
