"""The one door to the MLflow tracking store and registry (components/judge_model.py defines the judge's
pyfunc model and logs it through a ``Tracker``).

Every stage logs into one run. When the Prefect flow drives the pipeline it opens a parent run
and passes its id through ``JUDGEOPS_PARENT_RUN_ID``; each stage's run is then nested under it.
The store lives inside the project (``sqlite:///mlflow.db``, artifacts in ``mlartifacts/``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

from components.redaction import redact

PARENT_ENV = "JUDGEOPS_PARENT_RUN_ID"
EXPERIMENT_ENV = "JUDGEOPS_EXPERIMENT"
DEFAULT_EXPERIMENT = "judgeops"
REGISTERED_MODEL = "judge"
DESCRIPTION = (
    "Judges fine-tuned by judgeops, as MLflow pyfunc models: load with "
    "mlflow.pyfunc.load_model('models:/judge@champion') and predict on a DataFrame of pairs "
    "(components/judge_model.py)."
)

log = logging.getLogger(__name__)


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path('mlflow.db').resolve()}"


def _mlflow():
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def experiment_id(name: str | None = None) -> str:
    mlflow = _mlflow()
    name = name or os.environ.get(EXPERIMENT_ENV, DEFAULT_EXPERIMENT)
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(name, artifact_location=Path("mlartifacts").resolve().as_uri())


def git_rev() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Tracker:
    """A thin handle on one MLflow run; values are flattened and stringified as MLflow wants."""

    def __init__(self, mlflow, run):
        self._mlflow = mlflow
        self.run_id = run.info.run_id

    def params(self, values: dict, prefix: str = "") -> None:
        flat = {k: _short(v) for k, v in _flatten(values, prefix).items()}
        self._mlflow.log_params(flat)

    def metrics(self, values: dict, step: int | None = None, prefix: str = "") -> None:
        flat = _measurements(values, prefix)
        if flat:
            self._mlflow.log_metrics(flat, step=step)

    def step_metrics(self, every: int = 50) -> StepMetrics:
        """A ``log(step, values)`` callable for a loop's per-step metrics, written in batches (``StepMetrics``)."""
        return StepMetrics(self._mlflow, self.run_id, every)

    def tags(self, values: dict) -> None:
        self._mlflow.set_tags({k: _short(v) for k, v in values.items()})

    def artifact(self, path: Path | str, folder: str | None = None) -> None:
        path = Path(path)
        if path.is_dir():
            self._mlflow.log_artifacts(str(path), artifact_path=folder)
        elif path.exists():
            self._mlflow.log_artifact(str(path), artifact_path=folder)

    def dataset(self, path: Path | str, name: str, context: str, digest: str) -> None:
        """Record the JSONL file ``path`` as an input of the run (MLflow's Datasets: name, source, row count
        and schema), with ``digest`` -- the content hash DVC keeps for it -- as its digest. Columns that hold
        lists (flags, annotators) are left out of the schema."""
        import mlflow.data
        import pandas as pd

        frame = pd.read_json(path, lines=True, dtype=False)
        nested = [column for column in frame.columns if frame[column].map(lambda v: isinstance(v, (list, dict))).any()]
        with warnings.catch_warnings():  # a local path "can be interpreted in multiple ways"; hints on int columns
            warnings.simplefilter("ignore", UserWarning)
            data = mlflow.data.from_pandas(
                frame.drop(columns=nested), source=Path(path).as_posix(), name=name, digest=digest
            )
            self._mlflow.log_input(data, context=context)

    def table(self, rows: list[dict], artifact_file: str) -> None:
        """Log ``rows`` as an MLflow table (a JSON artifact the UI's evaluation view can filter and compare)."""
        import pandas as pd

        self._mlflow.log_table(pd.DataFrame(rows), artifact_file=artifact_file)

    @property
    def mlflow(self):
        """The mlflow module itself, for the registry calls that only tracking's callers make."""
        return self._mlflow


class NullTracker:
    """Takes every Tracker call and records nothing (non-zero ranks of a distributed launch)."""

    run_id = ""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

    def step_metrics(self, every: int = 50):
        return nullcontext(lambda step, values: None)


