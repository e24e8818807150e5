"""`judgeops`: one command per pipeline stage (what dvc.yaml runs) and the user's tools.

The stage commands come from the stages' declarations (components/stages/registry.py); validate and
audit also run on a user's own files, so they are written out here.

Expected errors (bad params, bad input files, a missing base model, a failed gate) print one
clear message and exit 1 -- no traceback -- so the Prefect flow can show the stage's own words. An
import that yields nothing usable (an empty file, every row rejected) is such an error too: a zero
exit always means records were written.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Optional

import typer

from components.config import ConfigError
from components.io import RecordError
from components.redaction import install_log_redaction, redact

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
import_app = typer.Typer(
    no_args_is_help=True, help="Convert published judge data into judgeops pairs, questions or scored answers."
)
app.add_typer(import_app, name="import")


def _print_version(wanted: bool) -> None:
    if wanted:
        try:
            typer.echo(f"judgeops {metadata.version('judgeops')}")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("judgeops (not installed: pip install -e .)")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the installed version and exit."
    ),
) -> None:
    pass


def _stage(name: str) -> None:
    """Run one stage, its MLflow run nested in the pipeline run's parent (components/pipeline_run.py); after
    the report, the parent gets the report's figures and files and the registered judge its description."""
    from components.pipeline_run import nest_stage
    from components.stages import execute

    with nest_stage() as parent:
        metrics = execute(name)
        if name == "report" and parent:
            _record_report(parent)
    typer.echo(json.dumps(metrics, indent=2, sort_keys=True, default=str))


def _record_report(parent: str) -> None:
    from components import paths
    from components.champion import recorded_judge
    from components.config import load_params
    from components.pipeline_run import describe_version, log_figures, log_report
    from components.reporting.run_summary import mlflow_run_url, parent_figures
    from components.tracking import tracking_uri

    audit_file = paths.AUDIT / "results.json"
    audit = json.loads(audit_file.read_text()) if audit_file.is_file() else []
    figures = parent_figures(json.loads((paths.REPORTS / "headline.json").read_text()), audit)
    log_figures(parent, figures)
    log_report(parent, paths.REPORTS)
    version = recorded_judge(paths.JUDGE_MODEL).get("registered_version")
    if version is not None and load_params().judge.engine == "torch":  # another engine's figures describe it
        describe_version(str(version), figures, parent, mlflow_run_url(tracking_uri(), parent))


def _stage_command(name: str):
    def command() -> None:
        _stage(name)

    return command


def validate(
    dataset: Optional[Path] = typer.Argument(None, help="A file to check; without it, run the pipeline's gate."),
    suite: str = typer.Option("pairs", help="Suite for DATASET: questions, answers, pairs, judgments."),
) -> None:
    """Great Expectations gates on the generated data, or one suite on your own file."""
    if dataset is None:
        _stage("validate")
        return
    from components.config import load_params
    from components.validation import markdown, validate_file

    result = validate_file(dataset, suite, load_params().validate_)
    typer.echo(markdown(result))
    if not result.passed:
        raise typer.Exit(1)


