"""One MLflow parent run per pipeline run, however the pipeline was started.

The Prefect flow opens its parent itself (flows/pipeline.py) and hands its id down in
``JUDGEOPS_PARENT_RUN_ID``. Under plain ``dvc repro`` (``make run``, ``dvc exp run``) each stage is a
process of its own that DVC starts, so the stages find their parent by the DVC process they run under:
the first stage of a repro creates the parent, tagged with that process's key, and every later stage of
the same repro finds it by the tag and nests its own run under it. The parent is RUNNING while a stage
runs and takes each stage's end status, so a repro that stops after finetune leaves a FINISHED parent
with the stages that ran, and a failed stage leaves it FAILED.

The parent says what ran (its name: profile or DVC experiment, a short hash of params.yaml, the git
rev, the time; its tags: the profile, the params changed from the committed params.yaml, the DVC
experiment) and, once the report stage has run, carries the report's headline figures under the
report's own names (components/reporting/run_summary.py ``parent_figures``), so the MLflow runs table
and compare view set pipeline runs side by side.

This is the wrapper's business, like the ``dvc`` command itself: no stage imports this module, and
what it records never changes a stage's outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from components.config import PARAMS_FILE, load_yaml
from components.tracking import PARENT_ENV, _mlflow, _short, end_status, experiment_id, git_rev

NAN = float("nan")
KEY_TAG = "judgeops.pipeline_run"
KEY_ENV = "JUDGEOPS_PIPELINE_RUN"  # set it to group stages started some other way under one parent
DESCRIPTION_TAG = "mlflow.note.content"  # what the MLflow UI shows as a run's or experiment's description
KIND_TAG = "mlflow.experimentKind"  # the MLflow UI's view of an experiment: its runs table, or GenAI traces
EXPERIMENT_DESCRIPTION = (
    "judgeops pipeline runs. Each top-level run is one pipeline run (`dvc repro`, `make run`, `dvc exp run` "
    "or the Prefect flow), named after its profile or DVC experiment, the params.yaml hash, the git rev and "
    "the time; it carries the report's headline figures for each judge -- agreement, kappa and macro F1 with "
    "their 95% CIs, the correct-vs-wrong AUC, consistency, parse failures, the Pearson/Spearman/Kendall "
    "correlations with the teacher's scores at sample, text and system level, and each bias probe's value "
    "(its flag is a tag). Expand a run for its stages' runs; select two and Compare to set them side by side."
)


def invocation_key() -> str | None:
    """What groups this stage with the other stages of one pipeline run: ``JUDGEOPS_PIPELINE_RUN`` when set,
    else the ``dvc`` process this stage runs under (host, pid and start time), else None (a stage run by
    hand, outside any pipeline)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV]
    if "DVC_STAGE" not in os.environ:  # DVC sets it for every stage command it runs
        return None
    dvc = _dvc_ancestor()
    if dvc is None:
        return None
    pid, started = dvc
    return f"{socket.gethostname()}:{pid}:{started}"


def _dvc_ancestor() -> tuple[int, int] | None:
    """(pid, start time in ms) of the nearest ancestor process that is DVC's command line."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        process = psutil.Process().parent()
        while process is not None:
            argv = process.cmdline()
            if any(Path(part).name == "dvc" for part in argv[:2]) or argv[1:3] == ["-m", "dvc"]:
                return process.pid, int(process.create_time() * 1000)
            process = process.parent()
    except psutil.Error:
        return None
    return None


def describe(params_file: Path = PARAMS_FILE) -> dict:
    """What this pipeline run is: its profile (the profile in profiles/ whose every override params.yaml
    holds, the one with most keys; ``default`` when none does), the params changed from the committed
    params.yaml, the DVC experiment, params.yaml's sha256 and the git rev."""
    text = Path(params_file).read_text(encoding="utf-8")
    current = load_yaml(text, params_file) or {}
    committed = _committed(params_file)
    before = _flat(committed)
    changed = {k: v for k, v in _flat(current).items() if before.get(k) != v}
    return {
        "profile": infer_profile(current),
        "changed": changed,
        "experiment": os.environ.get("DVC_EXP_NAME", ""),
        "params_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "git_rev": git_rev(),
    }


