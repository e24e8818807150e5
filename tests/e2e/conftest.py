"""A fresh copy of the project (a new git repo, no state) for each end-to-end test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from components.sandbox import BIN, project_env
from tests.conftest import REPO

LEAVE_OUT = {
    ".venv",
    ".git",
    "data",
    "models",
    "metrics",
    "reports",
    "mlflow.db",
    "mlartifacts",
    ".state",
    ".pytest_cache",
}


def run(command: list[str], root: Path, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(
        REPO, root, ignore=lambda folder, names: [n for n in names if n in LEAVE_OUT and Path(folder) == REPO]
    )
    env = project_env(root)
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "copy"],
    ):
        run(command, root, env)
    run([str(BIN / "judgeops"), "profile", "tiny"], root, env)
    return root
