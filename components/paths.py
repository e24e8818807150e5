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
DATA_DOCS = REPORTS / "data_docs"  # validate: Great Expectations Data Docs, beside the report that links them
METRICS = Path("metrics")


LEARNING_CURVE = METRICS / "learning_curve.json"  # finetune: val agreement and kappa by training tokens


def metrics_file(stage: str) -> Path:
    return METRICS / f"{stage}.json"


def judgments_file(judge: str) -> Path:
    return JUDGMENTS / f"{judge}.jsonl"


HUMAN_JUDGMENTS = JUDGMENTS / "human"


def human_eval_name(pairs_file: str | Path) -> str:
    """The name a human-labelled evaluation set goes by in outputs and the report: its file's stem."""
    return Path(pairs_file).stem


def human_judgments_file(pairs_file: str | Path, judge: str) -> Path:
    return HUMAN_JUDGMENTS / human_eval_name(pairs_file) / f"{judge}.jsonl"
