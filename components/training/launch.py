"""``judgeops finetune`` under ``accelerate launch`` when params.yaml says so (``finetune.launcher``).

dvc.yaml's command is fixed (``judgeops finetune``, rendered from the stage's declaration), so the
choice of launcher cannot live in it: the command re-executes itself under ``accelerate launch``
with the process count and config file from ``finetune``, marks the child's environment so the
ranks run the stage instead of launching again, passes on SIGTERM, SIGINT and SIGHUP, and exits with
the launcher's status. ``dvc repro``, the Prefect flow and a user at a shell all get the distributed
path from the same params key. Nothing here imports torch: the parent only waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

MARKER = "JUDGEOPS_LAUNCHED"  # set for the launched processes: they train, they do not launch again
LAUNCHER_ENV = "ACCELERATE_MIXED_PRECISION"  # `accelerate launch` always sets it
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def launched() -> bool:
    """True inside a launch: ours, ``accelerate launch`` run by hand, or torchrun (WORLD_SIZE > 1)."""
    return MARKER in os.environ or LAUNCHER_ENV in os.environ or int(os.environ.get("WORLD_SIZE", "1")) > 1


def relaunch_wanted(cfg) -> bool:
    """``cfg`` is params.yaml's finetune section."""
    return cfg.launcher == "accelerate" and not launched()


def accelerate_argv(
    num_processes: int,
    config_file: str | None,
    command: tuple[str, ...],
    cores: int | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The ``accelerate launch`` command that runs ``command`` (a script or ``-m module`` and its
    arguments: the caller's own, ``judgeops finetune``) in ``num_processes`` processes.

    Without a config file, more than one process goes through accelerate's torchrun launcher
    (``--multi_gpu``, its name for it): on a machine without CUDA the processes train on the CPU over
    gloo (components/training/runtime.py picks the device). ``--cpu --num_processes 2`` would not do:
    accelerate 1.15 then starts one process. Each process gets its share of the cores as threads, and
    port 0 lets torchrun pick a free rendezvous port, so two runs on one machine do not collide. With a
    config file (configs/accelerate/: DeepSpeed, FSDP) the file decides the launcher and the port;
    ``num_processes`` still overrides its count."""
    argv = [python, "-m", "accelerate.commands.launch", "--num_processes", str(num_processes)]
    if config_file:
        argv += ["--config_file", config_file]
    else:
        argv += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
        if num_processes > 1:
            argv += ["--multi_gpu", "--main_process_port", "0"]
    threads = max(1, (cores or _cores()) // num_processes)
    argv += ["--num_cpu_threads_per_process", str(threads)]
    return [*argv, *command]


def relaunch(cfg, command: tuple[str, ...]) -> int:
    """Run ``command`` under ``accelerate launch`` as ``cfg`` (params.yaml's finetune section) says; the
    launcher's exit status (128 + N when signal N ended it)."""
    if cfg.accelerate_config and not Path(cfg.accelerate_config).is_file():
        raise FileNotFoundError(f"finetune.accelerate_config {cfg.accelerate_config}: no such file")
    argv = accelerate_argv(cfg.num_processes, cfg.accelerate_config, command)
    return run_forwarding_signals(argv, {**os.environ, MARKER: "1"})


def run_forwarding_signals(argv: list[str], env: dict) -> int:
    """Run ``argv`` and wait for it, passing on the signals that ask a run to stop. The child shares
    this process group (a group kill from DVC or Prefect reaches it anyway) and, on Linux, is sent
    SIGTERM if this process dies without passing anything on (SIGKILL), so no launch is orphaned."""
    child = subprocess.Popen(argv, env=env, preexec_fn=_terminate_with_parent if sys.platform == "linux" else None)
    previous = {number: signal.signal(number, lambda signum, frame: child.send_signal(signum)) for number in FORWARDED}
    try:
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - code if code < 0 else code


def _terminate_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
