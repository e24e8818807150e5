"""CPU facts that decide how to train: bf16 support and thread count."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def cpu_supports_bf16() -> bool:
    """True on CPUs with native bf16 matmuls (AVX512-BF16 or AMX); elsewhere bf16 autocast is
    emulated and slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(setting: str | bool) -> bool:
    if setting == "auto":
        return cpu_supports_bf16()
    return bool(setting)


def set_threads() -> int:
    """One intra-op thread per core this process may use; inter-op work is negligible here."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(cores)
    return cores
