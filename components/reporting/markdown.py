"""report.md: the figures the report stage gathered, as Markdown tables and sentences (also the MLflow
artifact and, through ``html``, report.html). Rendering only: every input arrives in ``Findings``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from components import paths
from components.answer_quality import KIND_NAMES


@dataclass(frozen=True)
class Findings:
    """What the report states. ``evaluations``: ``evaluation.evaluate`` per pipeline judge; ``human``: the
    same per human-labelled set and judge; ``gain``: the agreement gain with its CI; ``decision``:
    ``champion.promote``'s; ``audit``: the audit's rows; ``gate``: the validation results (None when
    missing); ``wall_times``: [stage, seconds] rows; ``provenance``: Markdown lines; ``plots``: paths by
    name, relative to the report."""

    teacher: str
    test_pairs: int
    evaluations: dict[str, dict]
    human: dict[str, dict[str, dict]]
    gain: dict
    decision: dict
    audit: list[dict]
    gate: dict | None
    wall_times: list[list]
    provenance: str
    plots: dict[str, str]
    answers: dict[str, dict] = field(default_factory=dict)


def render(found: Findings) -> str:
    evaluations, plots, gain = found.evaluations, found.plots, found.gain
    categories = sorted({c for ev in evaluations.values() for c in ev["per_category"]})
    per_category = [[c] + [_share(evaluations[n]["per_category"].get(c)) for n in evaluations] for c in categories]
    sections = [
        "# judgeops report",
        f"Test split: {found.test_pairs} pairs labelled by the `{found.teacher}` teacher; each judge saw every pair "
        "in both orders. Agreement is on the original order; parse failures count as wrong, never as ties. "
        "Brackets: 95% bootstrap intervals, resampling questions.",
        "## Headline",
        headline_table(evaluations),
        *calibrated_lines(evaluations),
        f"**Agreement gain of the fine-tuned judge over the base:** {gain['value']:+.3f} "
        f"[{gain['low']:+.3f}, {gain['high']:+.3f}] (paired bootstrap over questions).",
        f"**Champion decision:** {'promoted' if found.decision['promoted'] else 'not promoted'} -- "
        f"{found.decision['why']}.",
        "## Right from wrong, and per answer source",
        answers_section(found.answers),
        "## Learning curve",
        f"![learning curve]({plots['learning_curve']}) (validation pairs at each eval step: agreement, kappa and "
        "the correct-vs-wrong AUC of the val answers; **the best step, the one kept, is chosen by val agreement "
        "alone**; `dvc plots show metrics/learning_curve.json` draws the same data)",
        "## Confusion matrices",
        " ".join(f"![{k}]({v})" for k, v in plots.items() if k.startswith("confusion")),
        "## Human-labelled evaluation",
        human_section(found.human),
        "## Agreement per category",
        table(["category"] + list(evaluations), per_category),
        "## Bias audit",
        audit_table(found.audit),
        "## Data validation",
        validation_summary(found.gate),
        data_docs_link(),
        "## Score correlation with the teacher",
        correlation_table(evaluations),
        "## Scores and calibration",
        f"![scores]({plots['scores']}) ![calibration]({plots['calibration']})",
        "## Wall time per stage",
        table(["stage", "seconds"], found.wall_times),
        "## Provenance",
        found.provenance,
    ]
    return "\n\n".join(sections) + "\n"


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def headline_table(evaluations: dict[str, dict]) -> str:
    rows = []
    for name, ev in evaluations.items():
        m, ci = ev["metrics"], ev["cis"]
        rows.append(
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
    headers = [
        "judge",
        "agreement",
        "precision (macro)",
        "recall (macro)",
        "F1 (macro)",
        "Cohen's kappa",
        "parse failures",
        "consistency",
    ]
    return table(headers, rows)


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


def answers_section(answers: dict[str, dict]) -> str:
    """The correct-vs-wrong AUC and the per-source table of each judge (``answer_quality``)."""
    if not answers:
        return "No per-answer figures."
    lines = [
        "Each distinct test answer once (an answer appears in several pairs and in both orders): the judge's "
        "score for it (in logprob mode its expected score) against the teacher's. The AUC is the chance that the "
        "judge scores a `correct` answer above a `wrong` one (0.5: chance; 1.0: always); brackets: 95% bootstrap "
        "over questions."
    ]
    for name, found in answers.items():
        auc = found["auc"]
        lines.append(
            f"**{name}:** correct-vs-wrong AUC {_cell(auc['value'])} [{_cell(auc['low'])}, {_cell(auc['high'])}] "
            f"({auc['n_correct']} correct, {auc['n_wrong']} wrong answers); mean absolute error on the base "
            f"model's own answers {_two(found['model_answers_mae'])}."
        )
    first = next(iter(answers.values()))["rows"]
    rows = []
    for i, row in enumerate(first):
        cells = [KIND_NAMES.get(row["kind"], row["kind"]), row["n"], _two(row["teacher"])]
        for found in answers.values():
            own = found["rows"][i]
            scored = "" if own["judged"] == own["n"] else f" ({own['judged']} scored)"
            cells += [_two(own["judge"]) + scored, _two(own["mae"])]
        rows.append(cells)
    headers = ["answer source", "n", "teacher"]
    for name in answers:
        headers += [f"{name} judge", f"{name} abs. error"]
    lines.append(table(headers, rows))
    return "\n\n".join(lines)


def human_section(human: dict[str, dict]) -> str:
    if not human:
        return (
            "No human-labelled set was named (judge.human_eval). PandaLM's test set, for one: "
            "`judgeops import pandalm ../shared/data/pandalm/testset-v1.json --out data/human/pandalm.jsonl`, "
            "then `dvc exp run -S 'judge.human_eval=[data/human/pandalm.jsonl]'`."
        )
    rows, subsets, unlabelled = [], [], []
    for set_name, by_judge in human.items():
        for name, ev in by_judge.items():
            m, ci = ev["metrics"], ev["cis"]["accuracy"]
            both = ev["cis"].get("both_orders")
            if ev.get("unlabelled"):
                unlabelled.append(f"{set_name}: {ev['unlabelled']} pairs without a majority label left out")
            for subset, (share, count) in ev.get("per_category", {}).items():
                both_share = ev.get("per_category_both", {}).get(subset, (None, 0))[0]
                subsets.append([set_name, subset, name, count, share, "" if both_share is None else both_share])
            calibrated = ev["calibrated"]["metrics"]["accuracy"] if ev["calibrated"] else ""
            rows.append(
                [
                    set_name,
                    name,
                    m["n"],
                    f"{ci['value']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]",
                    m["f1_macro"],
                    m["cohen_kappa"],
                    f"{both['value']:.3f} [{both['low']:.3f}, {both['high']:.3f}]" if both else "",
                    f"{m['parse_failures']}/{m['n']}",
                    ev["consistency"]["consistency"],
                    calibrated,
                ]
            )
    headers = [
        "set",
        "judge",
        "pairs",
        "agreement",
        "F1 (macro)",
        "kappa",
        "both orders",
        "failures",
        "consistency",
        "swap-averaged",
    ]
    text = (
        "Agreement with the human majority (or the objectively checked label) on the original order, and right in "
        "both orders "
        "(out of domain for a judge trained on the oracle's families: no reference, open-ended tasks; a judge "
        "near chance here is near 0.5, and EvalBiasBench's label is always the first answer, so only 'both "
        "orders' means anything there). Brackets: 95% bootstrap over questions.\n\n" + table(headers, rows)
    )
    if len(subsets) > len(rows):  # some set has subsets (LLMBar's, a bias type, a source, a scenario)
        subset_headers = ["set", "subset", "judge", "pairs", "agreement", "both orders"]
        text += "\n\nPer subset of each set:\n\n" + table(subset_headers, subsets)
    if unlabelled:
        text += "\n\n" + "; ".join(dict.fromkeys(unlabelled)) + "."
    return text


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


def _interval(result: dict) -> str:
    """A probe's 95% CI, or "n/a" and why there is none (skipped, too few items) -- never ``[nan, nan]``."""
    low, high = result.get("low", math.nan), result.get("high", math.nan)
    if not (math.isnan(low) or math.isnan(high)):
        return f"[{low:.3f}, {high:.3f}]"
    if result.get("skipped"):
        return "n/a (not run)"
    return f"n/a ({result.get('evidence') or 'no interval'}: n = {result.get('n', 0)})"


