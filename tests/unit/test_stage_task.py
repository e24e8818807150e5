"""The flow's stage runner: the stage's own error reaches the flow, and nothing is orphaned."""

import os
import signal
import subprocess
import sys
import time

import pytest

from flows.stage_task import StageError, run_command
from tests.conftest import REPO


def test_a_failing_stage_fails_with_its_own_error_line():
    script = (
        "print('working'); print('judgeops: error: data/x.jsonl:3: field verdict: must be one of (0, 1, 2)'); exit(1)"
    )
    with pytest.raises(StageError) as error:
        run_command([sys.executable, "-c", script], "generate", dict(os.environ), timeout_s=60)
    assert "stage generate failed (exit 1): data/x.jsonl:3: field verdict" in str(error.value)


def test_without_an_error_line_the_end_of_the_output_is_shown():
    with pytest.raises(StageError, match="last words"):
        run_command([sys.executable, "-c", "print('last words'); exit(3)"], "judge", dict(os.environ), timeout_s=60)


def test_a_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(120)\n"
    )
    started = time.time()
    with pytest.raises(StageError, match="timed out"):
        run_command([sys.executable, "-c", script], "finetune", dict(os.environ), timeout_s=5)
    assert time.time() - started < 60
    child = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the stage's own child process was orphaned")


def test_a_multi_line_stage_error_reaches_the_flow_whole_without_dvc_noise():
    from flows.stage_task import stage_error

    output = [
        "Running stage 'validate':",
        "judgeops: error: 1 critical expectation failed:",
        "  pairs / label:tie_share: observed 0.61 > 0.45",
        "    id='q1:p0' (pairs.jsonl:1)",
        "ERROR: failed to reproduce 'validate': failed to run: judgeops validate, exited with 1",
    ]
    assert stage_error(output) == "\n".join(
        [
            "1 critical expectation failed:",
            "  pairs / label:tie_share: observed 0.61 > 0.45",
            "    id='q1:p0' (pairs.jsonl:1)",
        ]
    )


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for a reaper that may never come in a container."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_sigkill_of_the_flow_process_leaves_no_stage_process_behind(tmp_path):
    """The stage runs in its own session, out of reach of the flow's process group: when the flow
    process dies without a word, the stage's watchdog takes the stage's whole group down."""
    pids = tmp_path / "pids"
    stage = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(120)\n"
    )
    flow = (
        "import os, sys\n"
        "from flows.stage_task import run_command\n"
        f"run_command([sys.executable, '-c', {stage!r}], 'finetune', dict(os.environ), 600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", flow], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    started: list[int] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (pids.exists() and len(pids.read_text().split()) == 2):
            assert parent.poll() is None, "the flow process ended before the stage started"
            time.sleep(0.2)
        started = [int(pid) for pid in pids.read_text().split()]
        assert all(not gone(pid) for pid in started)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    deadline = time.time() + 8
    while time.time() < deadline and not all(gone(pid) for pid in started):
        time.sleep(0.1)
    left = [pid for pid in started if not gone(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "the stage's processes outlived the flow process"
