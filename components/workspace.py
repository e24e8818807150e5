"""One flow run at a time per workspace, each on the committed params plus its own profile.

The flow edits params.yaml for the stages it runs (DVC reads params from there and records them
in dvc.lock), so two rules keep every run's figures its own:

- A run's profile and overrides never leak into the next run. Each run starts from the committed
  params.yaml (``git show HEAD:params.yaml``; the workspace's file where there is no commit),
  merges its profile and overrides on top, and puts the workspace's own params.yaml back when it
  ends. The workspace's file waits in .state/run-in-progress/ meanwhile, so a run killed with
  SIGKILL is repaired by the next one, which also learns the dead run's MLflow run id.
- Runs never interleave: a run holds an exclusive lock on .state/workspace.lock from start to
  end (flock: the kernel releases it when the holder dies, however it dies).

What a run used (profile, overrides, where the base came from, the effective file's sha256) is a
``RunParams``: the flow logs it on its MLflow run and hands it to the stages in ``RUN_ENV``, so
the report shows it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from components.config import PARAMS_FILE
from components.io import write_text
from components.profiles import merge_overrides, profile_overrides

STATE = Path(".state")
LOCK_FILE = STATE / "workspace.lock"
IN_PROGRESS = STATE / "run-in-progress"
RUN_ENV = "JUDGEOPS_RUN_PROVENANCE"


class WorkspaceBusy(RuntimeError):
    """Another flow run holds the workspace."""


@contextmanager
def workspace_lock(lock_file: Path = LOCK_FILE, timeout_s: float | None = None, log=print):
    """Hold the workspace for one run; wait (for ever, or ``timeout_s``) while another run holds it."""
    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 300, 0).decode(errors="replace").strip() or "another run"
                if deadline is not None and time.monotonic() >= deadline:
                    raise WorkspaceBusy(f"the workspace is busy: {holder} holds {lock_file}") from None
                if not waiting:
                    log(f"waiting for {holder} to finish (it holds {lock_file})")
                    waiting = True
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.pwrite(fd, f"flow run pid {os.getpid()} since {since}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@dataclass
class RunParams:
    """What one run's params were made of."""

    profile: str
    overrides: dict
    base: str  # "git HEAD <rev>" or "workspace"
    changed: list[str]
    sha256: str  # of the params.yaml the stages read
    set_aside: bool  # the workspace's params.yaml differed from the base and was set aside for the run
    interrupted_run: dict | None = field(default=None)  # what a run killed before it could clean up left
    edited_during_run: str | None = field(default=None)  # where an edit made to params.yaml during the run went

    def record(self) -> dict:
        """The provenance record: what the flow logs and the report shows."""
        return {k: v for k, v in asdict(self).items() if k not in ("interrupted_run", "edited_during_run")}

    def tags(self) -> dict:
        return {
            "judgeops.profile": self.profile,
            "judgeops.overrides": json.dumps(self.overrides, sort_keys=True),
            "judgeops.params_base": self.base,
            "judgeops.params_sha256": self.sha256,
            "judgeops.params_set_aside": str(self.set_aside).lower(),
        }

    def note_run(self, run_id: str, state: Path = STATE) -> None:
        """Remember the flow's MLflow run, so a run killed before it ends can be marked by the next."""
        _write_json(Path(state) / IN_PROGRESS.name / "run.json", {**self.record(), "mlflow_run_id": run_id})


@contextmanager
def params_for_run(profile: str, overrides: dict | None = None, params_file: Path = PARAMS_FILE, state: Path = STATE):
    """params.yaml as this run needs it (the committed file, its profile and overrides on top) for
    the duration of the block; the workspace's own file afterwards. Hold ``workspace_lock`` around it.
    An unknown profile or a bad override is refused before anything is written."""
    params_file, in_progress = Path(params_file), Path(state) / IN_PROGRESS.name
    interrupted = recover(params_file, state)
    workspace = params_file.read_text()
    base_text, base = committed_params(params_file)
    overrides = dict(overrides or {})
    text, changed = merge_overrides(base_text, profile_overrides(profile, overrides), origin=params_file)
    used = RunParams(
        profile=profile,
        overrides=overrides,
        base=base,
        changed=changed,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        set_aside=workspace != base_text,
        interrupted_run=interrupted,
    )
    in_progress.mkdir(parents=True, exist_ok=True)
    write_text(in_progress / "params.yaml", workspace)  # first the copy, then the edit
    write_text(in_progress / "run-params.yaml", text)  # what the run writes: anything else is someone's edit
    _write_json(in_progress / "run.json", used.record())
    try:
        if text != workspace:
            write_text(params_file, text)
        yield used
    finally:
        now = params_file.read_text()
        if now not in (text, workspace):
            # Edited while the run held it: both are kept -- the workspace's own file goes back (a run's profile
            # never leaks), the edit is set beside it and named, never silently overwritten.
            kept = edited_during_run(params_file, state)
            write_text(kept, now)
            used.edited_during_run = str(kept)
            print(
                f"params.yaml was edited while this run used it: the edit is kept in {kept} and the workspace's "
                "own params.yaml (as before the run) is back; merge what you meant to keep"
            )
        if now != workspace:
            write_text(params_file, workspace)
        shutil.rmtree(in_progress, ignore_errors=True)


def edited_during_run(params_file: Path, state: Path) -> Path:
    """Where an edit made to params.yaml during a run is kept: .state/params-edited-during-run/<time>.yaml."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = Path(state) / "params-edited-during-run"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{Path(params_file).stem}-{stamp}.yaml"


def recover(params_file: Path = PARAMS_FILE, state: Path = STATE) -> dict | None:
    """Undo what a run killed before its cleanup left: put the workspace's params.yaml back.
    Returns that run's record (with its MLflow run id when it got that far), or None."""
    in_progress = Path(state) / IN_PROGRESS.name
    saved = in_progress / "params.yaml"
    if not in_progress.exists():
        return None
    record = {}
    try:
        record = json.loads((in_progress / "run.json").read_text())
    except (OSError, ValueError):
        pass
    ran = in_progress / "run-params.yaml"
    if saved.exists():
        now = params_file.read_text() if params_file.exists() else ""
        if ran.exists() and now not in (ran.read_text(), saved.read_text()):
            kept = edited_during_run(params_file, state)
            write_text(kept, now)
            print(f"params.yaml was edited while the killed run used it: the edit is kept in {kept}")
        write_text(params_file, saved.read_text())
    shutil.rmtree(in_progress, ignore_errors=True)
    return record


def committed_params(params_file: Path = PARAMS_FILE) -> tuple[str, str]:
    """The committed params.yaml and where it came from; the workspace's file where git has none."""
    folder = params_file.resolve().parent
    git = ["git", "-C", str(folder)]
    try:
        text = subprocess.run(
            [*git, "show", f"HEAD:./{params_file.name}"], capture_output=True, text=True, check=True
        ).stdout
        rev = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return params_file.read_text(), "workspace"
    return text, f"git HEAD {rev.stdout.strip()}"


def from_env() -> dict | None:
    """The provenance record the flow handed to this stage, or None (a stage run outside the flow)."""
    raw = os.environ.get(RUN_ENV)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _write_json(path: Path, value: dict) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")
