"""Canonical locations of every stage's outputs, relative to the project root (where dvc runs).

dvc.yaml names the same paths; stages hand data on only through them.
"""

from pathlib import Path

DATA = Path("data")
BASE_MODEL = DATA / "base_model"

GENERATED = DATA / "generated"
QUESTIONS = GENERATED / "questions.jsonl"
ANSWERS = GENERATED / "answers.jsonl"
PAIRS = GENERATED / "pairs.jsonl"
REJECTS = GENERATED / "rejects.jsonl"
TEACHER_CACHE = DATA / "cache" / "teacher"
ANSWER_CACHE = DATA / "cache" / "answers"


def split_file(split: str) -> Path:
    return GENERATED / f"{split}.jsonl"


VALIDATION = DATA / "validation"
JUDGE_MODEL = Path("models") / "judge"
CHECKPOINTS = Path("models") / "checkpoints"
JUDGMENTS = DATA / "judgments"
JUDGMENTS_CACHE = DATA / "cache" / "judgments"
AUDIT = DATA / "audit"
REPORTS = Path("reports")
PLOTS = REPORTS / "plots"
METRICS = Path("metrics")


def metrics_file(stage: str) -> Path:
    return METRICS / f"{stage}.json"


def judgments_file(judge: str) -> Path:
    return JUDGMENTS / f"{judge}.jsonl"
