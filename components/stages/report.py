"""Stage report: headline metrics with CIs for each judge, plots, the audit summary, provenance,
and the champion decision for the newly registered judge."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from components import paths
from components.config import PARAMS_FILE, Params
from components.io import read_jsonl, write_json, write_text
from components.judges import PIPELINE_JUDGES
from components.report import plot_calibration, plot_confusion, plot_learning_curve, plot_scores, table, to_html
from components.schemas import Judgment, Pair
from components.stages.contract import Out, Stage
from components.subsets import spread
from components.tracking import alias_version, git_rev, set_alias, set_version_tags, stage_runs
from components.workspace import from_env

STAGE = Stage(
    name="report",
    help="Metrics with CIs, plots, the audit summary and the champion decision.",
    params=("report", "generate.teacher", "judge.calibration", "judge.human_eval", "judge.human_eval_max_pairs"),
    deps=(
        "data/generated/test.jsonl",
        "data/judgments",
        "data/audit",
        "data/validation",
        "metrics/learning_curve.json",
        "components/report.py",
        "components/evaluation.py",
        "components/metrics.py",
        "components/judges/__init__.py",
        "components/judges/calibration.py",
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
    from components.evaluation import agreement_gain, evaluate  # scipy, sklearn: only when it runs

    cfg = params.report
    test = read_jsonl(paths.split_file("test"), Pair)
    audit = json.loads((paths.AUDIT / "results.json").read_text())
    calibration = params.judge.calibration
    evaluations = {
        name: evaluate(test, read_jsonl(paths.judgments_file(name), Judgment), cfg.bootstrap, cfg.seed, calibration)
        for name in PIPELINE_JUDGES
    }
    human = human_evaluations(params)
    decision = promote(evaluations["finetuned"])
    gain = agreement_gain(test, evaluations["finetuned"], evaluations["base"], cfg.bootstrap, cfg.seed)
    plots = make_plots(test, evaluations)
    markdown = render(params, test, evaluations, audit, decision, plots, gain, human)
    write_text(paths.REPORTS / "report.md", markdown)
    write_text(paths.REPORTS / "report.html", to_html(markdown, paths.REPORTS))
    tracker.artifact(paths.REPORTS, "report")

    metrics: dict = {"test_pairs": len(test), "promoted": int(decision["promoted"])}
    for name, ev in evaluations.items():
        m = ev["metrics"]
        for key in ("accuracy", "precision_macro", "recall_macro", "f1_macro", "cohen_kappa", "parse_failure_rate"):
            metrics[f"{name}.{key}"] = m[key]
        metrics[f"{name}.accuracy_low"] = ev["cis"]["accuracy"]["low"]
        metrics[f"{name}.accuracy_high"] = ev["cis"]["accuracy"]["high"]
        metrics[f"{name}.consistency"] = ev["consistency"]["consistency"]
        if ev["calibrated"] is not None:
            metrics[f"{name}.calibrated_accuracy"] = ev["calibrated"]["metrics"]["accuracy"]
            metrics[f"{name}.calibrated_cohen_kappa"] = ev["calibrated"]["metrics"]["cohen_kappa"]
    for set_name, by_judge in human.items():
        for name, ev in by_judge.items():
            metrics[f"human.{set_name}.{name}.accuracy"] = ev["metrics"]["accuracy"]
            metrics[f"human.{set_name}.{name}.consistency"] = ev["consistency"]["consistency"]
    metrics["agreement_gain"] = gain["value"]
    metrics["agreement_gain_low"], metrics["agreement_gain_high"] = gain["low"], gain["high"]
    write_json(paths.REPORTS / "headline.json", metrics)
    return metrics


def promote(candidate: dict) -> dict:
    """Make the new `candidate` version the `champion` only if it beats the current champion on
    both agreement and consistency; say why not otherwise."""
    version = alias_version("candidate")
    if version is None:
        return {"promoted": False, "why": "no registered candidate version"}
    agreement = candidate["metrics"]["accuracy"]
    consistency = candidate["consistency"]["consistency"]
    set_version_tags(version["version"], {"test_agreement": agreement, "test_consistency": consistency})
    champion = alias_version("champion")
    if champion is None:
        set_alias("champion", version["version"])
        return {"promoted": True, "version": version["version"], "why": "there was no champion yet"}
    if champion["version"] == version["version"]:
        return {"promoted": False, "version": version["version"], "why": "the candidate is already the champion"}
    best_agreement = float(champion["tags"].get("test_agreement", "nan"))
    best_consistency = float(champion["tags"].get("test_consistency", "nan"))
    if agreement > best_agreement and consistency >= best_consistency:
        set_alias("champion", version["version"])
        why = (
            f"agreement {agreement:.3f} > {best_agreement:.3f} and "
            f"consistency {consistency:.3f} >= {best_consistency:.3f}"
        )
        return {"promoted": True, "version": version["version"], "why": why}
    why = (
        f"champion v{champion['version']} keeps the title: candidate agreement {agreement:.3f} "
        f"vs {best_agreement:.3f}, consistency {consistency:.3f} vs {best_consistency:.3f} "
        "(promotion needs higher agreement and no lower consistency)"
    )
    return {"promoted": False, "version": version["version"], "why": why}


def make_plots(test: list[Pair], evaluations: dict) -> dict[str, str]:
    plots = {}
    for name, ev in evaluations.items():
        m = ev["metrics"]
        plot_confusion(
            m["confusion"], m["confusion_failures"], f"{name} judge vs teacher", paths.PLOTS / f"confusion_{name}.png"
        )
        plots[f"confusion_{name}"] = f"plots/confusion_{name}.png"
    series = {"teacher": [s for p in test for s in (p.score1, p.score2) if s is not None]}
    for name, ev in evaluations.items():
        series[name] = [s for j in ev["judgments"] for s in (j.score1, j.score2) if s is not None]
    plot_scores(series, "Scores on the test split", paths.PLOTS / "scores.png")
    plots["scores"] = "plots/scores.png"
    rows = [dict(row, judge=name) for name, ev in evaluations.items() for row in ev["calibration"]]
    plot_calibration(rows, "Agreement by score margin", paths.PLOTS / "calibration.png")
    plots["calibration"] = "plots/calibration.png"
    curve = json.loads(paths.LEARNING_CURVE.read_text()) if paths.LEARNING_CURVE.exists() else []
    plot_learning_curve(curve, "Learning curve of the fine-tuned judge", paths.PLOTS / "learning_curve.png")
    plots["learning_curve"] = "plots/learning_curve.png"
    return plots


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


def human_section(human: dict[str, dict]) -> str:
    if not human:
        return (
            "No human-labelled set was named (judge.human_eval). PandaLM's test set, for one: "
            "`judgeops import pandalm ../shared/data/pandalm/testset-v1.json --out data/human/pandalm.jsonl`, "
            "then `dvc exp run -S 'judge.human_eval=[data/human/pandalm.jsonl]'`."
        )
    rows = []
    for set_name, by_judge in human.items():
        for name, ev in by_judge.items():
            m, ci = ev["metrics"], ev["cis"]["accuracy"]
            calibrated = ev["calibrated"]["metrics"]["accuracy"] if ev["calibrated"] else ""
            rows.append(
                [
                    set_name,
                    name,
                    m["n"],
                    f"{ci['value']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]",
                    m["f1_macro"],
                    m["cohen_kappa"],
                    f"{m['parse_failures']}/{m['n']}",
                    ev["consistency"]["consistency"],
                    calibrated,
                ]
            )
    headers = ["set", "judge", "pairs", "agreement", "F1 (macro)", "kappa", "failures", "consistency", "swap-averaged"]
    return (
        "Agreement with the human majority on the original order (out of domain for a judge trained on "
        "the oracle's families: no reference, open-ended tasks). Brackets: 95% bootstrap over questions.\n\n"
        + table(headers, rows)
    )


def render(
    params: Params,
    test,
    evaluations: dict,
    audit: list[dict],
    decision: dict,
    plots: dict,
    gain: dict,
    human: dict | None = None,
) -> str:
    headline = []
    for name, ev in evaluations.items():
        m, ci = ev["metrics"], ev["cis"]
        headline.append(
            [
                name,
                f"{ci['accuracy']['value']:.3f} [{ci['accuracy']['low']:.3f}, {ci['accuracy']['high']:.3f}]",
                m["precision_macro"],
                m["recall_macro"],
                f"{ci['f1_macro']['value']:.3f} [{ci['f1_macro']['low']:.3f}, {ci['f1_macro']['high']:.3f}]",
                m["cohen_kappa"],
                f"{m['parse_failures']}/{m['n']}",
                ev["consistency"]["consistency"],
            ]
        )
    categories = sorted({c for ev in evaluations.values() for c in ev["per_category"]})
    per_category = [[c] + [_share(evaluations[n]["per_category"].get(c)) for n in evaluations] for c in categories]
    sections = [
        "# judgeops report",
        f"Test split: {len(test)} pairs labelled by the `{params.generate.teacher}` teacher; each judge saw every pair "
        "in both orders. Agreement is on the original order; parse failures count as wrong, never as ties. "
        "Brackets: 95% bootstrap intervals, resampling questions.",
        "## Headline",
        table(
            [
                "judge",
                "agreement",
                "precision (macro)",
                "recall (macro)",
                "F1 (macro)",
                "Cohen's kappa",
                "parse failures",
                "consistency",
            ],
            headline,
        ),
        *calibrated_lines(evaluations),
        f"**Agreement gain of the fine-tuned judge over the base:** {gain['value']:+.3f} "
        f"[{gain['low']:+.3f}, {gain['high']:+.3f}] (paired bootstrap over questions).",
        f"**Champion decision:** {'promoted' if decision['promoted'] else 'not promoted'} -- {decision['why']}.",
        "## Learning curve",
        f"![learning curve]({plots['learning_curve']}) (validation pairs at each eval step; "
        "`dvc plots show metrics/learning_curve.json` draws the same data)",
        "## Confusion matrices",
        " ".join(f"![{k}]({v})" for k, v in plots.items() if k.startswith("confusion")),
        "## Human-labelled evaluation",
        human_section(human or {}),
        "## Agreement per category",
        table(["category"] + list(evaluations), per_category),
        "## Bias audit",
        audit_table(audit),
        "## Data validation",
        validation_summary(),
        "## Score correlation with the teacher",
        correlation_table(evaluations),
        "## Scores and calibration",
        f"![scores]({plots['scores']}) ![calibration]({plots['calibration']})",
        "## Wall time per stage",
        table(["stage", "seconds"], wall_times()),
        "## Provenance",
        provenance(),
    ]
    return "\n\n".join(sections) + "\n"


def calibrated_lines(evaluations: dict) -> list[str]:
    """The swap-averaged verdicts' figures (judge.calibration), stated under the raw ones, never instead."""
    lines = []
    for name, ev in evaluations.items():
        if ev["calibrated"] is None:
            continue
        m, ci = ev["calibrated"]["metrics"], ev["calibrated"]["cis"]["accuracy"]
        lines.append(
            f"**{name}, swap-averaged (both orders' scores averaged; consistent by construction, so not a "
            f"consistency figure):** agreement {ci['value']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}], "
            f"Cohen's kappa {m['cohen_kappa']:.3f}, F1 (macro) {m['f1_macro']:.3f}."
        )
    return lines


