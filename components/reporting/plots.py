"""The report's PNG plots: each judge's confusion matrix, the score histograms, agreement by score margin
and the learning curve (val agreement, kappa and correct-vs-wrong AUC, with the best step, chosen by val
agreement, marked). ``draw`` makes the set the report shows; the others draw one plot each."""

from __future__ import annotations

from pathlib import Path

from components.schemas import Pair

LABELS = ["tie", "1", "2"]


def draw(test: list[Pair], evaluations: dict[str, dict], curve: list[dict], folder: Path) -> dict[str, str]:
    """The report's plots of ``evaluations`` (``evaluation.evaluate`` per judge) on ``test`` and of the
    finetune stage's learning ``curve``, written under ``folder``; returns each plot's path relative to
    ``folder``'s parent, where the report lies, by name."""
    plots = {}
    for name, ev in evaluations.items():
        m = ev["metrics"]
        plot_confusion(
            m["confusion"], m["confusion_failures"], f"{name} judge vs teacher", folder / f"confusion_{name}.png"
        )
        plots[f"confusion_{name}"] = f"{folder.name}/confusion_{name}.png"
    series = {"teacher": [s for p in test for s in (p.score1, p.score2) if s is not None]}
    for name, ev in evaluations.items():
        series[name] = [s for j in ev["judgments"] for s in (j.score1, j.score2) if s is not None]
    plot_scores(series, "Scores on the test split", folder / "scores.png")
    plots["scores"] = f"{folder.name}/scores.png"
    rows = [dict(row, judge=name) for name, ev in evaluations.items() for row in ev["calibration"]]
    plot_calibration(rows, "Agreement by score margin", folder / "calibration.png")
    plots["calibration"] = f"{folder.name}/calibration.png"
    plot_learning_curve(curve, "Learning curve of the fine-tuned judge", folder / "learning_curve.png")
    plots["learning_curve"] = f"{folder.name}/learning_curve.png"
    return plots


def plot_confusion(confusion: list[list[int]], failures: list[int], title: str, path: Path) -> Path:
    """Gold verdicts in rows; predicted verdicts, plus a column for parse failures, in columns."""
    table = [row + [fail] for row, fail in zip(confusion, failures, strict=True)]
    fig, ax = _pyplot().subplots(figsize=(4.2, 3.4))
    ax.imshow(table, cmap="Blues")
    ax.set_xticks(range(4), LABELS + ["failed"])
    ax.set_yticks(range(3), LABELS)
    ax.set_xlabel("judge")
    ax.set_ylabel("teacher")
    for i, row in enumerate(table):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center")
    ax.set_title(title)
    return _save(fig, path)


def plot_scores(series: dict[str, list[float]], title: str, path: Path) -> Path:
    """Histogram of 1-10 scores for each source (teacher and judges)."""
    fig, ax = _pyplot().subplots(figsize=(5.5, 3.2))
    bins = [x + 0.5 for x in range(0, 11)]
    for name, values in series.items():
        if values:
            ax.hist(values, bins=bins, alpha=0.5, label=f"{name} (n={len(values)})")
    ax.set_xlabel("score")
    ax.set_ylabel("count")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_calibration(bins: list[dict], title: str, path: Path) -> Path:
    """Agreement with the teacher as a function of the judge's score margin |s1 - s2|."""
    fig, ax = _pyplot().subplots(figsize=(5.5, 3.2))
    for name, rows in _by_judge(bins).items():
        ax.plot([r["margin"] for r in rows], [r["agreement"] for r in rows], marker="o", label=name)
    ax.set_xlabel("judge score margin |s1 - s2|")
    ax.set_ylabel("agreement with teacher")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_learning_curve(rows: list[dict], title: str, path: Path) -> Path:
    """Validation agreement, kappa and the correct-vs-wrong AUC of the val answers against the training
    tokens seen (the finetune stage's eval steps), with the best step marked: the one with the highest val
    agreement, which the trainer keeps (kappa and AUC are shown, never chosen by)."""
    fig, ax = _pyplot().subplots(figsize=(5.5, 3.2))
    tokens = [r["tokens"] for r in rows]
    series = (("val_agreement", "agreement"), ("val_kappa", "Cohen's kappa"), ("val_auc", "AUC correct vs wrong"))
    for key, label in series:
        values = [r.get(key, float("nan")) for r in rows]
        if any(v == v for v in values):
            ax.plot(tokens, values, marker="o", label=label)
    best = best_row(rows)
    if best is not None:
        ax.axvline(best["tokens"], color="grey", linestyle="--", linewidth=1, label="best step (by val agreement)")
    ax.set_xlabel("training tokens")
    ax.set_ylabel("on the validation pairs")
    kappas = [r.get("val_kappa", 0.0) for r in rows]
    ax.set_ylim(min([0.0, *(k for k in kappas if k == k)]) - 0.05, 1.05)
    ax.set_title(title)
    if rows:
        ax.legend(fontsize=8)
    return _save(fig, path)


def best_row(rows: list[dict]) -> dict | None:
    """The eval row the trainer keeps: the first with the highest val agreement (None without one)."""
    scored = [r for r in rows if r.get("val_agreement") is not None and r["val_agreement"] == r["val_agreement"]]
    return max(scored, key=lambda r: r["val_agreement"]) if scored else None


def _by_judge(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["judge"], []).append(row)
    return grouped


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def _pyplot():
    """matplotlib's pyplot on the Agg backend, loaded by the first plot rather than by every import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
