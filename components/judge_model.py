"""The trained judge as an MLflow pyfunc model: ``mlflow.pyfunc.load_model("models:/judge@champion")`` works
from any folder, on any machine with the pip requirements, and judges exactly as the pipeline does.

Why a pyfunc over adapter + base: the model must carry everything it needs. It packs the judge folder
(models/judge: a LoRA adapter or a full model, with ``judgeops_judge.json``, the template and decoding
settings it was trained and judged with), the base model folder for an adapter (safetensors, loaded with
``trust_remote_code`` off), and the ``components`` package as code (``code_paths``), so the loader needs
only the pip packages. ``predict`` builds the pipeline's own ``HFJudge`` from the recorded settings.

Input: a DataFrame with ``instruction``, ``answer1``, ``answer2`` and optionally ``input`` and
``reference`` (missing or empty allowed). Output: one row per pair, ``verdict`` (0 tie, 1 first,
2 second), ``score1``, ``score2``, ``raw`` (the score line(s) read) and ``failure``; a judgment that
could not be read has verdict, score1 and score2 None and says why in ``failure`` -- never a silent tie.
"""

from __future__ import annotations

import json
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from components.judges.base import JudgeItem
from components.judges.model_ref import ADAPTER_CONFIG, JUDGE_IDENTITY, PACKED_BASE, PACKED_JUDGE
from components.schemas import Judgment, Pair
from components.tracking import Tracker, register

COLUMNS = ("instruction", "input", "reference", "answer1", "answer2")
OPTIONAL = ("input", "reference")
OUTPUTS = ("verdict", "score1", "score2", "raw", "failure")
# What predict imports, pinned to the versions that logged the model (local tags like +cpu dropped).
REQUIREMENTS = ("torch", "transformers", "peft", "tokenizers", "safetensors", "pydantic", "pandas", "tqdm", "mlflow")
EXAMPLE = {
    "instruction": ["What is 2 + 2?"],
    "input": [""],
    "reference": ["4"],
    "answer1": ["4"],
    "answer2": ["5"],
}


class JudgeModel(mlflow.pyfunc.PythonModel):
    """The packed judge. The model loads in ``load_context``, once per process."""

    def load_context(self, context) -> None:
        from components.judges.hf import HFJudge

        folder = Path(context.artifacts[PACKED_JUDGE])
        settings = json.loads((folder / JUDGE_IDENTITY).read_text())["judge"]
        if (folder / ADAPTER_CONFIG).exists():
            base, adapter = Path(context.artifacts[PACKED_BASE]), folder
        else:
            base, adapter = folder, None
        self.judge = HFJudge(name="judge", model_path=base, adapter=adapter, **settings)
        self.judge._load()

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return judge_frame(self.judge, model_input)


def judge_frame(judge, frame: pd.DataFrame) -> pd.DataFrame:
    """``judge``'s verdict on each row of ``frame`` (answers in the order given), as a DataFrame."""
    missing = [name for name in COLUMNS if name not in frame.columns and name not in OPTIONAL]
    if missing:
        raise ValueError(f"the judge needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}")
    items = [JudgeItem(pair) for pair in frame_pairs(frame)]
    rows = [output_row(judgment) for judgment in judge.judge(items)] if items else []
    return pd.DataFrame({name: pd.Series([row[name] for row in rows], dtype=object) for name in OUTPUTS})


def frame_pairs(frame) -> list[Pair]:
    """One Pair per row; a missing, None or NaN text is empty (only input and reference may be)."""

    def text(row: dict, name: str) -> str:
        value = row.get(name)
        return "" if value is None or value != value else str(value)

    return [
        Pair(
            id=f"row{index}",
            question_id=f"row{index}",
            family="",
            category="",
            source1="answer1",
            source2="answer2",
            **{name: text(row, name) for name in COLUMNS},
        )
        for index, row in enumerate(frame.to_dict(orient="records"))
    ]


def output_row(judgment: Judgment) -> dict:
    """None rather than NaN for what a failed judgment lacks, so JSON answers carry null."""
    failed = judgment.failed
    return {
        "verdict": None if failed else judgment.verdict,
        "score1": None if failed or judgment.score1 is None else float(judgment.score1),
        "score2": None if failed or judgment.score2 is None else float(judgment.score2),
        "raw": judgment.raw,
        "failure": judgment.failure if failed else "",
    }


def signature():
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema([ColSpec("string", name, required=name not in OPTIONAL) for name in COLUMNS])
    outputs = Schema(
        [
            ColSpec("long", "verdict", required=False),
            ColSpec("double", "score1", required=False),
            ColSpec("double", "score2", required=False),
            ColSpec("string", "raw"),
            ColSpec("string", "failure"),
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)


def requirements() -> list[str]:
    pins = []
    for name in REQUIREMENTS:
        try:
            pins.append(f"{name}=={version(name).split('+')[0]}")
        except PackageNotFoundError:
            pins.append(name)
    return pins


def log_judge(tracker: Tracker, judge_folder: Path, base_folder: Path | None, tags: dict, alias: str) -> dict:
    """Log the judge in ``judge_folder`` (with ``base_folder`` for an adapter) as a pyfunc model in the
    tracker's run, register it as a new version of ``judge`` with ``alias`` on it. Logging loads the packed
    model and judges the input example once, so a version that cannot load and judge warns at once.
    Returns the version, the model URI and the seconds it took."""
    import components

    started = time.perf_counter()
    # Resolved: MLflow refuses to copy a folder reached through a symlink (a linked data/base_model).
    artifacts = {PACKED_JUDGE: str(Path(judge_folder).resolve())}
    if (Path(judge_folder) / ADAPTER_CONFIG).exists():
        if base_folder is None:
            raise ValueError(f"{judge_folder} is an adapter: its base model folder must be packed with it")
        artifacts[PACKED_BASE] = str(Path(base_folder).resolve())
    info = tracker.mlflow.pyfunc.log_model(
        name="judge",
        python_model=JudgeModel(),
        artifacts=artifacts,
        code_paths=[str(Path(components.__file__).parent)],
        signature=signature(),
        input_example=pd.DataFrame(EXAMPLE),
        pip_requirements=requirements(),
    )
    number = register(info.model_uri, tags, alias)
    return {"version": number, "model_uri": info.model_uri, "seconds": time.perf_counter() - started}