def infer_profile(params: dict, profiles: Path = Path("profiles")) -> str:
    flat = _flat(params)
    best, size = "default", 0
    for path in sorted(Path(profiles).glob("*.yaml")):
        overrides = _flat(load_yaml(path.read_text(encoding="utf-8"), path) or {})
        if overrides and all(flat.get(k) == v for k, v in overrides.items()) and len(overrides) > size:
            best, size = path.stem, len(overrides)
    return best


def run_name(label: str, params_sha256: str, rev: str, when: float | None = None) -> str:
    """``tiny · params 3f2a1c · rev 485c645 · 05-12 14:03``: what ran, on which params and code, when."""
    stamp = time.strftime("%m-%d %H:%M", time.localtime(when))
    return f"{label} · params {params_sha256[:6]} · rev {rev[:7]} · {stamp}"


def parent_tags(what: dict, started_by: str) -> dict:
    changed = ", ".join(k if v is None else f"{k}={json.dumps(v)}" for k, v in sorted(what["changed"].items()))
    changed = changed or "none"
    tags = {
        "judgeops.profile": what["profile"],
        "judgeops.changed_params": changed,
        "judgeops.params_sha256": what["params_sha256"],
        "judgeops.started_by": started_by,
        "mlflow.source.git.commit": what["git_rev"],
        DESCRIPTION_TAG: (
            f"Pipeline run started by `{started_by}` on profile **{what['profile']}**"
            + (f", DVC experiment **{what['experiment']}**" if what["experiment"] else "")
            + f"; params changed from the committed params.yaml: {changed}. "
            "Its stages' runs nest below it; its metrics are the report's headline figures."
        ),
    }
    if what["experiment"]:
        tags["judgeops.dvc_experiment"] = what["experiment"]
    return {k: _short(v) for k, v in tags.items()}


def join(key: str, started_by: str = "dvc repro") -> str:
    """The parent run of pipeline run ``key``: created by its first stage, found (and set RUNNING again)
    by the later ones. Returns its id."""
    from mlflow import MlflowClient

    _mlflow()
    client = MlflowClient()
    experiment = experiment_id()
    describe_experiment(client, experiment)
    found = client.search_runs([experiment], f"tags.`{KEY_TAG}` = '{key}'", max_results=1)
    if found:
        run_id = found[0].info.run_id
        client.update_run(run_id, status="RUNNING")
        return run_id
    what = describe()
    name = run_name(what["experiment"] or what["profile"], what["params_sha256"], what["git_rev"])
    run = client.create_run(experiment, run_name=name, tags={KEY_TAG: key, **parent_tags(what, started_by)})
    return run.info.run_id


def leave(run_id: str, status: str) -> None:
    """A stage of the pipeline run ended with ``status``: so has the pipeline run, until its next stage."""
    from mlflow import MlflowClient

    _mlflow()
    MlflowClient().set_terminated(run_id, status)


def describe_experiment(client, experiment: str) -> None:
    """Give the experiment its description (shown above its runs table) and make the MLflow UI open it on its
    runs table (a model-training experiment, not a GenAI one with traces), unless someone set them already."""
    tags = client.get_experiment(experiment).tags
    for key, value in ((DESCRIPTION_TAG, EXPERIMENT_DESCRIPTION), (KIND_TAG, "custom_model_development")):
        if key not in tags:
            client.set_experiment_tag(experiment, key, value)


@contextmanager
def nest_stage():
    """Run a stage inside its pipeline run: under the Prefect flow, the flow's parent run; under ``dvc repro``,
    the repro's parent (joined, and handed to the stage's run through ``JUDGEOPS_PARENT_RUN_ID``), which takes
    the stage's end status. Yields the parent's id, or None for a stage run by hand (or a rank other than 0
    of a distributed launch, which records nothing)."""
    if os.environ.get(PARENT_ENV):
        yield os.environ[PARENT_ENV]
        return
    key = invocation_key() if int(os.environ.get("RANK", "0")) == 0 else None
    if key is None:
        yield None
        return
    run_id = join(key)
    os.environ[PARENT_ENV] = run_id
    try:
        yield run_id
    except BaseException as exc:
        leave(run_id, end_status(exc))
        raise
    finally:
        os.environ.pop(PARENT_ENV, None)
    leave(run_id, "FINISHED")


