"""Stage report: headline metrics with CIs for each judge, its scores read per answer (the
correct-vs-wrong AUC and a table per answer source), plots, the audit summary, provenance, the
champion decision for the newly registered judge (the promotion gate, components/champion.py) and that
version's judge card (components/card: its registry description, artifacts, reports/judge_card.*). Its
MLflow run also holds every test pair's judgments as a table (``judgments/test_pairs.json``: gold, each
judge's verdicts in both orders, agreement, consistency, failures), which MLflow's UI filters and compares.

This module only gathers and hands on: it reads the upstream stages' files, scores each judge
(components.evaluation; per answer, components.answer_quality), asks for the champion decision
(components.champion), and has components.reporting draw and write the report.
"""

from __future__ import annotations

import json
from dataclasses import replace

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
        "components/benchmarks/__init__.py",
        "components/benchmarks/figures.py",  # one MLflow run per human-labelled set and judge
        "components/audit/__init__.py",  # the card states each probe by the audit's own rule and lines
        "components/audit/base.py",
        "components/card",
        "components/champion.py",
        "components/evaluation.py",
        "components/reporting",
        "components/metrics.py",
        "components/judges/__init__.py",
        "components/judges/calibration.py",
        "components/judges/model_ref.py",
        "components/judges/base.py",  # the card names the template's kind (pointwise or pairwise)
        "components/judges/parsers.py",
        "components/judges/templates.py",
        "components/models.py",  # the base model's description and weights fingerprint on the card
        "components/subsets.py",
        "components/profiles.py",
        "components/schemas.py",
        "components/workspace.py",
    ),
    outs=(
        Out("reports/report.md", cache=False),
        Out("reports/report.html", cache=False),
        Out("reports/judge_card.json", cache=False),
        Out("reports/judge_card.md", cache=False),
    ),
    metrics=(Out("reports/headline.json", cache=False),),
    plots=tuple(
        Out(f"reports/plots/{name}.png", cache=False)
        for name in (*(f"confusion_{judge}" for judge in PIPELINE_JUDGES), "scores", "calibration", "learning_curve")
    ),
)


def run(params: Params, tracker) -> dict:
    # scipy, sklearn, matplotlib, mlflow: only when it runs
    from components.answer_quality import answer_quality, flat_metrics
    from components.card.store import figures_of
    from components.champion import gate_figures, promote, recorded_judge
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
    log_set_runs(params, human)
    engine = params.judge.engine if params.judge.engine == "torch" else f"ct2:{params.judge.ct2_compute_type}"
    recorded = recorded_judge(paths.JUDGE_MODEL)
    test_md5 = file_md5(paths.split_file("test"))
    figures = gate_figures(test, evaluations["finetuned"], audit, test_md5, recorded.get("base_model", ""))
    decision = promote(figures, recorded, engine, cfg.promotion_margin, cfg.bootstrap, cfg.seed, figures_of)
    gain = agreement_gain(test, evaluations["finetuned"], evaluations["base"], cfg.bootstrap, cfg.seed)
    card = judge_card(params, test, evaluations, answers, gain, human, audit, recorded, decision, figures)
    _publish_card(card, decision, tracker)
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


def judge_card(params, test, evaluations, answers, gain, human, audit, recorded, decision, figures) -> dict:
    """The judge card of the version models/judge records (components/card/build.py)."""
    from components.answer_quality import answer_scores, correct_vs_wrong_auc
    from components.card.build import build_card, families, quality_entry
    from components.judges.templates import get_template
    from components.models import describe, weights_fingerprint
    from components.tracking import git_rev

    template = recorded.get("template", params.finetune.template)
    base = describe(paths.BASE_MODEL) if (paths.BASE_MODEL / "judgeops_model.json").exists() else {}
    what = {
        "base_model": recorded.get("base_model", base.get("source", "")),
        "base_fingerprint": weights_fingerprint(paths.BASE_MODEL) if paths.BASE_MODEL.is_dir() else "",
        "base_parameters": base.get("parameters"),
        "kind": get_template(template).kind,
        "recipe": params.finetune.model_dump(mode="json"),
        "judge_settings": recorded.get("judge", {}),
    }
    splits = {}
    for name in ("train", "val", "test"):
        file = paths.split_file(name)
        if file.exists():
            splits[name] = {"pairs": sum(1 for line in file.open() if line.strip()), "md5": file_md5(file)}
    data = {
        "teacher": params.generate.teacher,
        "families": families(test),
        "splits": splits,
        "train_data_md5": recorded.get("train_data_md5", ""),
        "git_rev": git_rev(),
    }
    teacher_answers = [replace(a, judge=a.teacher) for a in answer_scores(test, [])]
    quality = {name: quality_entry(ev) for name, ev in evaluations.items()}
    quality.update(
        gain=gain,
        auc={name: found["auc"] for name, found in answers.items()},
        by_source={name: found["rows"] for name, found in answers.items()},
        teacher_auc=correct_vs_wrong_auc(teacher_answers),
        human={
            set_name: {name: quality_entry(ev) for name, ev in by_judge.items()} for set_name, by_judge in human.items()
        },
    )
    return build_card(
        version=str(recorded.get("registered_version", "unregistered")),
        recorded=recorded,
        what=what,
        data=data,
        quality=quality,
        audit=[r for r in audit if r.get("judge") == "finetuned"],
        audit_params=params.audit,
        decision={k: v for k, v in decision.items() if k != "checks"} | {"checks": decision.get("checks", [])},
        gate_figures=figures,
    )


def _publish_card(card: dict, decision: dict, tracker) -> None:
    """reports/judge_card.json and .md always; on the registered version only when the decision tagged it
    (figures from another engine describe the engine, not the version)."""
    from components.card.store import publish, write

    if decision.get("tagged"):
        publish(card, paths.REPORTS, tracker)
    else:
        write(card, paths.REPORTS)


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


def log_set_runs(params: Params, human: dict[str, dict]) -> None:
    """One MLflow run per human-labelled set and pipeline judge, named ``SET · JUDGE`` with the metric names
    `judgeops evaluate` gives any judge on any set (components/benchmarks/figures.py), so MLflow's compare view
    lines the pipeline's judges up beside a served or API judge evaluated on the same set."""
    from components.benchmarks.figures import set_figures
    from components.tracking import stage_run

    cfg = params.report
    for path in params.judge.human_eval:
        name = paths.human_eval_name(path)
        pairs = spread(read_jsonl(path, Pair), params.judge.human_eval_max_pairs)
        for judge in PIPELINE_JUDGES:
            judgments = read_jsonl(paths.human_judgments_file(path, judge), Judgment)
            figures = set_figures(pairs, judgments, cfg.bootstrap, cfg.seed, evaluation=human[name][judge])
            settings = {"judge": judge, "data": str(path), "data_md5": file_md5(path), "set": name, "pairs": len(pairs)}
            with stage_run("evaluate", settings) as tracker:
                tracker.tags({"mlflow.runName": f"{name} · {judge}"})
                tracker.metrics(figures)


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
