"""Stage report: headline metrics with CIs for each judge, plots, the audit summary, provenance,
and the champion decision for the newly registered judge."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import yaml

from components import paths
from components.config import PARAMS_FILE, Params
from components.io import read_jsonl, write_json, write_text
from components.judges.factory import PIPELINE_JUDGES
from components.metrics import consistency_metrics, pairwise_cis, pairwise_metrics, pointwise_correlations, with_ci
from components.report import plot_calibration, plot_confusion, plot_scores, table, to_html
from components.schemas import Judgment, Pair
from components.stages import STAGES
from components.tracking import alias_version, git_rev, set_alias, set_version_tags, stage_runs
from components.workspace import from_env


def run(params: Params, tracker) -> dict:
    cfg = params.report
    test = read_jsonl(paths.split_file("test"), Pair)
    audit = json.loads((paths.AUDIT / "results.json").read_text())
    evaluations = {
        name: evaluate(test, read_jsonl(paths.judgments_file(name), Judgment), cfg.bootstrap, cfg.seed)
        for name in PIPELINE_JUDGES
    }
    decision = promote(evaluations["finetuned"])
    gain = agreement_gain(test, evaluations["finetuned"], evaluations["base"], cfg.bootstrap, cfg.seed)
    plots = make_plots(test, evaluations)
    markdown = render(params, test, evaluations, audit, decision, plots, gain)
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
    metrics["agreement_gain"] = gain["value"]
    metrics["agreement_gain_low"], metrics["agreement_gain_high"] = gain["low"], gain["high"]
    write_json(paths.REPORTS / "headline.json", metrics)
    return metrics


def evaluate(test: list[Pair], judgments: list[Judgment], resamples: int, seed: int) -> dict:
    """Agreement of one judge with the teacher on the original order (JudgeLM's protocol), and its
    position consistency over both orders of every test pair (the audit's position probe reports
    the same rate, with a CI, on its ``max_items`` pairs)."""
    by_id = {j.pair_id: j for j in judgments if j.order == "original"}
    swapped = {j.pair_id: j for j in judgments if j.order == "swapped"}
    missing = [p.id for p in test if p.id not in by_id or p.id not in swapped]
    if missing:
        raise ValueError(f"{len(missing)} test pairs lack a judgment in one order or both, e.g. {missing[:5]}")
    gold = [p.verdict for p in test]
    pred = [by_id[p.id].verdict for p in test]
    per_category = defaultdict(list)
    for pair, verdict in zip(test, pred, strict=True):
        per_category[pair.category].append(verdict == pair.verdict)
    return {
        "metrics": pairwise_metrics(gold, pred),
        "consistency": consistency_metrics(pred, [swapped[p.id].verdict for p in test]),
        "cis": pairwise_cis(gold, pred, groups=[p.question_id for p in test], n_resamples=resamples, seed=seed),
        "per_category": {c: (sum(v) / len(v), len(v)) for c, v in sorted(per_category.items())},
        "judgments": [by_id[p.id] for p in test],
        "calibration": calibration(test, [by_id[p.id] for p in test]),
        "correlations": score_correlations(test, [by_id[p.id] for p in test]),
    }


def agreement_gain(test: list[Pair], tuned: dict, base: dict, resamples: int, seed: int) -> dict:
    """Fine-tuned minus base agreement with a paired cluster-bootstrap CI: each resample draws
    questions once and scores both judges on them, so the interval is the gain's own, not a
    difference of two independent intervals. A failed judgment counts as wrong for its judge."""
    rows = [
        (pair.verdict, t.verdict, b.verdict)
        for pair, t, b in zip(test, tuned["judgments"], base["judgments"], strict=True)
    ]

    def gain(sample: list[tuple]) -> float:
        return sum((t == gold) - (b == gold) for gold, t, b in sample) / len(sample)

    return with_ci(rows, gain, [p.question_id for p in test], n_resamples=resamples, seed=seed)


def score_correlations(test: list[Pair], judgments: list[Judgment]) -> dict | None:
    """The judge's 1-10 scores against the teacher's, per answer, at CritiqueLLM's three levels
    (sample, text = per question, system = per answer source). Failed judgments have no scores."""
    records = []
    for pair, j in zip(test, judgments, strict=True):
        if j.failed or j.score1 is None or j.score2 is None:
            continue
        records += [
            (pair.question_id, pair.source1, j.score1, pair.score1),
            (pair.question_id, pair.source2, j.score2, pair.score2),
        ]
    return pointwise_correlations(records) if records else None


def calibration(test: list[Pair], judgments: list[Judgment]) -> list[dict]:
    buckets = defaultdict(list)
    for pair, j in zip(test, judgments, strict=True):
        if j.score1 is not None and j.score2 is not None:
            buckets[min(int(abs(j.score1 - j.score2)), 5)].append(j.verdict == pair.verdict)
    return [{"margin": m, "agreement": sum(v) / len(v), "n": len(v)} for m, v in sorted(buckets.items())]


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
    return plots


def render(params: Params, test, evaluations: dict, audit: list[dict], decision: dict, plots: dict, gain: dict) -> str:
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
        f"**Agreement gain of the fine-tuned judge over the base:** {gain['value']:+.3f} "
        f"[{gain['low']:+.3f}, {gain['high']:+.3f}] (paired bootstrap over questions).",
        f"**Champion decision:** {'promoted' if decision['promoted'] else 'not promoted'} -- {decision['why']}.",
        "## Confusion matrices",
        " ".join(f"![{k}]({v})" for k, v in plots.items() if k.startswith("confusion")),
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
    rows = []
    for stage in STAGES:
        file = paths.metrics_file(stage)
        if stage != "report" and file.exists():
            rows.append([stage, f"{json.loads(file.read_text()).get('wall_seconds', float('nan')):.1f}"])
    return rows


def provenance() -> str:
    lines = [f"- git rev: `{git_rev()}`", *params_provenance()]
    lock = Path("dvc.lock")
    if lock.exists():
        stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
        for stage, body in stages.items():
            for out in body.get("outs", []):
                if out["path"].startswith("metrics/"):
                    continue
                lines.append(f"- dvc `{stage}` out `{out['path']}`: md5 `{out.get('md5', '?')}`")
    for stage, run_id in stage_runs(STAGES).items():
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
