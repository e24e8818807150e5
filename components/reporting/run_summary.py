"""What a flow run shows about itself in the Prefect UI, made from files the stages already write
(reports/headline.json, metrics/audit.json, an audit's results.json), so the story can be read without
opening them. Formatting only: flows/artifacts.py publishes the results."""

from __future__ import annotations

from components.answer_quality import ordered_kinds
from components.reporting.markdown import table

# `make ui` (scripts/ui.sh) serves a local store here.
MLFLOW_UI = "http://127.0.0.1:5000"


def headline_markdown(headline: dict) -> str:
    """The headline as `judgeops summary` states it: one row per pipeline judge, then the gain."""
    judges = [key.removesuffix(".accuracy") for key in headline if key.endswith(".accuracy") and key.count(".") == 1]
    rows = [
        [
            name,
            f"{headline[f'{name}.accuracy']:.3f} [{headline[f'{name}.accuracy_low']:.3f}, "
            f"{headline[f'{name}.accuracy_high']:.3f}]",
            headline[f"{name}.cohen_kappa"],
            headline[f"{name}.f1_macro"],
            headline.get(f"{name}.consistency", ""),
            f"{headline[f'{name}.parse_failure_rate']:.1%}",
        ]
        for name in judges
    ]
    lines = [
        table(["judge", "agreement [95% CI]", "Cohen's kappa", "F1 (macro)", "consistency", "parse failures"], rows)
    ]
    lines += [
        f"{name}: {answer_line(headline, name)}; {source_line(headline, name)}"
        for name in judges
        if f"{name}.correct_vs_wrong_auc" in headline
    ]
    if "agreement_gain" in headline:
        lines.append(
            f"**Agreement gain over the base:** {headline['agreement_gain']:+.3f} "
            f"[{headline['agreement_gain_low']:+.3f}, {headline['agreement_gain_high']:+.3f}] (paired bootstrap)"
        )
    human = sorted(k for k in headline if k.startswith("human.") and k.endswith(".accuracy"))
    lines += [f"Human labels, {k.removeprefix('human.').removesuffix('.accuracy')}: {headline[k]:.3f}" for k in human]
    if "promoted" in headline:
        decision = "promoted" if headline["promoted"] else "not promoted"
        lines.append(f"Champion: {decision}; {headline['test_pairs']} test pairs.")
    return "\n\n".join(lines) + "\n"


def answer_line(headline: dict, name: str) -> str:
    """The judge's per-answer figures from the headline (components.answer_quality): its correct-vs-wrong
    AUC with the 95% interval and its mean absolute error on the base model's own answers."""
    nan = float("nan")
    auc = [headline.get(f"{name}.correct_vs_wrong_auc{end}", nan) for end in ("", "_low", "_high")]
    mae = headline.get(f"{name}.model_answers_mae", nan)
    return f"correct-vs-wrong AUC {auc[0]:.3f} [{auc[1]:.3f}, {auc[2]:.3f}]  MAE on the base model's answers {mae:.2f}"


def source_line(headline: dict, name: str) -> str:
    """The judge's mean score and mean absolute error per answer source kind, in the report's order."""
    prefix = f"{name}.by_source."
    kinds = ordered_kinds(k[len(prefix) :].rpartition(".")[0] for k in headline if k.startswith(prefix))
    return "judge score (abs. error) by source: " + ", ".join(
        f"{kind} {headline[f'{prefix}{kind}.judge']:.2f} ({headline[f'{prefix}{kind}.mae']:.2f})" for kind in kinds
    )


def audit_result_flags(results: list[dict]) -> list[dict]:
    """One row per probe and judge from the audit's results.json (the audit stage's, or `judgeops audit
    --out`'s): its value with the 95% CI and n, and its flag -- FLAGGED, the CI's evidence (ok, not
    significant, too few items), or "not run" with why."""
    rows = []
    for r in results:
        value, low, high = (r.get(key, float("nan")) for key in ("value", "low", "high"))
        ran = not r.get("skipped") and value == value
        rows.append(
            {
                "judge": r["judge"],
                "probe": r["probe"],
                "metric": r.get("metric", ""),
                "value": round(value, 3) if ran else None,
                "95% CI": f"[{low:.3f}, {high:.3f}]" if ran and low == low and high == high else "n/a",
                "n": r.get("n", ""),
                "flag": probe_flag(r),
            }
        )
    return rows


