"""Training examples built per batch from immutable pairs.

Swap augmentation and reference drop are decided by a RNG seeded from (seed, epoch, index), so
they are reproducible and never write back into the stored records -- JudgeLM mutates its
records in place, which lets answer order and score order drift apart across epochs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from components.judges.parsers import format_target
from components.judges.templates import get_template
from components.schemas import Pair


@dataclass(frozen=True)
class Augment:
    swap_prob: float = 0.5
    reference_drop: float = 0.3
    seed: int = 0


@dataclass(frozen=True)
class Example:
    messages: list[dict]
    target: str
    swapped: bool
    with_reference: bool


def view(pair: Pair, index: int, epoch: int, augment: Augment) -> tuple[Pair, bool, bool]:
    """The pair as this epoch shows it: (pair, swapped, with_reference)."""
    rng = random.Random(f"{augment.seed}:{epoch}:{index}")
    swapped = rng.random() < augment.swap_prob
    with_reference = bool(pair.reference) and rng.random() >= augment.reference_drop
    return (pair.swapped() if swapped else pair), swapped, with_reference


def make_example(pair: Pair, template: str, output_format: str, with_reference: bool, swapped: bool = False) -> Example:
    if pair.score1 is None or pair.score2 is None or pair.verdict is None:
        raise ValueError(f"pair {pair.id}: a training pair needs teacher scores and a verdict")
    messages = get_template(template).render(pair, with_reference)
    target = format_target(output_format, pair.score1, pair.score2, pair.verdict, pair.reason)
    return Example(messages=messages, target=target, swapped=swapped, with_reference=with_reference)


def epoch_examples(pairs: list[Pair], epoch: int, template: str, output_format: str, augment: Augment) -> list[Example]:
    examples = []
    for index, pair in enumerate(pairs):
        shown, swapped, with_reference = view(pair, index, epoch, augment)
        examples.append(make_example(shown, template, output_format, with_reference, swapped))
    return examples