@contextmanager
def stage_run(stage: str, params: dict | None = None):
    """Open the run for one stage (nested under the flow's run when there is one)."""
    mlflow = _mlflow()
    tags = {"judgeops.stage": stage, "mlflow.source.git.commit": git_rev()}
    parent = os.environ.get(PARENT_ENV)
    if parent:
        tags["mlflow.parentRunId"] = parent
    nested = mlflow.active_run() is not None  # in-process callers (tests, notebooks) inside a flow run
    with _run(mlflow, experiment_id=experiment_id(), run_name=stage, tags=tags, nested=nested) as run:
        tracker = Tracker(mlflow, run)
        if params:
            tracker.params(params)
        yield tracker


@contextmanager
def parent_run(
    name: str, params: dict | None = None, tags: dict | None = None, files: tuple = (), flow: str | None = None
):
    """The flow's run, named ``name``; yields its id for the stages to nest under. Tag ``judgeops.flow``
    names the flow (``flow``, else ``name``); ``tags`` and ``files`` (logged under ``inputs/``) record
    what the run used."""
    mlflow = _mlflow()
    tags = {"judgeops.flow": flow or name, **{k: _short(v) for k, v in (tags or {}).items()}}
    with _run(mlflow, experiment_id=experiment_id(), run_name=name, tags=tags) as run:
        tracker = Tracker(mlflow, run)
        if params:
            tracker.params(params)
        for file in files:
            tracker.artifact(file, "inputs")
        yield run.info.run_id


@contextmanager
def _run(mlflow, **start):
    """``mlflow.start_run`` whose end status says how it ended: FINISHED, FAILED on an error, and
    KILLED on Ctrl-C, SIGTERM (the CLI turns it into KeyboardInterrupt) or a Prefect termination
    signal -- mlflow's own context manager marks those FAILED, or leaves the run RUNNING for ever
    when SIGTERM kills the process outright."""
    run = mlflow.start_run(**start)
    try:
        yield run
    except BaseException as exc:
        _end(mlflow, run.info.run_id, end_status(exc))
        raise
    _end(mlflow, run.info.run_id, "FINISHED")


def end_status(exc: BaseException | None) -> str:
    if exc is None:
        return "FINISHED"
    if isinstance(exc, SystemExit):
        return "FINISHED" if exc.code in (0, None) else "FAILED"
    return "FAILED" if isinstance(exc, Exception) else "KILLED"


def _end(mlflow, run_id: str, status: str) -> None:
    active = mlflow.active_run()
    if active is not None and active.info.run_id == run_id:  # not already ended by the body
        mlflow.end_run(status)


def mark_killed(run_id: str) -> bool:
    """End a run left RUNNING by a process that died without cleaning up (SIGKILL): KILLED.
    Returns whether it was still running."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    _mlflow()
    client = MlflowClient()
    try:
        if client.get_run(run_id).info.status != "RUNNING":
            return False
    except MlflowException:
        return False
    client.set_terminated(run_id, "KILLED")
    return True


class StepMetrics:
    """Per-step metrics sent to the tracking store ``every`` steps at a time, each with its own step and time.

    One write per step cost 100-200 ms on the SQLite store of a 2-core machine (a transaction and an fsync
    for four numbers): two to three minutes of a 1,080-step training run. Batched, the same history costs
    a write per ``every`` steps. Use it as a context manager: what is pending is written on the way out,
    a crash included (a run killed outright loses at most ``every`` steps of MLflow history; the trainer's
    own progress file keeps every step)."""

    MAX_BATCH = 1000  # MLflow's limit on metrics per log_batch call

    def __init__(self, mlflow, run_id: str, every: int = 50):
        from mlflow.entities import Metric

        self._client, self._metric = mlflow.MlflowClient(), Metric
        self.run_id, self.every = run_id, every
        self._pending: list = []
        self._steps = 0

    def __call__(self, step: int, values: dict) -> None:
        now = int(time.time() * 1000)
        self._pending += [self._metric(key, value, now, step) for key, value in _measurements(values).items()]
        self._steps += 1
        if self._steps >= self.every or len(self._pending) >= self.MAX_BATCH:
            self.flush()

    def flush(self) -> None:
        for start in range(0, len(self._pending), self.MAX_BATCH):
            self._client.log_batch(self.run_id, metrics=self._pending[start : start + self.MAX_BATCH])
        self._pending, self._steps = [], 0

    def __enter__(self) -> StepMetrics:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()


def _measurements(values: dict, prefix: str = "") -> dict[str, float]:
    """The flattened values that are measurements: numbers, not flags (bools) and not NaN."""
    return {
        k: float(v)
        for k, v in _flatten(values, prefix).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
    }


def _flatten(values: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _short(value) -> str:
    text = redact(str(value))  # a URL's credentials never reach a param or a tag
    return text if len(text) <= 500 else text[:497] + "..."


def register(model_uri: str, tags: dict, alias: str) -> str:
    """Register the logged model ``model_uri`` as a new version of the model ``judge``, with ``alias``
    pointing at it. Returns the version."""
    from mlflow import MlflowClient

    mlflow = _mlflow()
    client = MlflowClient()
    if not _model_exists(client):
        client.create_registered_model(REGISTERED_MODEL, description=DESCRIPTION)
    version = mlflow.register_model(model_uri, REGISTERED_MODEL, tags={k: _short(v) for k, v in tags.items()})
    client.set_registered_model_alias(REGISTERED_MODEL, alias, version.version)
    return str(version.version)


def _model_exists(client) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(REGISTERED_MODEL)
        return True
    except MlflowException:
        return False


def alias_version(alias: str) -> dict | None:
    """The registered judge version behind ``alias`` with its tags, or None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    _mlflow()
    try:
        version = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, alias)
    except MlflowException:
        return None
    return {"version": version.version, "run_id": version.run_id, "tags": dict(version.tags)}


