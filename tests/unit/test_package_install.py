"""The package is complete on its own: installed (not editable) into a fresh venv from a copy of the
checkout's files, every module and data file under components/ and flows/ ships, and the `judgeops`
entry point answers --help and --version from another folder, importing the installed copy.

Dependencies are not installed (too heavy for a test): the venv reads this interpreter's site-packages
through a .pth line, which does not run that folder's own .pth files, so the checkout's editable
install stays out of reach. tests/unit/test_dependencies.py checks that the dependencies are declared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("components", "flows")


def checkout_files() -> list[str]:
    """What a fresh clone holds: the tracked files and the untracked ones git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (REPO / name).is_file()]


def make_venv(root: Path) -> tuple[Path, Path]:
    """A venv without pip whose site-packages also reads this interpreter's: (its python, its site-packages)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root], check=True)
    python = root / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def test_installed_package_runs_from_elsewhere(tmp_path):
    source = tmp_path / "src"
    files = checkout_files()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    python, site = make_venv(tmp_path / "venv")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-build-isolation", source],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]

    shipped = [name for name in files if name.split("/")[0] in PACKAGES]
    missing = [name for name in shipped if not (site / name).is_file()]
    assert not missing, f"in the checkout but not in the installed package: {missing}"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"HF_HUB_OFFLINE": "1"}

    def run(*argv: str) -> str:
        done = subprocess.run(argv, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done.stdout

    judgeops = str(tmp_path / "venv" / "bin" / "judgeops")
    assert "Usage: judgeops" in run(judgeops, "--help")
    version = run(str(python), "-c", "from importlib.metadata import version; print(version('judgeops'))").strip()
    assert run(judgeops, "--version").strip() == f"judgeops {version}"
    where = run(str(python), "-c", "import components.cli, flows.pipeline; print(components.cli.__file__)").strip()
    assert Path(where).is_relative_to(site), f"imported {where}, not the installed package"
