"""How the finetune stage's processes are started under ``accelerate launch``, and how a process
knows it was. Nothing here imports torch.
"""

from __future__ import annotations

import os
import sys

LAUNCHER_ENV = "ACCELERATE_MIXED_PRECISION"  # `accelerate launch` always sets it


def launched() -> bool:
    """True under ``accelerate launch`` or another multi-process launcher (torchrun: WORLD_SIZE > 1)."""
    return LAUNCHER_ENV in os.environ or int(os.environ.get("WORLD_SIZE", "1")) > 1


def accelerate_argv(
    num_processes: int,
    config_file: str | None,
    command: tuple[str, ...],
    cores: int | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The ``accelerate launch`` command that runs ``command`` (a script or ``-m module`` and its
    arguments: ``judgeops finetune``) in ``num_processes`` processes.

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


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
