"""Training examples built per batch from immutable pairs.

Swap augmentation and reference drop are decided by a RNG seeded from (seed, epoch, index), so
they are reproducible and never write back into the stored records -- JudgeLM mutates its
records in place, which lets answer order and score order drift apart across epochs.

Output formats: ``judgelm`` ("s1 s2\\nreason") and ``pandalm`` ("1|2|Tie\\n### Reason: ...") make one
example per pair. ``pointwise`` makes one per distinct answer, each graded alone with the target "s"
(the score line only): the teacher's reason compares both answers ("Assistant 1 is right; Assistant
2 is wrong ... Assistant 1 is better"), and a judge shown one answer would learn to talk about an
answer it never saw. Swap augmentation has nothing to do for pointwise examples (every answer is
used); reference drop decides per answer.

``both_orders`` shows every pair in both orders in the same epoch, as twins that the batcher keeps
in one batch (``twins``): the judge sees the same content with the answers traded and the scores
traded with them, the cheapest signal that the verdict follows the content, not the position.
Reference drop decides once per pair, so both twins are rendered alike. ``score_line`` targets
stop at the first line: a judge read in logprob or score-first mode never uses its reason, and on a
CPU every target token is training time (the reason is ~30 of a judgment's ~35 target tokens).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from components.judges.parsers import format_target
from components.judges.templates import get_template
from components.schemas import Pair, verdict_from_scores


@dataclass(frozen=True)
class Augment:
    swap_prob: float = 0.5
    reference_drop: float = 0.3
    seed: int = 0
    both_orders: bool = False


NO_AUGMENT = Augment(swap_prob=0.0, reference_drop=0.0)


@dataclass(frozen=True)
class Example:
    messages: list[dict]
    target: str
    swapped: bool
    with_reference: bool
    group: str = ""  # the question it asks about: examples of one question share their prompt's start


def view(pair: Pair, index: int, epoch: int, augment: Augment) -> tuple[Pair, bool, bool]:
    """The pair as this epoch shows it: (pair, swapped, with_reference)."""
    rng = random.Random(f"{augment.seed}:{epoch}:{index}")
    swapped = rng.random() < augment.swap_prob
    with_reference = bool(pair.reference) and rng.random() >= augment.reference_drop
    return (pair.swapped() if swapped else pair), swapped, with_reference


def make_example(
    pair: Pair,
    template: str,
    output_format: str,
    with_reference: bool,
    swapped: bool = False,
    score_line: bool = False,
) -> Example:
    """One example showing ``pair`` as it is; pointwise grades ``answer1`` alone. A template that
    takes no reference (pandalm) is rendered without one whatever the augmentation decided;
    ``score_line`` leaves the reason out of the target."""
    if pair.score1 is None or pair.score2 is None or pair.verdict is None:
        raise ValueError(f"pair {pair.id}: a training pair needs teacher scores and a verdict")
    layout = get_template(template)
    with_reference = with_reference and layout.supports_reference
    messages = layout.render(pair, with_reference)
    score1, score2, verdict, reason = label_for(pair, with_reference)
    reason = "" if output_format == "pointwise" or score_line else reason
    target = format_target(output_format, score1, score2, verdict, reason)
    return Example(messages, target, swapped, with_reference, group=pair.question_id)


def label_for(pair: Pair, with_reference: bool) -> tuple[float, float, int, str]:
    """The teacher's label, or -- when the reference is hidden and the teacher also wrote one --
    its reference-free label (CritiqueLLM's round 2, JudgeLM's ``text`` vs ``text_w_reference``):
    a judge shown no reference should not learn to cite one."""
    if with_reference or pair.score1_no_reference is None or pair.score2_no_reference is None:
        return pair.score1, pair.score2, pair.verdict, pair.reason
    score1, score2 = pair.score1_no_reference, pair.score2_no_reference
    return score1, score2, verdict_from_scores(score1, score2), pair.reason_no_reference or pair.reason


def twins(output_format: str, augment: Augment) -> int:
    """How many consecutive examples of ``epoch_examples`` come from one unit and belong in one batch."""
    return 2 if output_format != "pointwise" and augment.both_orders else 1


def training_units(pairs: list[Pair], output_format: str) -> list[Pair]:
    """What one epoch goes through once: every pair, or -- pointwise -- every distinct graded answer, as
    a pair whose ``answer1`` it is (the first pair that holds it gives its score). An answer in k pairs
    would otherwise be 2k copies of one example: the default train split has 832 answer slots and 617
    distinct answers."""
    if output_format != "pointwise":
        return pairs
    units: dict[tuple[str, str], Pair] = {}
    for pair in pairs:
        for shown in (pair, pair.swapped()):
            units.setdefault((shown.question_id, shown.answer1), shown)
    return list(units.values())


def epoch_examples(
    pairs: list[Pair], epoch: int, template: str, output_format: str, augment: Augment, score_line: bool = False
) -> list[Example]:
    """The examples of one epoch, unit by unit (``training_units``); a unit's ``twins`` examples are
    consecutive."""
    examples = []
    for index, unit in enumerate(training_units(pairs, output_format)):
        shown, swapped, with_reference = view(unit, index, epoch, augment)
        if output_format == "pointwise":
            examples.append(make_example(unit, template, output_format, with_reference, False, score_line))
        elif twins(output_format, augment) == 2:
            for order, swap in ((unit, False), (unit.swapped(), True)):
                examples.append(make_example(order, template, output_format, with_reference, swap, score_line))
        else:
            examples.append(make_example(shown, template, output_format, with_reference, swapped, score_line))
    return examples