def audit_table(audit: list[dict]) -> str:
    if not audit:
        return "No probes ran."
    rows = [
        [
            r["judge"],
            r["probe"],
            r["metric"],
            r["value"],
            _interval(r),
            r.get("n", ""),
            ", ".join(f"{family} {count}" for family, count in r.get("families", {}).items()),
            "skipped" if r.get("skipped") else "**FLAGGED**" if r["flagged"] else r.get("evidence", "ok"),
        ]
        for r in audit
    ]
    samples = "".join(f"Audited {sample}. " for sample in dict.fromkeys(r.get("sample", "") for r in audit) if sample)
    rule = (
        "A probe is flagged only when its 95% CI lies wholly past its line; past the line by the point estimate "
        "alone is *not significant*, and fewer than 10 items is *too few items*: neither is flagged."
    )
    verdicts = "\n".join(f"- **{r['judge']}** {r['verdict']}" for r in audit)
    headers = ["judge", "probe", "metric", "value", "95% CI", "n", "families", "flag"]
    return f"{samples}{rule}\n\n" + table(headers, rows) + "\n\n" + verdicts


def validation_summary(gate: dict | None) -> str:
    """The gate's warnings (critical failures never get this far: they stop the pipeline)."""
    if gate is None:
        return "No validation results."
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


def data_docs_link() -> str:
    """The validate stage's Data Docs sit beside the report, so one relative link serves report.md,
    report.html and the copies MLflow keeps."""
    target = (paths.DATA_DOCS / "index.html").relative_to(paths.REPORTS).as_posix()
    return f"Every expectation, dataset by dataset: [Great Expectations Data Docs]({target}) (static HTML, offline)."


def _share(value) -> str:
    return "n/a" if value is None else f"{value[0]:.2f} (n={value[1]})"


def _two(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}"


def _cell(value) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.3f}"
    return str(value)