def audit(
    judge_spec: Optional[str] = typer.Option(
        None,
        "--judge",
        help="finetuned | base | models:/judge@ALIAS | PATH | openai:MODEL@URL | vllm:PATH | scripted:NAME. "
        "In openai:MODEL@URL the URL follows the last @ that starts http:// or https://, so MODEL may hold @ "
        "(openai:judge@champion@http://127.0.0.1:8000/v1)",
    ),
    data: Optional[Path] = typer.Option(None, help="Pairs (JSONL, canonical schema) to audit on"),
    out: Path = typer.Option(Path("audit-results"), help="Folder for results.json and summary.md"),
    api_key_env: Optional[str] = typer.Option(None, help="Environment variable holding an openai judge's key"),
    probes: Optional[str] = typer.Option(None, help="Comma-separated probes to run (default: audit.probes)"),
    self_sources: Optional[str] = typer.Option(
        None,
        help="Comma-separated answer-source prefixes written by the judge's own model family, for the "
        "self_enhancement probe (default: audit.self_sources; unset, only our own judges' family is known)",
    ),
    evalbiasbench: Optional[Path] = typer.Option(
        None,
        help="Pairs from `judgeops import evalbiasbench`: adds the evalbiasbench probe on them (audit.evalbiasbench)",
    ),
    fail_on: str = typer.Option(
        "never",
        "--fail-on",
        help="never | flagged: exit 1, one line per flagged probe, when a probe's 95% CI is wholly past its line",
    ),
) -> None:
    """Bias probes: on every pipeline judge (the stage), or on any judge and dataset you name."""
    if fail_on not in ("never", "flagged"):
        raise ValueError(f"--fail-on {fail_on!r}: expected never or flagged")
    if judge_spec is None and data is None and probes is None and self_sources is None and evalbiasbench is None:
        _stage("audit")
        if fail_on == "flagged":
            from components import paths

            _fail_on_flagged(json.loads((paths.AUDIT / "results.json").read_text()))
        return
    if judge_spec is None or data is None:
        raise ValueError("--judge and --data go together (neither runs the pipeline's audit stage)")
    from components.audit.suite import audit_judge, render_markdown, summary_metrics
    from components.config import load_params
    from components.io import read_records, write_json, write_text
    from components.judges.spec import judge_from_spec
    from components.schemas import Pair
    from components.tracking import stage_run

    params = load_params()
    cfg = _audit_params(params.audit, probes, self_sources, evalbiasbench)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder for results.json, summary.md and judgments.jsonl")
    if not data.is_file():
        raise FileNotFoundError(f"--data {data}: no such file")
    pairs = read_records(data, Pair).records
    judge = judge_from_spec(judge_spec, params, api_key_env)
    with stage_run("audit", {"judge": judge_spec, "data": str(data), "audit": cfg.model_dump(mode="json")}) as tracker:
        results = audit_judge(judge, pairs, cfg, out / "judgments.jsonl")
        write_json(out / "results.json", [r.to_dict() for r in results])
        write_text(out / "summary.md", render_markdown(results))
        tracker.metrics(summary_metrics(results))
        for name in ("results.json", "summary.md", "judgments.jsonl"):  # what it wrote, never the whole --out
            tracker.artifact(out / name, "audit")
    typer.echo(render_markdown(results))
    if fail_on == "flagged":
        _fail_on_flagged([r.to_dict() for r in results])


def _fail_on_flagged(results: list[dict]) -> None:
    """Exit 1 with one line per flagged probe (components/audit/stats.py ``evidence``: its 95% CI wholly
    past its line); "not significant" and "too few items" never fail."""
    flagged = [r for r in results if r.get("flagged")]
    for r in flagged:
        typer.echo(
            f"FLAGGED {r['judge']} {r['probe']}: {r['metric']} {r['value']:.3f} "
            f"(95% CI {r['low']:.3f}-{r['high']:.3f}, {r.get('n', 0)} items)",
            err=True,
        )
    if flagged:
        raise typer.Exit(1)


def _audit_params(cfg, probes: str | None, self_sources: str | None = None, evalbiasbench: Path | None = None):
    """params.yaml's audit section, with ``--probes`` (names checked here, before any work),
    ``--self-sources`` and ``--evalbiasbench`` (which also adds its probe) if given."""
    if evalbiasbench is not None:
        if not evalbiasbench.is_file():
            raise FileNotFoundError(f"--evalbiasbench {evalbiasbench}: no such file")
        cfg = cfg.model_copy(update={"evalbiasbench": str(evalbiasbench)})
    if self_sources is not None:
        named = [source.strip() for source in self_sources.split(",") if source.strip()]
        if not named:
            raise ValueError("--self-sources names no source prefix (e.g. --self-sources model:)")
        cfg = cfg.model_copy(update={"self_sources": named})
    if probes is not None:
        from components.vocabulary import PROBES

        names = [name.strip() for name in probes.split(",") if name.strip()]
        unknown = [name for name in names if name not in PROBES]
        if unknown or not names:
            known = ", ".join(PROBES)
            raise ValueError(f"unknown probe {', '.join(map(repr, unknown)) or '(none given)'}; known: {known}")
        cfg = cfg.model_copy(update={"probes": names})
    if evalbiasbench is not None and "evalbiasbench" not in cfg.probes:  # naming the file asks for its probe
        cfg = cfg.model_copy(update={"probes": [*cfg.probes, "evalbiasbench"]})
    return cfg


def finetune() -> None:
    """LoRA SFT of the base model into a judge, registered in MLflow. With finetune.launcher accelerate
    this command runs itself under `accelerate launch` (finetune.num_processes, finetune.accelerate_config)."""
    from components.config import load_params
    from components.training.launch import relaunch, relaunch_wanted

    cfg = load_params().finetune
    if relaunch_wanted(cfg):
        code = relaunch(cfg, ("-m", "components.cli", "finetune"))  # every rank runs this command again
        if code:
            raise typer.Exit(code)
        return
    _stage("finetune")


