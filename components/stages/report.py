"""Stage report: headline metrics with CIs for each judge, its scores read per answer (the
correct-vs-wrong AUC and a table per answer source), plots, the audit summary, provenance, and the
champion decision for the newly registered judge. Its MLflow run also holds every test pair's
judgments as a table (``judgments/test_pairs.json``: gold, each judge's verdicts in both orders, agreement,
consistency, failures), which MLflow's UI filters and compares.

This module only gathers and hands on: it reads the upstream stages' files, scores each judge
(components.evaluation; per answer, components.answer_quality), asks for the champion decision
(components.champion), and has components.reporting draw and write the report.
"""

from __future__ import annotations

import json

from components import paths
from components.config import PARAMS_FILE, Params
from components.io import file_md5, read_jsonl, write_json, write_text
from components.judges import PIPELINE_JUDGES
from components.judges.model_ref import JUDGE_IDENTITY
from components.schemas import Judgment, Pair
from components.stages.contract import Out, Stage
from components.subsets import spread

# The per-pair table in the report's MLflow run: every test pair with each judge's verdicts, to find disagreements.
JUDGMENTS_TABLE = "judgments/test_pairs.json"

# The stages whose wall time the report states, in pipeline order (a test keeps this to every other stage).
TIMED = ("base_model", "generate", "validate", "finetune", "judge", "audit")

# Read but not declared: dvc.lock, MLflow, git and the flow's record, for the provenance section
# (components/reporting/provenance.py says why none can be a dep), and the human-labelled pairs files
# named in judge.human_eval, whose paths are params, not fixed deps (the judge stage's judgments of
# them, under data/judgments, are declared).
STAGE = Stage(
    name="report",
    help="Metrics with CIs, plots, the audit summary and the champion decision.",
    params=(
        "report",
        "generate.teacher",
        "judge.calibration",
        "judge.human_eval",
        "judge.human_eval_max_pairs",
        "judge.engine",  # figures from another engine than the registered model's neither tag nor promote it
        "judge.ct2_compute_type",
    ),
    deps=(
        "data/generated/test.jsonl",
        "data/judgments",
        "data/audit",
        "data/validation",
        str(paths.JUDGE_MODEL / JUDGE_IDENTITY),  # the registered version the judge came from: the candidate
        str(paths.LEARNING_CURVE),
        *(str(paths.metrics_file(stage)) for stage in TIMED),
        str(PARAMS_FILE),  # its sha256 is in the provenance section
        "components/answer_quality.py",
        "components/champion.py",
        "components/evaluation.py",
        "components/reporting",
        "components/metrics.py",
        "components/judges/__init__.py",
        "components/judges/calibration.py",
        "components/judges/model_ref.py",
        "components/subsets.py",
        "components/profiles.py",
        "components/schemas.py",
        "components/workspace.py",
    ),
    outs=(Out("reports/report.md", cache=False), Out("reports/report.html", cache=False)),
    metrics=(Out("reports/headline.json", cache=False),),
    plots=tuple(
        Out(f"reports/plots/{name}.png", cache=False)
        for name in (*(f"confusion_{judge}" for judge in PIPELINE_JUDGES), "scores", "calibration", "learning_curve")
    ),
)


def run(params: Params, tracker) -> dict:
    # scipy, sklearn, matplotlib, mlflow: only when it runs
    from components.answer_quality import answer_quality, flat_metrics
    from components.champion import promote, recorded_judge
    from components.evaluation import agreement_gain, evaluate, headline_metrics, judgment_rows
    from components.reporting.html import to_html
    from components.reporting.markdown import Findings, render
    from components.reporting.plots import draw
    from components.reporting.provenance import provenance

    cfg = params.report
    test = read_jsonl(paths.split_file("test"), Pair)
    audit = json.loads((paths.AUDIT / "results.json").read_text())
    gate = _json_or(paths.VALIDATION / "results.json", None)
    curve = _json_or(paths.LEARNING_CURVE, [])
    judged = {name: read_jsonl(paths.judgments_file(name), Judgment) for name in PIPELINE_JUDGES}
    evaluations = {
        name: evaluate(test, judgments, cfg.bootstrap, cfg.seed, params.judge.calibration)
        for name, judgments in judged.items()
    }
    answers = {name: answer_quality(test, judgments, cfg.bootstrap, cfg.seed) for name, judgments in judged.items()}
    tracker.table(judgment_rows(test, judged), JUDGMENTS_TABLE)
    human = human_evaluations(params)
    engine = params.judge.engine if params.judge.engine == "torch" else f"ct2:{params.judge.ct2_compute_type}"
    decision = promote(
        evaluations["finetuned"], recorded_judge(paths.JUDGE_MODEL), file_md5(paths.split_file("test")), engine
    )
    gain = agreement_gain(test, evaluations["finetuned"], evaluations["base"], cfg.bootstrap, cfg.seed)
    findings = Findings(
        teacher=params.generate.teacher,
        test_pairs=len(test),
        evaluations=evaluations,
        human=human,
        gain=gain,
        decision=decision,
        audit=audit,
        gate=gate,
        wall_times=wall_times(),
        provenance=provenance((*TIMED, STAGE.name)),
        plots=draw(test, evaluations, curve, paths.PLOTS),
        answers=answers,
    )
    markdown = render(findings)
    write_text(paths.REPORTS / "report.md", markdown)
    write_text(paths.REPORTS / "report.html", to_html(markdown, paths.REPORTS))
    tracker.artifact(paths.REPORTS, "report")

    metrics = {
        "test_pairs": len(test),
        "promoted": int(decision["promoted"]),
        **headline_metrics(evaluations, human, gain),
        **{key: value for name, found in answers.items() for key, value in flat_metrics(name, found).items()},
    }
    write_json(paths.REPORTS / "headline.json", metrics)
    return metrics


def human_evaluations(params: Params) -> dict[str, dict]:
    """Per human-labelled set (``judge.human_eval``), each judge's evaluation against the human majority."""
    from components.evaluation import evaluate

    found = {}
    for path in params.judge.human_eval:
        pairs = spread(read_jsonl(path, Pair), params.judge.human_eval_max_pairs)
        found[paths.human_eval_name(path)] = {
            name: evaluate(
                pairs,
                read_jsonl(paths.human_judgments_file(path, name), Judgment),
                params.report.bootstrap,
                params.report.seed,
                params.judge.calibration,
            )
            for name in PIPELINE_JUDGES
        }
    return found


def wall_times() -> list[list]:
    """[stage, seconds] of each timed stage that has run, from its metrics file."""
    rows = []
    for stage in TIMED:
        file = paths.metrics_file(stage)
        if file.exists():
            rows.append([stage, f"{json.loads(file.read_text()).get('wall_seconds', float('nan')):.1f}"])
    return rows


def _json_or(path, default):
    """The JSON in ``path``, or ``default`` when there is no such file."""
    return json.loads(path.read_text()) if path.exists() else default
