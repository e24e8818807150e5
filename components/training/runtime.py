"""Where the training loop runs: this one CPU process (the tested path) or under ``accelerate launch``.

The loop talks to a runtime, never to torch.distributed or accelerate directly. ``Local`` is the
default and every method is the plain torch call the loop made before scale-out existed, so the
CPU path pays nothing for it. ``Accelerated`` is chosen only when a launcher is detected
(``accelerate launch`` always sets ACCELERATE_MIXED_PRECISION; torchrun sets WORLD_SIZE); it wraps
model, optimizer and scheduler with accelerate (DDP, DeepSpeed ZeRO or FSDP, as the launch config
says), moves batches to the device and gives each process its share of every batch.

UNTESTED on GPUs (none on the machines this project is built on): the Accelerated path is
exercised on one CPU process in tests/model/test_finetune.py and on two (gloo, DDP, through
``judgeops finetune`` under ``accelerate launch``) in tests/model/test_distributed_finetune.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import torch

from components.training import checkpoints
from components.training.hardware import set_threads, use_bf16
from components.training.launch import launched


def is_main_process() -> bool:
    """Rank 0, or the only process; launchers set RANK for every process they start."""
    return int(os.environ.get("RANK", "0")) == 0


def shard_rows(rows: list, rank: int, world: int) -> tuple[list, bool]:
    """Process ``rank``'s rows of a global batch: rows rank, rank+world, ... The shares are disjoint and
    together the batch, in the order one process would see it. A batch smaller than ``world`` (an epoch's
    last) lends a row to the idle processes, which must still run the step's forward and backward (DDP
    reduces gradients across all of them): the second value is False for such a loan, whose loss must not count."""
    mine = rows[rank::world]
    return (mine, True) if mine else ([rows[rank % len(rows)]], False)


def make_runtime(bf16_setting: str | bool, batch_size: int) -> Local | Accelerated:
    return Accelerated(bf16_setting, batch_size) if launched() else Local(use_bf16(bf16_setting))


class Local:
    """One process on the CPU: bf16 autocast when the CPU has native bf16, threads = cores."""

    is_main = True

    def __init__(self, bf16: bool):
        self.bf16 = bf16
        set_threads()

    def prepare(self, model, optimizer, scheduler):
        return model, optimizer, scheduler

    def autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()

    def to_device(self, batch: dict) -> dict:
        return batch

    def shard(self, rows: list) -> tuple[list, bool]:
        return rows, True

    def denominator(self, batch_weight: float) -> float | None:
        return None  # the batch's own mean, as the loss computes it

    def agree(self, metrics: dict) -> dict:
        return metrics

    def backward(self, loss) -> None:
        loss.backward()

    def clip(self, parameters: list, max_norm: float) -> None:
        torch.nn.utils.clip_grad_norm_(parameters, max_norm)

    def mean(self, value: float) -> float:
        return value

    def unwrap(self, model):
        return model

    def save(self, root: Path, step: int, model, optimizer, scheduler, state: dict) -> None:
        checkpoints.save(root, step, model, optimizer, scheduler, state)

    def load(self, checkpoint: Path, model, optimizer, scheduler, lora: bool) -> dict:
        return checkpoints.load_state(checkpoint, model, optimizer, scheduler, lora)

    def publish(self, model, out: Path) -> None:
        checkpoints.publish(model, out)


class Accelerated:
    """One of N processes started by a launcher. ``batch_size`` stays the global batch: each process
    trains on rows rank, rank+N, ... of it, so the schedule of batches (and a resume) does not depend
    on N. Threads are left to the launcher (OMP_NUM_THREADS), not set to all cores per process."""

    def __init__(self, bf16_setting: str | bool, batch_size: int):
        from accelerate import Accelerator

        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.bf16 = use_bf16(bf16_setting, device)
        self.accelerator = Accelerator(
            cpu=device == "cpu", mixed_precision="bf16" if self.bf16 else "no", step_scheduler_with_optimizer=False
        )
        self.is_main = self.accelerator.is_main_process
        self.rank, self.world = self.accelerator.process_index, self.accelerator.num_processes
        plugin = self.accelerator.state.deepspeed_plugin
        if plugin is not None:
            plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = -(-batch_size // self.world)

    def prepare(self, model, optimizer, scheduler):
        return self.accelerator.prepare(model, optimizer, scheduler)

    def autocast(self):
        return self.accelerator.autocast()

    def to_device(self, batch: dict) -> dict:
        return {key: value.to(self.accelerator.device) for key, value in batch.items()}

    def shard(self, rows: list) -> tuple[list, bool]:
        return shard_rows(rows, self.rank, self.world)

    def denominator(self, batch_weight: float) -> float:
        """Each process divides its share's loss sum by the whole batch's weight over N: DDP averages the
        N gradients, so the step is the gradient of the batch's mean -- what one process computes on the
        same batch -- however the target tokens fall between the shares."""
        return batch_weight / self.world

    def agree(self, metrics: dict) -> dict:
        """The main process's eval metrics on every process: each judged the same weights, but the choice
        of the best checkpoint (and the collective save it starts) must not hang on a float's last bit."""
        from accelerate.utils import broadcast_object_list

        return broadcast_object_list([metrics], from_process=0)[0]

    def backward(self, loss) -> None:
        self.accelerator.backward(loss)

    def clip(self, parameters: list, max_norm: float) -> None:
        self.accelerator.clip_grad_norm_(parameters, max_norm)

    def mean(self, value: float) -> float:
        tensor = torch.tensor([value], device=self.accelerator.device)
        return float(self.accelerator.reduce(tensor, reduction="mean"))

    def unwrap(self, model):
        return self.accelerator.unwrap_model(model)

    def save(self, root: Path, step: int, model, optimizer, scheduler, state: dict) -> None:
        """accelerate's save_state (every process writes its shard), then the main process commits
        the folder with our state.json exactly as the local path does."""
        staging = checkpoints.staging(root, step)
        if self.is_main:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
        self.accelerator.wait_for_everyone()
        self.accelerator.save_state(str(staging / "accelerate"))
        self.accelerator.wait_for_everyone()
        if self.is_main:
            checkpoints.commit(root, staging, step, state)
        self.accelerator.wait_for_everyone()

    def load(self, checkpoint: Path, model, optimizer, scheduler, lora: bool) -> dict:
        self.accelerator.load_state(str(checkpoint / "accelerate"))
        return json.loads((checkpoint / "state.json").read_text())

    def publish(self, model, out: Path) -> None:
        state_dict = self.accelerator.get_state_dict(model)
        if self.is_main:
            checkpoints.publish(self.unwrap(model), out, state_dict=state_dict)
        self.accelerator.wait_for_everyone()
