"""Ctrl-C or SIGTERM during API work cancels the queued requests and the command ends within 10 s, instead of
waiting for (and paying for) every request in the queue; a second SIGTERM, sent on purpose, is not ignored.
Each command runs in a subprocess against the fake OpenAI-compatible server (tests/fakes.py), which takes
30 s over every request: a command that waited for its queue would take minutes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from components.io import write_jsonl
from tests.conftest import REPO
from tests.factories import audit_pairs

SLOW_S = 30.0
ENDS_WITHIN_S = 10.0
CONCURRENCY = 4  # LLMClient's default, the audit's openai judge's

# Ctrl-C as a terminal's foreground job gets it, whatever disposition the test runner passed down.
AUDIT = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from components.cli import main
sys.argv = ["judgeops", "audit", "--judge", "openai:gpt-test@" + sys.argv[1], "--data", "pairs.jsonl", "--out", "out"]
main()
"""

TEACHER = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from components import cli
from components.config import OpenAITeacherParams
from components.teachers.openai import openai_teacher

signal.signal(signal.SIGTERM, cli._terminate)
teacher = openai_teacher(OpenAITeacherParams(base_url=sys.argv[1], model="gpt-test", api_key_env=None), "cache.jsonl")
try:
    teacher.complete([[{"role": "user", "content": f"question {n}"}] for n in range(40)])
except cli.Terminated:
    sys.exit(143)
"""

# The cleanup after the first SIGTERM hangs; a second one, sent a while later, must end the command.
HANGING_CLEANUP = """
import pathlib, signal, sys, time
import components.audit.suite as suite

def slow(*args, **kwargs):
    pathlib.Path("started").write_text("1")
    try:
        time.sleep(120)
    finally:
        time.sleep(120)  # a cleanup that never ends

suite.audit_judge = slow
from components.cli import main
sys.argv = ["judgeops", "audit", "--judge", "scripted:always_first", "--data", "pairs.jsonl", "--out", "out"]
main()
"""


def start(script: str, tmp_path, *args: str) -> subprocess.Popen:
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(24))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def wait_for(check, command: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert command.poll() is None, command.communicate(timeout=30)[0].decode(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the command never got that far"
        time.sleep(0.1)


def ended_within(command: subprocess.Popen, seconds: float) -> tuple[float, str]:
    """Seconds the command took to end (bounded: killed after ``seconds`` + 20) and its output."""
    began = time.monotonic()
    try:
        output = command.communicate(timeout=seconds + 20)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        command.kill()
        output = command.communicate(timeout=30)[0].decode(errors="replace")
    return time.monotonic() - began, output


@pytest.mark.parametrize(
    ("script", "signum", "code"),
    [(AUDIT, signal.SIGTERM, 143), (AUDIT, signal.SIGINT, 130), (TEACHER, signal.SIGTERM, 143)],
    ids=["audit-SIGTERM", "audit-Ctrl-C", "teacher-SIGTERM"],
)
def test_an_interrupt_cancels_the_queued_requests_and_ends_the_command(tmp_path, fake_server, script, signum, code):
    fake = fake_server(delay_s=SLOW_S)
    command = start(script, tmp_path, fake.url)
    try:
        wait_for(lambda: fake.in_flight >= CONCURRENCY, command)
        time.sleep(0.5)
        command.send_signal(signum)
        took, output = ended_within(command, ENDS_WITHIN_S)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert took < ENDS_WITHIN_S, f"took {took:.1f} s to end:\n{output[-2000:]}"
    assert command.returncode == code, output[-2000:]
    time.sleep(1.0)
    assert len(fake.requests) <= CONCURRENCY, "requests were sent after the interrupt"


def test_a_second_sigterm_ends_a_hanging_cleanup(tmp_path):
    command = start(HANGING_CLEANUP, tmp_path)
    try:
        wait_for(lambda: (tmp_path / "started").exists(), command)
        command.send_signal(signal.SIGTERM)
        command.send_signal(signal.SIGTERM)  # at once: the same teardown signalled twice, ignored
        time.sleep(2.0)
        assert command.poll() is None, "a repeated signal did not cut the first one's cleanup short"
        command.send_signal(signal.SIGTERM)
        took, output = ended_within(command, ENDS_WITHIN_S)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert took < ENDS_WITHIN_S, f"took {took:.1f} s to end:\n{output[-2000:]}"
    assert command.returncode == 143, output[-2000:]
