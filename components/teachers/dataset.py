"""The ``dataset`` teacher: the labels that came with imported data (a human majority, GPT-4 scores).

Nothing is asked of a model: a pair is labelled with what the data says about it. Asked about the
two answers the other way round, it answers with the stored label mirrored -- unless the data holds
that order too (PandaLM's test set has 65 such swapped twins), in which case the stored twin's own
label is given, so the swap filter compares two real labels and drops twins that disagree. A pair the
data has no label for (no majority, or not in the data) gets ``verdict=None``: a counted failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from components.data.importers import refuse_question_set
from components.io import read_records
from components.schemas import Pair, Question, mirror, swap_assistant_mentions
from components.teachers.base import PairLabel

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
    def from_file(cls, path: Path | str) -> DatasetTeacher:
        """Canonical pairs as ``judgeops import`` writes them; a bad line raises, naming file:line:field.
        A file of questions (no answers) is refused saying what uses it (``generate.questions_from``)."""
        refuse_question_set(path)
        return cls(read_records(path, Pair).records)

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
