"""The ``dataset`` teacher: the labels that came with imported data (a human majority, GPT-4 scores).

Nothing is asked of a model: a pair is labelled with what the data says about it. Asked about the
two answers the other way round, it answers with the stored label mirrored -- unless the data holds
that order too (PandaLM's test set has 65 such swapped twins), in which case the stored twin's own
label is given, so the swap filter compares two real labels and drops twins that disagree. A pair the
data has no label for (no majority, or not in the data) gets ``verdict=None``: a counted failure.

Scores on another scale than the judges' 1-10 (pairs flagged ``scale:1-5`` on import: CritiqueLLM's human
scores) would train 1-5 scores under a 1-10 prompt and pass the 1-10 gate: ``generate.dataset_scale``
refuses such a file (the default), or with ``rescale`` maps each score linearly onto 1-10 (lowest to 1,
highest to 10; the verdict, which follows the order of the scores, is unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from components.data.importers import refuse_question_set
from components.io import read_records
from components.schemas import SCALE_FLAG, Pair, Question, mirror, swap_assistant_mentions
from components.teachers.base import PairLabel
from components.vocabulary import SCORE_RANGE

Key = tuple[str, str, str, str]


class DatasetTeacher:
    """Stored labels by (instruction, input, answer1, answer2); the first of repeated rows wins."""

    name = "dataset"

    def __init__(self, pairs: Sequence[Pair]):
        self.pairs = list(pairs)
        self._labels: dict[Key, PairLabel] = {}
        for pair in self.pairs:
            label = PairLabel(pair.score1, pair.score2, pair.verdict, pair.reason)
            self._labels.setdefault((pair.instruction, pair.input, pair.answer1, pair.answer2), label)

    @classmethod
    def from_file(cls, path: Path | str, scale: str = "refuse") -> DatasetTeacher:
        """Canonical pairs as ``judgeops import`` writes them; a bad line raises, naming file:line:field.
        A file of questions (no answers) is refused saying what uses it (``generate.questions_from``); pairs
        on another score scale are refused or rescaled as ``scale`` says (``generate.dataset_scale``)."""
        refuse_question_set(path)
        return cls(on_judge_scale(read_records(path, Pair).records, scale, path))

    def label(self, question: Question, answer1: str, answer2: str) -> PairLabel:
        stored = self._labels.get((question.instruction, question.input, answer1, answer2))
        if stored is not None:
            return stored
        other = self._labels.get((question.instruction, question.input, answer2, answer1))
        if other is not None:
            return PairLabel(other.score2, other.score1, mirror(other.verdict), swap_assistant_mentions(other.reason))
        return PairLabel(None, None, None, "teacher failure: the data holds no label for these two answers")

    def grade(self, question: Question, answer: str) -> NoReturn:
        raise ValueError("the dataset teacher has labels for pairs only; it cannot grade a single answer")


def on_judge_scale(pairs: Sequence[Pair], rule: str, source: Path | str = "the data") -> list[Pair]:
    """``pairs`` with every score on the judges' 1-10 scale: a pair flagged ``scale:LOW-HIGH`` is refused
    (``rule`` "refuse": a ValueError naming the file, the count, the scale and the setting) or rescaled."""
    low, high = SCORE_RANGE
    out, other = [], {}
    for pair in pairs:
        scale = next((flag.removeprefix(SCALE_FLAG) for flag in pair.flags if flag.startswith(SCALE_FLAG)), "")
        if not scale or scale == f"{low:g}-{high:g}":
            out.append(pair)
            continue
        other[scale] = other.get(scale, 0) + 1
        if rule == "rescale":
            out.append(_rescaled(pair, scale))
    if other and rule != "rescale":
        found = ", ".join(f"{count} on {scale}" for scale, count in sorted(other.items()))
        raise ValueError(
            f"{source}: {sum(other.values())} pairs carry scores on another scale than {low:g}-{high:g} ({found}); "
            f"the judge would learn them as {low:g}-{high:g} scores. Set generate.dataset_scale: rescale to map "
            "them linearly onto it, or use other data"
        )
    return out


def _rescaled(pair: Pair, scale: str) -> Pair:
    try:
        old_low, old_high = (float(end) for end in scale.split("-"))
    except ValueError:
        raise ValueError(f"pair {pair.id}: cannot read the score scale {scale!r} (expected LOW-HIGH)") from None
    low, high = SCORE_RANGE

    def move(score: float | None) -> float | None:
        return None if score is None else low + (score - old_low) * (high - low) / (old_high - old_low)

    flags = [flag for flag in pair.flags if not flag.startswith(SCALE_FLAG)] + [f"rescaled_from:{scale}"]
    return pair.model_copy(update={"score1": move(pair.score1), "score2": move(pair.score2), "flags": flags})
