"""scripts/gpu-check.sh where the GPU machine is not: it must stop at once with one line saying what is
missing, never hang. (On a GPU it runs a reduced pipeline; that path is untested here, no GPU.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "gpu-check.sh"
SYSTEM_PATH = "/usr/bin:/bin"


def run_check(tmp_path: Path, fake_nvidia_smi: str | None = None, **env: str) -> tuple[int, list[str], float]:
    """The script's exit status, its stderr lines and its seconds, with ``fake_nvidia_smi`` (a shell
    script's body) as the only nvidia-smi on PATH, or none."""
    path = SYSTEM_PATH
    if fake_nvidia_smi is not None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "nvidia-smi"
        fake.write_text("#!/bin/sh\n" + fake_nvidia_smi + "\n")
        fake.chmod(0o755)
        path = f"{bin_dir}:{SYSTEM_PATH}"
    environment = {**os.environ, "PATH": path, "GPU_CHECK_STATE": str(tmp_path / "state"), **env}
    started = time.monotonic()
    done = subprocess.run(["bash", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stderr.splitlines(), time.monotonic() - started


@pytest.fixture(autouse=True)
def _no_real_driver():
    if shutil.which("nvidia-smi", path=SYSTEM_PATH):
        pytest.skip("this machine has nvidia-smi: the failure paths need one without")


def test_without_nvidia_smi_it_fails_at_once_naming_the_driver(tmp_path):
    status, err, seconds = run_check(tmp_path)
    assert status == 1 and seconds < 5
    assert err == ["gpu-check: FAIL: no nvidia-smi on PATH: no NVIDIA driver here, and the check needs a CUDA GPU"]


@pytest.mark.parametrize(
    ("nvidia_smi", "said"),
    [
        ("sleep 600", "gpu-check: FAIL: nvidia-smi did not answer within 1 s"),
        ("echo 'No devices were found'; exit 6", "gpu-check: FAIL: nvidia-smi failed: No devices were found"),
        ("echo 'Driver/library version mismatch'", "gpu-check: FAIL: nvidia-smi lists no GPU"),
    ],
    ids=["hangs", "finds-no-device", "lists-no-gpu"],
)
def test_a_driver_that_hangs_or_sees_no_gpu_fails_within_the_probe_timeout(tmp_path, nvidia_smi, said):
    status, err, seconds = run_check(tmp_path, nvidia_smi, GPU_CHECK_PROBE_TIMEOUT="1")
    assert (status, err) == (1, [said])
    assert seconds < 10


def test_a_gpu_without_a_cuda_torch_fails_naming_torch(tmp_path):
    """This machine's torch is the CPU build: with a GPU listed and nothing to install, the check stops there."""
    status, err, seconds = run_check(
        tmp_path,
        "echo 'GPU 0: NVIDIA H200 (UUID: GPU-0)'",
        GPU_CHECK_INSTALL="0",
        GPU_CHECK_PYTHON=sys.executable,
        GPU_CHECK_PROBE_TIMEOUT="45",
    )
    assert status == 1 and len(err) == 1, err
    assert err[0].startswith(f"gpu-check: FAIL: torch in {sys.executable} cannot use CUDA: torch ")
    assert "available False" in err[0]
    assert seconds < 50
