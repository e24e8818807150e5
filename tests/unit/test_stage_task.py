"""The flow's stage runner: the stage's own error reaches the flow, and nothing is orphaned."""

import os
import signal
import sys
import time

import pytest

from flows.stage_task import StageError, run_command


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