def set_alias(alias: str, version: str) -> None:
    from mlflow import MlflowClient

    _mlflow()
    MlflowClient().set_registered_model_alias(REGISTERED_MODEL, alias, version)


def download_model(uri: str, dst: Path | str) -> Path:
    """A registered model (``models:/judge@champion``) copied to a local folder."""
    mlflow = _mlflow()
    return Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(dst)))


def stage_runs(stages: tuple[str, ...]) -> dict[str, str]:
    """The run id of each stage's latest run (under the current flow run, when there is one)."""
    mlflow = _mlflow()
    parent = os.environ.get(PARENT_ENV)
    found = {}
    for stage in stages:
        query = f"tags.`judgeops.stage` = '{stage}'"
        if parent:
            query += f" and tags.`mlflow.parentRunId` = '{parent}'"
        runs = mlflow.search_runs(
            [experiment_id()], query, order_by=["start_time DESC"], max_results=1, output_format="list"
        )
        if runs:
            found[stage] = runs[0].info.run_id
    return found


def set_version_tags(version: str, tags: dict) -> None:
    from mlflow import MlflowClient

    _mlflow()
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(REGISTERED_MODEL, version, key, _short(value))


def resolve_metrics(ref: str) -> tuple[str, dict[str, float]]:
    """Metrics behind ``ref``: a run id (a flow's parent run stands for its report run) or an
    experiment name (its latest report run). Returns (run id, metrics)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow = _mlflow()
    client = MlflowClient()
    experiment = mlflow.get_experiment_by_name(ref)
    if experiment is not None:
        return _latest_report(mlflow, [experiment.experiment_id], f"name {ref!r}")
    try:
        run = client.get_run(ref)
    except MlflowException:
        raise ValueError(f"{ref!r} is neither an MLflow run id nor an experiment name") from None
    if run.data.tags.get("judgeops.flow"):
        query = f"tags.`mlflow.parentRunId` = '{ref}' and tags.`judgeops.stage` = 'report'"
        found = mlflow.search_runs([run.info.experiment_id], query, max_results=1, output_format="list")
        if found:
            run = found[0]
    return run.info.run_id, dict(run.data.metrics)


def _latest_report(mlflow, experiment_ids: list[str], what: str) -> tuple[str, dict[str, float]]:
    query = "tags.`judgeops.stage` = 'report'"
    found = mlflow.search_runs(experiment_ids, query, order_by=["start_time DESC"], max_results=1, output_format="list")
    if not found:
        raise ValueError(f"experiment {what} has no report run")
    return found[0].info.run_id, dict(found[0].data.metrics)