# Stages whose command does more than run the stage.
_OWN_COMMANDS = {"validate": validate, "audit": audit, "finetune": finetune}


def _register_stages() -> None:
    """One command per declared stage, in pipeline order, named as dvc.yaml's ``cmd`` calls it."""
    from components.stages.registry import STAGES

    for stage in STAGES.values():
        own = _OWN_COMMANDS.get(stage.name)
        if own is not None:
            app.command(stage.command)(own)
        else:
            app.command(stage.command, help=f"{stage.help} Reads params {', '.join(stage.params)}.")(
                _stage_command(stage.name)
            )


_register_stages()


@app.command("dvc-yaml")
def dvc_yaml(
    check: bool = typer.Option(False, "--check", help="Exit 1 if dvc.yaml differs from the declarations"),
    write: bool = typer.Option(False, "--write", help="Write dvc.yaml from the declarations"),
) -> None:
    """dvc.yaml as the stages declare it (printed, checked or written)."""
    from components.dvc_yaml import DVC_YAML, render
    from components.stages.registry import STAGES

    wanted = render(STAGES.values())
    if write:
        DVC_YAML.write_text(wanted)
        typer.echo(f"wrote {DVC_YAML}")
    elif check:
        found = DVC_YAML.read_text() if DVC_YAML.exists() else ""
        if found != wanted:
            raise ValueError(_drift(found, wanted))
        typer.echo(f"{DVC_YAML} matches the stage declarations")
    else:
        typer.echo(wanted, nl=False)


def _drift(found: str, wanted: str) -> str:
    import difflib

    diff = difflib.unified_diff(found.splitlines(), wanted.splitlines(), "dvc.yaml", "declared", lineterm="")
    return "dvc.yaml differs from the stage declarations (run `judgeops dvc-yaml --write`):\n" + "\n".join(diff)


@app.command()
def profile(name: str = typer.Argument(..., help="A file name in profiles/, without .yaml")) -> None:
    """Apply a profile's overrides to params.yaml, the way `dvc exp run -S` edits it."""
    from components.profiles import apply_profile

    changed = apply_profile(name)
    typer.echo(f"applied profile {name!r}: {len(changed)} keys changed in params.yaml")


@app.command()
def score(
    gold: Path,
    pred: Path,
    gold_format: str = typer.Option("auto", help="auto | canonical | pandalm | judgelm | critiquellm | scored"),
    id_field: Optional[str] = typer.Option(None, help="Id field of PRED records"),
    verdict_field: Optional[str] = typer.Option(None, help="Verdict field of PRED records"),
    score_field: Optional[str] = typer.Option(None, help="Score field of PRED records (pointwise gold)"),
    failures: str = typer.Option("separate", help="separate (failures are wrong) | tie (as PandaLM/JudgeLM published)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write every metric as JSON here"),
    resamples: int = typer.Option(1000, help="Bootstrap resamples for the CIs (0 = no intervals)"),
) -> None:
    """Score any predictions file against gold verdicts (or, for pointwise gold, gold scores), aligned by id."""
    from components.io import write_json
    from components.scoring import render_table, score_files

    metrics = score_files(
        gold, pred, gold_format, id_field, verdict_field, failures, n_resamples=resamples, score_field=score_field
    )
    typer.echo(render_table(metrics))
    if json_out:
        write_json(json_out, metrics)


@app.command()
def compare(run_a: str, run_b: str) -> None:
    """Metric deltas between two runs (MLflow run ids, flow runs, or experiment names)."""
    from rich.console import Console

    from components.compare import compare as compare_runs
    from components.compare import render

    Console(width=160).print(render(*compare_runs(run_a, run_b)))


def _import_command(kind: str):
    def command(
        path: Path = typer.Argument(..., help="File or folder to import"),
        out: Path = typer.Option(..., "--out", help="Where to write the records (JSONL)"),
        on_error: str = typer.Option("raise", "--on-error", help="raise | skip (bad rows go to --rejects)"),
        rejects: Optional[Path] = typer.Option(None, "--rejects", help="Rejected rows (default OUT.rejects.jsonl)"),
    ) -> None:
        from components.data.importers import import_any
        from components.io import write_jsonl

        target = rejects or out.with_suffix(".rejects.jsonl")
        _refuse_same_file(out, target)
        result = import_any(kind, path, on_error)
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        what, records = _WHAT[result.holds], result.records
        if on_error == "skip":
            write_jsonl(target, result.rejects)
            typer.echo(f"{len(result.rejects)} rows rejected -> {target}", err=True)
        if not records:
            raise ImportRefused(_nothing_imported(path, what, out, result, target))
        count = write_jsonl(out, records)
        typer.echo(f"wrote {count} {what} to {out}")

    command.__doc__ = f"Import {kind} data into the canonical schema."
    return command


