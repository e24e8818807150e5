"""A Prefect task that runs one DVC stage in its own process group.

DVC decides what is stale; Prefect passes no data between tasks, only success or failure.
On timeout, cancellation or Ctrl-C the whole group is killed, so the stage's own command is
never orphaned (an orphan would keep writing and later dirty the outputs). The group is led by
flows/watchdog.py, which also takes it down when the flow process dies without a word
(SIGKILL, an OOM kill): it holds the read end of a pipe that only the flow process can write.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path

from prefect import get_run_logger, task
from prefect.exceptions import MissingContextError

from components.redaction import redact

ROOT = Path(__file__).resolve().parents[1]
ERROR_PREFIX = "judgeops: error:"
KILL_GRACE_S = 10
WATCHDOG = Path(__file__).resolve().with_name("watchdog.py")
# What `dvc repro` prints after every stage about committing dvc.lock: once per stage, seven times a flow run,
# and never the flow's business (the workspace's dvc.lock is the user's to commit).
DVC_HINTS = frozenset(
    {
        "To track the changes with git, run:",
        "git add dvc.lock",
        "To enable auto staging, run:",
        "dvc config core.autostage true",
        "Use `dvc push` to send your updates to remote storage.",
    }
)


def logged(line: str) -> bool:
    """Whether a line of a stage's output goes to the flow's log: not blank, not one of DVC's git hints."""
    return bool(line.strip()) and line.strip() not in DVC_HINTS


class StageError(RuntimeError):
    """A stage failed; the message is the stage's own error, not a bare exit code."""


class TransientStageError(StageError):
    """A stage ended without an error line of its own (a crash, a kill, DVC busy): a rerun may well
    succeed. A stage's own error (bad params or data, a failed gate) or a timeout would come back."""


def retry_transient(task, task_run, state) -> bool:
    """Prefect's retry condition: retry only a transient failure. A retry is cheap because every
    stage resumes: DVC skips finished stages, generate/judge/audit reuse their caches, finetune
    restarts from its last checkpoint."""
    return isinstance(state.result(raise_on_failure=False), TransientStageError)


# One retry, after a pause that lets a dying process group or a busy DVC lock clear.
RETRIES = {"retries": 1, "retry_delay_seconds": 10, "retry_condition_fn": retry_transient}


def venv_env(extra: dict | None = None) -> dict:
    """The environment a stage needs: this interpreter's bin/ first on PATH (for dvc and
    judgeops), project-local state, telemetry off."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env.setdefault("DVC_SITE_CACHE_DIR", str(ROOT / ".state" / "dvc-site"))
    env.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{ROOT / 'mlflow.db'}")
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.update(extra or {})
    return env


@task(name="dvc-repro", task_run_name="dvc repro {stage}", **RETRIES)
def repro_stage(stage: str, env: dict, timeout_s: float = 3600) -> None:
    run_command([str(Path(sys.executable).parent / "dvc"), "repro", stage], stage, env, timeout_s)


@task(name="audit", task_run_name="audit {judge}", **RETRIES)  # --out keeps its judgments: resumes
def audit_task(judge: str, data: str, out: str, env: dict, timeout_s: float = 3600) -> None:
    judgeops = str(Path(sys.executable).parent / "judgeops")
    run_command([judgeops, "audit", "--judge", judge, "--data", data, "--out", out], "audit", env, timeout_s)


def run_command(command: list[str], stage: str, env: dict, timeout_s: float) -> None:
    """Run ``command`` in its own process group, streaming its output to the flow's log. The group
    dies with this process, however this process dies (see flows/watchdog.py)."""
    logger = _logger()
    lifeline, held = os.pipe()  # both close-on-exec: only the watchdog gets the read end, nobody the write end
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", str(WATCHDOG), str(lifeline), "--", *command],
            cwd=ROOT,
            env=env | {"JUDGEOPS_KILL_GRACE_S": str(KILL_GRACE_S)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            pass_fds=(lifeline,),
        )
    except BaseException:
        os.close(held)
        raise
    finally:
        os.close(lifeline)
    tail: deque[str] = deque(maxlen=40)

    def pump() -> None:
        for line in process.stdout:
            tail.append(redact(line.rstrip()))  # a URL's credentials never reach the flow's log
            if logged(tail[-1]):
                logger.info(tail[-1])

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise StageError(f"stage {stage} timed out after {timeout_s:g} s; its process group was killed") from None
    except BaseException:  # cancellation, Ctrl-C: never leave the stage's command orphaned
        kill_group(process)
        raise
    finally:
        os.close(held)
    reader.join(timeout=5)
    if code != 0:
        own = any(line.startswith(ERROR_PREFIX) for line in tail)
        raise (StageError if own else TransientStageError)(f"stage {stage} failed (exit {code}): {stage_error(tail)}")


def _logger():
    """The flow run's logger inside Prefect; a plain logger when called directly (tests, scripts)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("judgeops.flows")


def stage_error(lines) -> str:
    """The stage's own error message if it printed one (it may span lines, e.g. a validation
    failure listing offending rows; DVC's own "ERROR:" line ends it), else the end of its output."""
    lines = list(lines)
    starts = [i for i, line in enumerate(lines) if line.startswith(ERROR_PREFIX)]
    if not starts:
        return "\n".join(lines[-15:])
    message = [lines[starts[-1]][len(ERROR_PREFIX) :].strip()]
    for line in lines[starts[-1] + 1 :]:
        if line.startswith("ERROR:"):
            break
        message.append(line)
    return "\n".join(message).strip()


def kill_group(process: subprocess.Popen) -> None:
    """SIGTERM to the group; its watchdog waits up to KILL_GRACE_S for every member to exit, then
    SIGKILLs the rest. SIGKILL from here if the watchdog itself does not finish in time."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=KILL_GRACE_S + 5)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    try:  # members left once the leader is gone: the group id cannot have been reused
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
