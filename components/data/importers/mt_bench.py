"""MT-Bench's 80 questions (FastChat ``llm_judge``) as ``Question`` records, with GPT-4's references.

``path`` is the folder or its ``question.jsonl``; the references come from
``reference_answer_gpt-4.jsonl`` beside it (or FastChat's own layout, ``reference_answer/gpt-4.jsonl``).
Each question is one record: the first turn is the instruction and its reference the first
reference turn; both turns of the question and of the reference are kept in ``check`` (``turns``,
``reference_turns``) for multi-turn judging. The reference is GPT-4's where the file has one (what
FastChat judges with), else the question's inline ``reference`` (which FastChat does not read; some
of its turns are empty), else ``NO_REFERENCE``; ``check["reference_source"]`` says which.
``needs_knowledge`` marks FastChat's reference-guided categories (math, reasoning, coding). The 13
GPT-4 references that FastChat PR #3158 shows to be wrong are kept but marked
(``check["reference_known_wrong"]``) and listed in the warnings.
"""

from __future__ import annotations

from pathlib import Path

from components.data.importers import NO_REFERENCE, ImportResult
from components.data.importers.rows import Where, build, collect, json_rows, required, text
from components.io import OnError
from components.schemas import Question

NEED_REF_CATS = frozenset({"math", "reasoning", "coding"})
KNOWN_WRONG = frozenset({104, 105, 109, 111, 113, 114, 120, 122, 124, 125, 126, 128, 130})
QUESTIONS = "question.jsonl"
REFERENCES = ("reference_answer_gpt-4.jsonl", "reference_answer/gpt-4.jsonl")


def import_mt_bench(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    questions_file, references_file = _files(Path(path))
    references, rejects = {}, []
    if references_file is not None:
        rows, rejects = collect(
            json_rows(references_file), _reference_row, on_error, lambda r: str(r[0]), "question_id"
        )
        references = {question_id: turns for _, (question_id, turns) in rows}
    result = ImportResult(rejects=rejects, holds="questions")
    if references_file is None:
        result.warnings.append(f"{questions_file.parent}: no GPT-4 reference file ({' or '.join(REFERENCES)})")

    def convert(at: Where, row: dict) -> Question:
        return _question(at, row, references)

    rows, rejects = collect(json_rows(questions_file), convert, on_error, lambda q: q.id, "question_id")
    result.rejects += rejects
    result.questions = [question for _, question in rows]
    for at, question in rows:
        if question.check["reference_known_wrong"]:
            result.warnings.append(
                f"{at.file}:{at.line}: question {question.check['question_id']}: the GPT-4 reference is known "
                "to be wrong (FastChat PR #3158); flagged as reference_known_wrong"
            )
    missing = [q.check["question_id"] for q in result.questions if q.check["reference_source"] == "none"]
    if missing:
        result.warnings.append(f"{questions_file}: {len(missing)} questions have no reference: {missing}")
    unknown = sorted(set(references) - {q.check["question_id"] for q in result.questions})
    if unknown:
        result.warnings.append(f"{references_file}: references for unknown question ids {unknown}")
    return result


def _files(path: Path) -> tuple[Path, Path | None]:
    questions = path / QUESTIONS if path.is_dir() else path
    if not questions.is_file():
        raise FileNotFoundError(f"{questions}: no MT-Bench question file")
    found = [questions.parent / name for name in REFERENCES if (questions.parent / name).is_file()]
    return questions, (found[0] if found else None)


def _question_id(at: Where, row: dict) -> int:
    value = required(at, row, "question_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise at.error("question_id", f"expected an integer, got {value!r}")
    return value


def _turns(at: Where, value: object, name: str, allow_empty: bool = False) -> list[str]:
    """A list of turns; inline references leave a turn empty where it has no reference (8 do)."""
    if not isinstance(value, list) or not value:
        raise at.error(name, f"expected a non-empty list of strings, got {value!r}")
    for index, turn in enumerate(value):
        if not isinstance(turn, str) or not (allow_empty or turn.strip()):
            raise at.error(f"{name}.{index}", f"expected a non-empty string, got {turn!r}")
    return value


def _reference_row(at: Where, row: dict) -> tuple[int, list[str]]:
    choices = required(at, row, "choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise at.error("choices", f"expected a list of objects, got {choices!r}")
    return _question_id(at, row), _turns(at, choices[0].get("turns"), "choices.0.turns")


def _question(at: Where, row: dict, references: dict[int, list[str]]) -> Question:
    question_id = _question_id(at, row)
    category = text(at, row, "category")
    turns = _turns(at, required(at, row, "turns"), "turns")
    if question_id in references:
        reference_turns, source = references[question_id], "gpt-4"
    elif row.get("reference") is not None:
        reference_turns = _turns(at, row["reference"], "reference", allow_empty=True)
        source = "inline" if reference_turns[0].strip() else "none"
    else:
        reference_turns, source = [], "none"
    return build(
        at,
        Question,
        id=f"mtbench-{question_id}",
        family="mt_bench",
        category=category,
        instruction=turns[0],
        reference=reference_turns[0] if source != "none" else NO_REFERENCE,
        needs_knowledge=category in NEED_REF_CATS,
        check={
            "question_id": question_id,
            "turns": turns,
            "reference_turns": reference_turns,
            "reference_source": source,
            "reference_known_wrong": source == "gpt-4" and question_id in KNOWN_WRONG,
        },
    )