_WHAT = {"pairs": "pairs", "questions": "questions", "scored": "scored answers"}


class ImportRefused(ValueError):
    """An import that produced nothing usable, or was asked to write its rejects over its output."""


def _refuse_same_file(out: Path, rejects: Path) -> None:
    if out.resolve() == rejects.resolve():
        raise ImportRefused(f"--rejects {rejects} is the --out file: name another file for the rejected rows")


def _nothing_imported(path: Path, what: str, out: Path, result, target: Path) -> str:
    if result.rejects:
        return f"{path}: all {len(result.rejects)} rows were rejected; nothing written to {out} (reasons in {target})"
    why = " (see the warnings above)" if result.warnings else ""
    return f"{path}: no {what} to import{why}; nothing written to {out}"


def _register_importers() -> None:
    from components.data.importers import KINDS

    for kind in KINDS:
        import_app.command(kind.replace("_", "-"))(_import_command(kind))


_register_importers()


@app.command()
def serve(
    model: str = typer.Option(
        ..., "--model", help="finetuned | base | models:/judge@ALIAS | a model folder | a LoRA adapter folder"
    ),
    port: int = typer.Option(8000, help="Port on 127.0.0.1"),
    base: Optional[str] = typer.Option(
        None, help="Base model for an adapter (default: its adapter_config, else data/base_model)"
    ),
    max_body_bytes: int = typer.Option(1 << 20, help="Larger request bodies get a 413"),
    max_tokens: int = typer.Option(1024, help="Requests asking for more completion tokens get a 400 (not clamped)"),
    max_queue: int = typer.Option(64, help="Requests waiting for the model; beyond it, a 429 with Retry-After"),
    allowed_host: list[str] = typer.Option(
        [], help="A Host header to serve besides 127.0.0.1, localhost and [::1] (any port); repeatable"
    ),
    shutdown_grace: float = typer.Option(5.0, help="Seconds requests in flight get to finish on SIGTERM/Ctrl-C"),
) -> None:
    """Serve a judge over an OpenAI-compatible API (/v1/chat/completions, /v1/models) on 127.0.0.1."""
    from components.serving.guards import Limits
    from components.serving.server import serve_command

    limits = Limits(max_body_bytes, max_tokens, max_queue, tuple(allowed_host), shutdown_grace)
    serve_command(model, port, base, limits)


@app.command()
def summary() -> None:
    """The headline metrics of the last run, and where its report, runs and judge are."""
    from components import paths
    from components.reporting.run_summary import answer_line, source_line
    from components.tracking import alias_version, tracking_uri

    headline = json.loads((paths.REPORTS / "headline.json").read_text())
    for name in ("finetuned", "base"):
        typer.echo(
            f"{name:10} agreement {headline[f'{name}.accuracy']:.3f} "
            f"[{headline[f'{name}.accuracy_low']:.3f}, {headline[f'{name}.accuracy_high']:.3f}]  "
            f"kappa {headline[f'{name}.cohen_kappa']:.3f}  F1 {headline[f'{name}.f1_macro']:.3f}  "
            f"raw consistency {headline.get(f'{name}.consistency', float('nan')):.3f}  "
            f"parse failures {headline[f'{name}.parse_failure_rate']:.1%}"
        )
        if f"{name}.calibrated_accuracy" in headline:
            typer.echo(
                f"{'':10} swap-averaged agreement {headline[f'{name}.calibrated_accuracy']:.3f}  "
                f"kappa {headline[f'{name}.calibrated_cohen_kappa']:.3f} (consistent by construction)"
            )
        if f"{name}.correct_vs_wrong_auc" in headline:
            typer.echo(f"{'':10} {answer_line(headline, name)}")
            typer.echo(f"{'':10} {source_line(headline, name)}")
    gain = headline.get("agreement_gain")
    if gain is not None:
        typer.echo(
            f"gain       {gain:+.3f} [{headline['agreement_gain_low']:+.3f}, {headline['agreement_gain_high']:+.3f}] "
            "agreement over the base (paired bootstrap)"
        )
    for key in sorted(k for k in headline if k.startswith("human.") and k.endswith(".accuracy")):
        typer.echo(f"human      {key.removeprefix('human.').removesuffix('.accuracy')}: agreement {headline[key]:.3f}")
    card_file = paths.REPORTS / "judge_card.json"
    if card_file.exists():
        decision = json.loads(card_file.read_text()).get("decision") or {}
        if decision:
            state = "promoted" if decision.get("promoted") else "not promoted"
            typer.echo(f"champion   v{decision.get('version', '?')} {state}: {decision.get('why', '')}")
        typer.echo(f"card:     {card_file.resolve()} (judgeops card models:/judge@champion)")
    typer.echo(f"report:   {(paths.REPORTS / 'report.md').resolve()} (and report.html)")
    typer.echo(f"MLflow:   {tracking_uri()}  (make ui -> http://127.0.0.1:5000)")
    for alias in ("candidate", "champion"):
        found = alias_version(alias)
        if found:
            typer.echo(f"judge:    models:/judge@{alias} = version {found['version']}")


