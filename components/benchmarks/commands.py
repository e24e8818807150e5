"""``judgeops evaluate``: any judge on any labelled set, one MLflow run per judge and set (registered on the
app by components/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def evaluate(
    judge_spec: str = typer.Option(
        ...,
        "--judge",
        help="finetuned | base | models:/judge@ALIAS | PATH | openai:MODEL@URL | vllm:PATH | scripted:NAME",
    ),
    data: Path = typer.Option(..., help="Labelled pairs (JSONL, canonical schema: `judgeops import ...` writes it)"),
    out: Path = typer.Option(
        Path("eval-results"), help="Folder for judgments.jsonl (resumed), figures.json, summary.md"
    ),
    max_pairs: Optional[int] = typer.Option(
        None, min=1, help="At most this many pairs, spread evenly through the file"
    ),
    api_key_env: Optional[str] = typer.Option(None, help="Environment variable holding an openai judge's key"),
) -> None:
    """Judge a labelled set in both orders and report agreement, kappa, both-orders accuracy, positional
    agreement and parse failures with 95% CIs, overall and per subset; one MLflow run per judge and set."""
    from components.benchmarks.figures import render, set_figures
    from components.config import load_params
    from components.io import file_md5, read_records, write_json, write_text
    from components.judges.base import both_orders
    from components.judges.cache import judge_cached
    from components.judges.spec import judge_from_spec
    from components.schemas import Pair
    from components.subsets import spread
    from components.tracking import stage_run

    if not data.is_file():
        raise FileNotFoundError(f"--data {data}: no such file")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder")
    params = load_params()
    pairs = spread(read_records(data, Pair).records, max_pairs)
    judge = judge_from_spec(judge_spec, params, api_key_env)
    name = data.stem
    settings = {"judge": judge_spec, "data": str(data), "data_md5": file_md5(data), "set": name, "pairs": len(pairs)}
    with stage_run("evaluate", settings) as tracker:
        tracker.tags({"mlflow.runName": f"{name} · {judge_spec}"})
        judgments, _ = judge_cached(judge, both_orders(pairs), out / "judgments.jsonl")
        figures = set_figures(pairs, judgments, params.report.bootstrap, params.report.seed)
        summary = render(figures, judge_spec, str(data))
        write_json(out / "figures.json", figures)
        write_text(out / "summary.md", summary)
        tracker.metrics(figures)
        for file in ("figures.json", "summary.md", "judgments.jsonl"):
            tracker.artifact(out / file, "evaluate")
    typer.echo(summary, nl=False)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