def probe_flag(result: dict) -> str:
    """FLAGGED, the CI's evidence, or "not run: why" for a probe that was skipped or measured nothing."""
    if result.get("skipped"):
        return f"not run: {result['skipped']}"
    if result.get("value", float("nan")) != result.get("value", float("nan")):
        return f"not run: {result.get('evidence') or 'no value'}"
    return "FLAGGED" if result.get("flagged") else result.get("evidence") or "ok"


# The report's names for headline.json's keys (components.evaluation, components.answer_quality): what the
# MLflow parent run of a pipeline run carries, so the runs table reads like the report.
PARENT_NAMES = {
    "accuracy": "agreement",
    "cohen_kappa": "kappa",
    "f1_macro": "macro_f1",
    "correct_vs_wrong_auc": "correct_vs_wrong_auc",
    "consistency": "consistency",
    "parse_failure_rate": "parse_failures",
}
LEVELS = ("sample", "text", "system")
CORRELATION_NAMES = ("pearson", "spearman", "kendall")


def parent_figures(headline: dict, audit: list[dict]) -> dict:
    """The pipeline run's figures for its MLflow parent run: ``metrics`` -- per judge its agreement, kappa
    and macro F1 with their 95% CIs (``_low``/``_high``), correct-vs-wrong AUC with its CI, consistency,
    parse failure rate, the Pearson/Spearman/Kendall correlations with the teacher at each level
    (``judge.pearson.sample``), the agreement gain, each human-labelled set's agreement and each probe's value
    with its CI (``audit.judge.probe.metric``); ``params`` -- the test split's size; ``tags`` -- whether the
    judge was promoted and each probe's flag."""
    judges = [key.removesuffix(".accuracy") for key in headline if key.endswith(".accuracy") and key.count(".") == 1]
    metrics = {}
    for judge in judges:
        for key, name in PARENT_NAMES.items():
            for end in ("", "_low", "_high"):
                if f"{judge}.{key}{end}" in headline:
                    metrics[f"{judge}.{name}{end}"] = headline[f"{judge}.{key}{end}"]
        for method in CORRELATION_NAMES:
            for level in LEVELS:
                if f"{judge}.{method}.{level}" in headline:
                    metrics[f"{judge}.{method}.{level}"] = headline[f"{judge}.{method}.{level}"]
    for end in ("", "_low", "_high"):
        if f"agreement_gain{end}" in headline:
            metrics[f"agreement_gain{end}"] = headline[f"agreement_gain{end}"]
    for key, value in headline.items():
        if key.startswith("human.") and key.endswith(".accuracy"):
            metrics[key.removesuffix(".accuracy") + ".agreement"] = value
    tags = {}
    for r in audit:
        name = f"audit.{r['judge']}.{r['probe']}"
        tags[name] = probe_flag(r)
        if not r.get("skipped") and r.get("metric"):
            for end, key in (("", "value"), ("_low", "low"), ("_high", "high")):
                metrics[f"{name}.{r['metric']}{end}"] = r.get(key, float("nan"))
    if "promoted" in headline:
        tags["judgeops.promoted"] = "yes" if headline["promoted"] else "no"
    params = {"test_pairs": headline["test_pairs"]} if "test_pairs" in headline else {}
    return {"metrics": metrics, "params": params, "tags": tags}


def mlflow_run_url(tracking_uri: str, run_id: str) -> str:
    """The run's page: on the tracking server itself, or on `make ui` for a local store."""
    base = tracking_uri.rstrip("/") if tracking_uri.startswith(("http://", "https://")) else MLFLOW_UI
    return f"{base}/#/runs/{run_id}"


def mlflow_artifact_url(tracking_uri: str, experiment_id: str, run_id: str, path: str) -> str:
    """A run's artifact opened in the MLflow UI's artifact view (an HTML file shows rendered)."""
    base = mlflow_run_url(tracking_uri, run_id).split("/#/")[0]
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}/artifacts/{path}"
