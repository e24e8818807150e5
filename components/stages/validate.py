"""Stage validate: the Great Expectations gate on everything generate wrote.

A critical failure fails the stage (and so the Prefect flow) with a message that names the
expectation, the dataset and up to five offending rows; warnings go to the report. Great Expectations
Data Docs (static HTML, readable offline) go to reports/data_docs, which the report links; they are
written before a failing gate stops the stage, so its failures can be browsed too.
"""

from __future__ import annotations

from components import paths
from components.config import Params
from components.io import write_json, write_text
from components.stages import StageFailed
from components.stages.contract import Out, Stage

SPLITS = ("train", "val", "test")

STAGE = Stage(
    name="validate",
    help="Great Expectations gates on the generated data.",
    params=("validate",),
    deps=("data/generated", "components/validation", "components/schemas.py"),
    outs=(Out("data/validation"), Out(str(paths.DATA_DOCS))),
)


def run(params: Params, tracker) -> dict:
    from components.validation import failure_message, markdown, run_gate  # pandas: only when it runs
    from components.validation.data_docs import build_data_docs

    gate = run_gate(
        {
            "questions": ("questions", paths.QUESTIONS),
            "answers": ("answers", paths.ANSWERS),
            "pairs": ("pairs", paths.PAIRS),
            "splits": ("splits", {split: paths.split_file(split) for split in SPLITS}),
        },
        params.validate_,
    )
    summary = gate.to_json()
    write_json(paths.VALIDATION / "results.json", summary)
    write_text(paths.VALIDATION / "summary.md", markdown(gate))
    build_data_docs(gate, paths.DATA_DOCS)
    tracker.artifact(paths.VALIDATION, "validation")
    tracker.artifact(paths.DATA_DOCS, "validation/data_docs")
    if not gate.passed:
        raise StageFailed(failure_message(gate))
    return {k: v for k, v in summary.items() if isinstance(v, (int, float, bool))}