def correlation_table(evaluations: dict) -> str:
    rows = []
    for name, ev in evaluations.items():
        found = ev["correlations"]
        if found is None:
            rows.append([name, "all judgments failed", "", "", "", ""])
            continue
        for level in ("sample", "text", "system"):
            c = found[level]
            n = {
                "sample": c.get("n"),
                "text": f"{c.get('n_used')} of {c.get('n_questions')} questions "
                f"({c.get('n_skipped_constant')} constant, skipped)",
                "system": f"{c.get('n_sources')} sources",
            }[level]
            rows.append([name, level, c["pearson"], c["spearman"], c["kendall"], n])
    return table(["judge", "level", "Pearson", "Spearman", "Kendall", "n"], rows)


def audit_table(audit: list[dict]) -> str:
    if not audit:
        return "No probes ran."
    rows = [
        [
            r["judge"],
            r["probe"],
            r["metric"],
            r["value"],
            f"[{r['low']:.3f}, {r['high']:.3f}]",
            "skipped" if r.get("skipped") else "**FLAGGED**" if r["flagged"] else "ok",
        ]
        for r in audit
    ]
    verdicts = "\n".join(f"- **{r['judge']}** {r['verdict']}" for r in audit)
    return table(["judge", "probe", "metric", "value", "95% CI", "flag"], rows) + "\n\n" + verdicts


