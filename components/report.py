"""The report: Markdown for the repo and MLflow, a self-contained HTML twin (plots inlined,
no CDN), and the PNG plots both use."""

from __future__ import annotations

import base64
import re
from pathlib import Path

LABELS = ["tie", "1", "2"]


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
    """Validation agreement and kappa against the training tokens seen (the finetune stage's eval steps)."""
    fig, ax = _pyplot().subplots(figsize=(5.5, 3.2))
    tokens = [r["tokens"] for r in rows]
    for key, label in (("val_agreement", "agreement"), ("val_kappa", "Cohen's kappa")):
        if any(key in r for r in rows):
            ax.plot(tokens, [r.get(key, float("nan")) for r in rows], marker="o", label=label)
    ax.set_xlabel("training tokens")
    ax.set_ylabel("on the validation pairs")
    ax.set_ylim(min([0.0, *(r.get("val_kappa", 0.0) for r in rows)]) - 0.05, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def to_html(markdown_text: str, base: Path, title: str = "judgeops report") -> str:
    """Markdown -> one HTML file with every image embedded as a data URI."""
    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables"])

    def inline(match: re.Match) -> str:
        data = base64.b64encode((base / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([^"]+\.png)"', inline, body)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "th{background:#f3f3f3}code{background:#f6f6f6;padding:1px 4px}img{max-width:100%}"
    )
    head = f"<meta charset='utf-8'><title>{title}</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>\n"


def _by_judge(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["judge"], []).append(row)
    return grouped


def _cell(value) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.3f}"
    return str(value)


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
