"""Importers turn published judge data sets into our ``Pair`` (``Question``, ``ScoredAnswer``) records.

One module per source, each ``import_<kind>(path, on_error="raise") -> ImportResult``; ``import_any``
picks one by name for the CLI. Every problem in the input names its file, line and field; with
``on_error="skip"`` a bad row goes to ``rejects`` with the reason and the rest is imported -- a row is
never dropped silently. An input with no rows at all is an error naming it (``InputError``), never an
import of nothing. What they share lives here: the result type, finding rows that repeat a pair
or hold its two answers in swapped order (public test sets contain both, and a swapped twin is a free
probe of position bias), the questions and answers behind imported pairs, and the refusal to make pairs
from a file of questions (which holds no answers to pair).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from components.io import InputError, OnError, iter_json_lines
from components.schemas import Answer, Pair, Question, ScoredAnswer

KINDS = (
    "pandalm",
    "judgelm",
    "mt_bench",
    "alignbench",
    "critiquellm",
    "jsonl",
    "hf",
    "llmbar",
    "evalbiasbench",
    "judgebench",
    "autoj",
    "mtbench_human",
)
Holds = Literal["pairs", "questions", "scored"]
ANSWER_FIELDS = frozenset(
    {"answer", "answer1", "answer2", "answer1_body", "answer2_body", "response", "response1", "response_1", "model_id"}
)
"""Fields that hold an answer (or name its writer) in the formats we read: a row without any is a question."""
NO_REFERENCE = "[no reference]"
"""Stands in for a missing reference answer: ``Question`` requires one, and MT-Bench's writing or
roleplay questions (and PandaLM's test set) have none. Questions carrying it say so in
``check["reference_source"] == "none"``; pairs keep an empty reference, so no judge is shown it."""


@dataclass
class ImportResult:
    """The imported records, in file order; what had to be repaired on the way (one line each); and
    with ``on_error="skip"`` the rows that could not be imported (file, line, field, reason, record).
    ``holds`` names the list that is the import's product (what ``judgeops import`` writes): pairs, a
    question set (MT-Bench, AlignBench's release), or scored single answers (pointwise evaluation data);
    pair imports also derive ``questions``."""

    pairs: list[Pair] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    scored: list[ScoredAnswer] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    holds: Holds = "pairs"

    @property
    def records(self) -> list:
        return getattr(self, self.holds)


def import_any(kind: str, path: Path | str, on_error: OnError = "raise", **options) -> ImportResult:
    """``import_<kind>(path, on_error, **options)`` from ``components.data.importers.<kind>``."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; known kinds: {', '.join(KINDS)}")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    module = importlib.import_module(f"{__name__}.{kind}")
    return getattr(module, f"import_{kind}")(path, on_error=on_error, **options)


def pair_key(pair: Pair) -> tuple[str, str, str, str]:
    """What makes two pairs the same judging task: the question and both answers, in order."""
    return pair.instruction, pair.input, pair.answer1, pair.answer2


def find_duplicates(pairs: Sequence[Pair]) -> dict[str, str]:
    """Id of each pair that repeats an earlier one -> id of the earliest pair with the same key."""
    first: dict[tuple[str, str, str, str], str] = {}
    duplicates: dict[str, str] = {}
    for pair in pairs:
        key = pair_key(pair)
        if key in first:
            duplicates[pair.id] = first[key]
        else:
            first[key] = pair.id
    return duplicates


def find_swapped_twins(pairs: Sequence[Pair]) -> list[tuple[str, str]]:
    """Pairs of ids whose rows hold the same two answers in swapped order.

    Each row is matched with the earliest row holding its answers swapped, and each unordered match is
    listed once, earlier row first. Duplicated rows thus each take part (every row with a twin appears
    at least once) without multiplying the matches; on PandaLM's test set this gives the 65 pairs its
    README counts. A pair whose two answers are equal is not its own twin.
    """
    position = {pair.id: index for index, pair in enumerate(pairs)}
    earliest: dict[tuple[str, str, str, str], str] = {}
    for pair in pairs:
        earliest.setdefault(pair_key(pair), pair.id)
    twins: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.answer1 == pair.answer2:
            continue
        twin = earliest.get((pair.instruction, pair.input, pair.answer2, pair.answer1))
        if twin is not None:
            twins.add(tuple(sorted((pair.id, twin), key=position.__getitem__)))
    return sorted(twins, key=lambda ids: (position[ids[0]], position[ids[1]]))


def flag_repeats(pairs: list[Pair]) -> list[Pair]:
    """Each duplicate flagged ``duplicate_of:<id>`` (the earliest identical row) and each swapped twin
    ``swapped_twin:<id>`` (the earliest row holding its answers the other way round)."""
    extra: dict[str, list[str]] = {pair.id: [] for pair in pairs}
    for pair_id, original in find_duplicates(pairs).items():
        extra[pair_id].append(f"duplicate_of:{original}")
    for first, second in find_swapped_twins(pairs):
        extra[first].append(f"swapped_twin:{second}")
        extra[second].append(f"swapped_twin:{first}")
    return [
        pair.model_copy(update={"flags": pair.flags + extra[pair.id]}) if extra[pair.id] else pair for pair in pairs
    ]


def questions_from_pairs(pairs: Sequence[Pair]) -> list[Question]:
    """One question per ``question_id``, in first-seen order, from its first pair; the reference is
    the first non-empty one among its pairs, else ``NO_REFERENCE``."""
    first: dict[str, Pair] = {}
    references: dict[str, str] = {}
    for pair in pairs:
        first.setdefault(pair.question_id, pair)
        if pair.reference.strip():
            references.setdefault(pair.question_id, pair.reference)
    questions = []
    for question_id, pair in first.items():
        reference = references.get(question_id)
        questions.append(
            Question(
                id=question_id,
                family=pair.family or "imported",
                category=pair.category or pair.family or "imported",
                instruction=pair.instruction,
                input=pair.input,
                reference=reference or NO_REFERENCE,
                needs_knowledge=pair.needs_knowledge,
                check={"reference_source": "pairs" if reference else "none"},
            )
        )
    return questions


def answers_from_pairs(pairs: Sequence[Pair]) -> list[Answer]:
    """The distinct answers (per question and source) the pairs compare, in first-seen order."""
    answers: dict[tuple[str, str, str], Answer] = {}
    for pair in pairs:
        for side, source, text in ((1, pair.source1, pair.answer1), (2, pair.source2, pair.answer2)):
            key = (pair.question_id, source, text)
            if key not in answers:
                answers[key] = Answer(id=f"{pair.id}:{side}", question_id=pair.question_id, source=source, text=text)
    return list(answers.values())


def holds_questions_only(row: dict) -> bool:
    """A row of a question set -- AlignBench's release, our own ``Question`` records: a question and its
    reference, and no answer field of any format we read."""
    return ("question" in row or "instruction" in row) and "reference" in row and not ANSWER_FIELDS & row.keys()


def no_answers(path: Path | str, row: dict) -> str:
    """Why a question set makes no pairs, and what uses it instead."""
    if "instruction" in row:  # already our Question records
        use = f"set `generate.questions_from: {path}`"
    else:
        use = (
            f"`judgeops import alignbench {path} --out QUESTIONS` writes its questions; "
            "set `generate.questions_from: QUESTIONS`"
        )
    return (
        f"{path} holds questions and references but no answers, so it makes no pairs: {use}, and the generate "
        "stage has answers written to them and labelled by the openai or hf teacher"
    )


def refuse_question_set(path: Path | str) -> None:
    """Raise ``InputError`` (saying what to use instead) when the first record of ``path`` is a question
    without answers: asked for pairs, such a file would otherwise fail on every line with a missing field."""
    for _, value in iter_json_lines(path):
        if isinstance(value, dict) and holds_questions_only(value):
            raise InputError(no_answers(path, value))
        return