def log_report(run_id: str, report_folder: Path) -> None:
    """The report's HTML and Markdown on the parent run too (``report/``), where the MLflow UI opens them."""
    from mlflow import MlflowClient

    _mlflow()
    client = MlflowClient()
    for name in ("report.html", "report.md"):
        if (Path(report_folder) / name).is_file():
            client.log_artifact(run_id, str(Path(report_folder) / name), "report")


def describe_version(version: str, figures: dict, run_id: str, url: str) -> None:
    """The registered judge version's description (what it measured, and where) and its figures as tags."""
    from mlflow import MlflowClient

    from components.tracking import REGISTERED_MODEL

    _mlflow()
    client = MlflowClient()
    metrics = figures["metrics"]
    for key, value in version_tags(metrics, figures["tags"], run_id).items():
        client.set_model_version_tag(REGISTERED_MODEL, version, key, _short(value))
    found = client.get_model_version(REGISTERED_MODEL, version)
    # The report stage made the judge card its description (and tagged it "card"): keep it, say where it was measured.
    if found.tags.get("card"):
        from components.card.render import description

        text = found.description or ""
        if not text.startswith(MEASURED_BY):
            text = f"{MEASURED_BY} {url} (its report is under report/).\n\n{text}"
        client.update_model_version(REGISTERED_MODEL, version, description=description(text))
        return
    client.update_model_version(REGISTERED_MODEL, version, description=version_description(metrics, url))


def version_tags(metrics: dict, tags: dict, run_id: str) -> dict:
    found = {
        f"test_{name}{end}": round(metrics[f"finetuned.{name}{end}"], 4)
        for name in ("agreement", "kappa", "macro_f1", "correct_vs_wrong_auc")
        for end in ("", "_low", "_high")
        if metrics.get(f"finetuned.{name}{end}", NAN) == metrics.get(f"finetuned.{name}{end}", NAN)  # not NaN
    }
    flagged = sorted(k.split(".", 2)[2] for k, v in tags.items() if k.startswith("audit.finetuned.") and v == "FLAGGED")
    found["audit_flagged"] = ", ".join(flagged) or "none"
    found["measured_in_run"] = run_id
    return found


MEASURED_BY = "Measured by the pipeline run"


def version_description(metrics: dict, url: str) -> str:
    def figure(name: str, label: str) -> str:
        value = metrics.get(f"finetuned.{name}", float("nan"))
        low, high = (metrics.get(f"finetuned.{name}{end}", float("nan")) for end in ("_low", "_high"))
        if value != value:
            return f"{label} n/a"
        ci = f" [{low:.3f}, {high:.3f}]" if low == low and high == high else ""
        return f"{label} {value:.3f}{ci}"

    measured = ", ".join(
        figure(name, label)
        for name, label in (
            ("agreement", "agreement"),
            ("kappa", "Cohen's kappa"),
            ("macro_f1", "macro F1"),
            ("correct_vs_wrong_auc", "correct-vs-wrong AUC"),
        )
    )
    return (
        f"Fine-tuned judge. On the pipeline's test split, against the teacher: {measured} (95% bootstrap CIs "
        f"over questions). {MEASURED_BY} {url} (its report is under report/); the version's "
        "source run is the finetune stage that logged it, nested in that pipeline run."
    )


def log_figures(run_id: str, figures: dict) -> None:
    """Put the report's figures on the parent run: ``metrics`` (numbers, NaN left out), ``params`` and
    ``tags`` (what is not a measurement: counts, flags)."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    _mlflow()
    now = int(time.time() * 1000)
    metrics = [Metric(k, float(v), now, 0) for k, v in figures.get("metrics", {}).items() if v == v]
    params = [Param(k, _short(v)) for k, v in figures.get("params", {}).items()]
    tags = [RunTag(k, _short(v)) for k, v in figures.get("tags", {}).items()]
    client = MlflowClient()
    existing = client.get_run(run_id).data.params
    params = [p for p in params if p.key not in existing]  # a param is written once: a rerun keeps the first
    for batch in range(0, max(len(metrics), len(params), len(tags)), 100):  # MLflow's batch limits
        chunk = slice(batch, batch + 100)
        client.log_batch(run_id, metrics=metrics[chunk], params=params[chunk], tags=tags[chunk])


def _committed(params_file: Path) -> dict:
    from components.workspace import committed_params

    text, _ = committed_params(params_file)  # the workspace's own file where git has none
    return load_yaml(text, params_file) or {}


def _flat(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
