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


def audit_flags(metrics: dict) -> list[dict]:
    """Rows (judge, probe, metric, value, flag) from the audit stage's flat metrics
    (``judge.probe.metric``, ``judge.probe.flagged``, ``judge.probe.skipped``)."""
    rows = []
    for key in sorted(metrics):
        prefix, _, last = key.rpartition(".")
        if last not in ("flagged", "skipped"):
            continue
        judge, _, probe = prefix.rpartition(".")
        measured = [k for k in metrics if k.startswith(f"{prefix}.") and k.rpartition(".")[2] != "flagged"]
        metric = measured[0].rpartition(".")[2] if last == "flagged" and measured else ""
        rows.append(
            {
                "judge": judge,
                "probe": probe,
                "metric": metric,
                "value": round(metrics[f"{prefix}.{metric}"], 3) if metric else None,
                "flag": "skipped" if last == "skipped" else "FLAGGED" if metrics[key] else "ok",
            }
        )
    return rows


def audit_result_flags(results: list[dict]) -> list[dict]:
    """The same rows from an audit's results.json (`judgeops audit --out`, the flow's audit mode)."""
    return [
        {
            "judge": r["judge"],
            "probe": r["probe"],
            "metric": "" if r.get("skipped") else r["metric"],
            "value": None if r.get("skipped") else round(r["value"], 3),
            "flag": "skipped" if r.get("skipped") else "FLAGGED" if r["flagged"] else r.get("evidence") or "ok",
        }
        for r in results
    ]


def mlflow_run_url(tracking_uri: str, run_id: str) -> str:
    """The run's page: on the tracking server itself, or on `make ui` for a local store."""
    base = tracking_uri.rstrip("/") if tracking_uri.startswith(("http://", "https://")) else MLFLOW_UI
    return f"{base}/#/runs/{run_id}"
