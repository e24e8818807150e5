"""How `judgeops finetune` reruns itself under `accelerate launch`: the command it builds from params.yaml,
the params it accepts, its signals and exit status, and the rows each process trains on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import yaml

from components.config import ConfigError, parse_params
from components.training.launch import MARKER, accelerate_argv, relaunch_wanted
from tests.conftest import REPO

COMMAND = ("-m", "components.cli", "finetune")


def finetune(**keys):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["finetune"].update(keys)
    return parse_params(raw).finetune


def flags(argv: list[str]) -> dict[str, str | None]:
    """``--flag value`` pairs (None for a bare flag) of an accelerate launch argv, up to the module it runs."""
    options = argv[3 : argv.index("-m", 3)]
    found: dict[str, str | None] = {}
    for i, token in enumerate(options):
        if token.startswith("--"):
            nxt = options[i + 1] if i + 1 < len(options) else "--"
            found[token] = None if nxt.startswith("--") else nxt
    return found


def test_two_processes_without_a_config_go_through_torchrun_on_a_free_port_with_a_share_of_the_cores():
    argv = accelerate_argv(2, None, COMMAND, cores=8, python="/venv/bin/python")
    assert argv[:3] == ["/venv/bin/python", "-m", "accelerate.commands.launch"]
    assert argv[-3:] == ["-m", "components.cli", "finetune"]
    assert flags(argv) == {
        "--num_processes": "2",
        "--num_machines": "1",
        "--mixed_precision": "no",
        "--dynamo_backend": "no",
        "--multi_gpu": None,  # accelerate's torchrun launcher; `--cpu` would start one process
        "--main_process_port": "0",
        "--num_cpu_threads_per_process": "4",
    }


def test_one_process_needs_no_torchrun_and_a_config_file_decides_the_launcher():
    assert "--multi_gpu" not in accelerate_argv(1, None, COMMAND, cores=2)
    argv = accelerate_argv(4, "configs/accelerate/deepspeed_zero2.yaml", COMMAND, cores=2)
    assert flags(argv) == {
        "--num_processes": "4",
        "--config_file": "configs/accelerate/deepspeed_zero2.yaml",
        "--num_cpu_threads_per_process": "1",
    }


def test_params_choose_the_launcher_and_refuse_processes_without_one():
    assert finetune().launcher == "single" and finetune().num_processes == 1, "the shipped default: one process"
    assert finetune(launcher="accelerate", num_processes=2).num_processes == 2
    with pytest.raises(ConfigError, match="finetune.launcher: accelerate"):
        finetune(num_processes=2)
    with pytest.raises(ConfigError, match="finetune.launcher"):
        finetune(launcher="torchrun")
    with pytest.raises(ConfigError, match="finetune.num_processes"):
        finetune(launcher="accelerate", num_processes=0)


def test_only_a_process_outside_a_launch_relaunches(monkeypatch):
    for name in (MARKER, "ACCELERATE_MIXED_PRECISION", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert relaunch_wanted(finetune(launcher="accelerate"))
    assert not relaunch_wanted(finetune())
    monkeypatch.setenv(MARKER, "1")
    assert not relaunch_wanted(finetune(launcher="accelerate")), "a launched rank must not launch again"
    monkeypatch.delenv(MARKER)
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "no")  # `accelerate launch judgeops finetune` by hand
    assert not relaunch_wanted(finetune(launcher="accelerate"))


PARENT = """
import sys
from components.training.launch import run_forwarding_signals
child = "import signal, sys, time; {handler}print('ready', flush=True); time.sleep(30)"
sys.exit(run_forwarding_signals([sys.executable, "-c", child], {{}}))
"""


@pytest.mark.parametrize(
    ("handler", "status"),
    [("signal.signal(signal.SIGTERM, lambda *a: sys.exit(7)); ", 7), ("", 128 + signal.SIGTERM)],
    ids=["child-exits-7", "child-dies-of-the-signal"],
)
def test_sigterm_reaches_the_launch_and_its_exit_status_comes_back(handler, status):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT.format(handler=handler)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        time.sleep(0.1)
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=10) == status
    finally:
        parent.kill()
        parent.wait()


def test_each_process_trains_on_its_own_rows_and_a_lent_row_does_not_count():
    from components.training.runtime import shard_rows

    rows = list(range(7))
    shares = [shard_rows(rows, rank, 2) for rank in (0, 1)]
    assert shares == [([0, 2, 4, 6], True), ([1, 3, 5], True)]
    assert shard_rows([5], 0, 2) == ([5], True) and shard_rows([5], 1, 2) == ([5], False)
    assert shard_rows(rows, 0, 1) == (rows, True)