def validation_summary() -> str:
    """The gate's warnings (critical failures never get this far: they stop the pipeline)."""
    file = paths.VALIDATION / "results.json"
    if not file.exists():
        return "No validation results."
    gate = json.loads(file.read_text())
    warnings = [r for r in gate.get("rows", []) if r.get("success") is False and r.get("severity") == "warning"]
    head = (
        f"{gate.get('expectations', 0)} expectations, {gate.get('critical_failures', 0)} critical failures, "
        f"{len(warnings)} warnings."
    )
    if not warnings:
        return head
    rows = [
        [w["dataset"], w["expectation"], w.get("unexpected_count", ""), str(w.get("observed", ""))[:60]]
        for w in warnings
    ]
    return head + "\n\n" + table(["dataset", "expectation", "unexpected", "observed"], rows)


def wall_times() -> list[list]:
    from components.stages.registry import STAGES  # imports every stage module, this one included

    rows = []
    for stage in STAGES:
        file = paths.metrics_file(stage)
        if stage != "report" and file.exists():
            rows.append([stage, f"{json.loads(file.read_text()).get('wall_seconds', float('nan')):.1f}"])
    return rows


def provenance() -> str:
    from components.stages.registry import STAGES

    lines = [f"- git rev: `{git_rev()}`", *params_provenance()]
    lock = Path("dvc.lock")
    if lock.exists():
        stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
        for stage, body in stages.items():
            for out in body.get("outs", []):
                if out["path"].startswith("metrics/"):
                    continue
                lines.append(f"- dvc `{stage}` out `{out['path']}`: md5 `{out.get('md5', '?')}`")
    for stage, run_id in stage_runs(tuple(STAGES)).items():
        lines.append(f"- MLflow run `{stage}`: `{run_id}`")
    return "\n".join(lines)


def params_provenance() -> list[str]:
    """Which params this report's run used: the flow's record (profile, overrides, base) when a flow
    run drove the stages, and the sha256 of the params.yaml the stages read."""
    digest = hashlib.sha256(PARAMS_FILE.read_bytes()).hexdigest() if PARAMS_FILE.exists() else "missing"
    record = from_env()
    if record is None:
        lines = ["- params: the workspace's params.yaml as found (the stages ran without the flow: no profile record)"]
    else:
        overrides = json.dumps(record.get("overrides") or {}, sort_keys=True)
        lines = [
            f"- profile: `{record.get('profile')}`; overrides: `{overrides}`; "
            f"on the {record.get('base')} params.yaml ({len(record.get('changed') or [])} keys changed)",
        ]
        if record.get("mlflow_run_id"):
            lines.append(f"- flow's MLflow run: `{record['mlflow_run_id']}`")
        if record.get("sha256") and record["sha256"] != digest:
            lines.append(f"- **params.yaml changed during the run**: the flow set it to sha256 `{record['sha256']}`")
    lines.append(f"- params.yaml sha256: `{digest}`")
    return lines


def _share(value) -> str:
    return "n/a" if value is None else f"{value[0]:.2f} (n={value[1]})"