def _register_card_commands() -> None:
    from components.card.commands import register

    register(app)  # judgeops card, promote, gate


_register_card_commands()


def _register_benchmark_commands() -> None:
    from components.benchmarks.commands import register

    register(app)  # judgeops evaluate


_register_benchmark_commands()


@app.command()
def templates() -> None:
    """List the registered judge prompt templates."""
    from components.judges.templates import get_template, list_templates

    for name in list_templates():
        t = get_template(name)
        typer.echo(f"{name:22} {t.kind:9} output={t.output}")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every cleanup runs: open MLflow runs end KILLED, files close."""


_terminated: list[float] = []  # when each SIGTERM arrived (time.monotonic)
# A SIGTERM this soon after the first is the same teardown signalled twice (the flow signals the stage's
# process group, then the group's watchdog does): it must not cut the first one's cleanup short.
REPEAT_S = 1.0


def _terminate(signum, frame) -> None:
    now = time.monotonic()
    if _terminated:
        if now - _terminated[0] < REPEAT_S:
            return
        # A second SIGTERM, sent on purpose: the cleanup is taking too long. End now, as SIGTERM would.
        os.write(2, b"terminated again: exiting without waiting for the cleanup\n")
        os._exit(128 + signal.SIGTERM)
    _terminated.append(now)
    raise Terminated()


def main() -> None:
    quiet_dependencies(sys.stderr.isatty())
    logging.basicConfig(level=os.environ.get("JUDGEOPS_LOG", "INFO"), format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "alembic", "mlflow", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_log_redaction()  # a URL's credentials never reach a log line
    signal.signal(signal.SIGTERM, _terminate)
    try:
        try:
            app()
        except KeyboardInterrupt:  # typer turns one inside a command into exit 130 itself
            sys.exit(130)
    except SystemExit as done:
        if done.code != 130 and not _terminated:
            raise
        what = "terminated" if _terminated else "interrupted"
        typer.echo(f"{what}: finished records are kept; rerun to resume", err=True)
        _exit_now(128 + (signal.SIGTERM if _terminated else signal.SIGINT))
    except Exception as exc:  # expected failure kinds get one clean line, anything else a traceback
        if not _expected(exc):
            raise
        typer.echo(f"judgeops: error: {redact(str(exc))}", err=True)
        sys.exit(1)


def quiet_dependencies(tty: bool) -> None:
    """Off a terminal (``dvc repro``, a Prefect flow's log, CI), no dependency's bar redrawn with ``\\r`` (the
    Hugging Face libraries' "Loading weights" arrives as one garbled line; our own progress prints plain lines)
    and no deprecation warning about an attribute peft reads inside transformers, which no user can act on."""
    if not tty:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when transformers is first imported
        os.environ.setdefault("TQDM_DISABLE", "1")  # plain tqdm bars (transformers' GGUF conversion) read it
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def _exit_now(code: int) -> None:
    """Exit after an interrupt, once the cleanups have run (MLflow runs ended KILLED, files closed), without
    the interpreter's teardown: abandoned API requests' threads and the garbage collection of a loaded
    model would otherwise hold the exit up for as long as a request or the collection takes."""
    if "pytest" in sys.modules:  # in-process (tests): leave as any command does
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _expected(exc: Exception) -> bool:
    from components.models import BaseModelMissing
    from components.stages import StageFailed

    return isinstance(exc, (ConfigError, RecordError, BaseModelMissing, StageFailed, FileNotFoundError, ValueError))


if __name__ == "__main__":  # python -m components.cli, as well as the judgeops entry point
    main()
