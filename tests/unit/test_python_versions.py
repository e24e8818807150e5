"""Which Pythons the project installs on: pyproject.toml's requires-python names the range, `make install`
refuses a Python outside it in its first second with one line naming the versions that work (before a venv
or any pip: it used to fail minutes into pip, or not at all), takes the first supported Python on PATH when
PYTHON is not given (scripts/find_python.sh), and requirements.lock is resolved for the whole range.

The interpreters here are fakes: shell scripts that answer find_python.sh's probe ("3.10.13 1": the version,
and whether venv works) as that version would, so that no other Python need be installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from packaging.markers import Marker

from tests.conftest import REPO

BASH = shutil.which("bash")


def supported() -> list[str]:
    """The minor versions requires-python (">=3.A,<3.B") admits: ["3.11", "3.12", "3.13"]."""
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=3\.(\d+)(?:\.\d+)?,\s*<3\.(\d+)", spec)
    assert match, f"requires-python {spec!r} should name a closed range, >=3.A,<3.B"
    return [f"3.{minor}" for minor in range(int(match[1]), int(match[2]))]


def naming(versions: list[str]) -> str:
    return ", ".join(versions[:-1]) + f" or {versions[-1]}"


def fake_python(folder: Path, name: str, version: str | None, venv: bool = True) -> Path:
    """An executable NAME that answers like Python VERSION, or, with None, fails like a pyenv shim of a
    version that is not selected."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    body = f'echo "{version} {int(venv)}"' if version else f'echo "pyenv: {name}: command not found" >&2; exit 127'
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def find_python(path_dirs: list[Path], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BASH, REPO / "scripts" / "find_python.sh", *args],
        env={"PATH": ":".join(map(str, path_dirs))},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_running_python_is_in_the_supported_range():
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in supported()
    done = find_python([], "--supported")
    assert done.stdout.split() == supported(), done.stderr


def test_make_install_refuses_an_unsupported_python_in_its_first_second(tmp_path):
    versions = supported()
    low, high = versions[0].split(".")[1], int(versions[-1].split(".")[1]) + 1
    for version in (f"3.{int(low) - 1}.13", f"3.{high}.0", "2.7.18"):
        python = fake_python(tmp_path / "bin", f"python-{version}", version)
        venv = tmp_path / f"venv-{version}"
        start = time.monotonic()
        done = subprocess.run(
            ["make", "-C", REPO, "install", f"PYTHON={python}", f"VENV={venv}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - start
        assert done.returncode != 0, f"make install accepted Python {version}: {done.stdout[-2000:]}"
        said = [line for line in done.stderr.splitlines() if not line.startswith("make")]
        assert len(said) == 1, f"one line, not {said}"
        assert f"is Python {version}" in said[0] and f"Python {naming(versions)}" in said[0], said[0]
        assert not venv.exists(), "no venv before the check"
        assert took < 5, f"refused after {took:.1f} s"  # milliseconds on an idle machine


def test_without_python_the_first_supported_one_on_path_is_taken(tmp_path):
    versions = supported()
    shims, system = tmp_path / "shims", tmp_path / "usr-bin"
    fake_python(shims, f"python{versions[0]}", None)  # a pyenv shim whose version is not selected
    fake_python(system, f"python{versions[0]}", f"{versions[0]}.2", venv=False)  # Debian without python3-venv
    second = fake_python(system, f"python{versions[1]}", f"{versions[1]}.1")
    fake_python(system, "python3", f"{versions[0]}.2")
    done = find_python([shims, system])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(second)
    assert f"Python {versions[1]}.1" in done.stderr


def test_a_supported_python_without_venv_is_named_with_what_to_install(tmp_path):
    version = f"{supported()[0]}.2"
    fake_python(tmp_path, "python3", version, venv=False)
    done = find_python([tmp_path])
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and f"apt-get install python{supported()[0]}-venv" in done.stderr


def test_no_supported_python_on_path_says_which_versions_work(tmp_path):
    fake_python(tmp_path, "python3", "3.9.18")
    done = find_python([tmp_path])
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "no supported Python on PATH" in done.stderr and naming(supported()) in done.stderr


def locked_for(python_full_version: str) -> set[str]:
    """The distributions requirements.lock installs on that Python (Linux, CPython, x86_64)."""
    environment = {
        "python_full_version": python_full_version,
        "python_version": ".".join(python_full_version.split(".")[:2]),
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
    }
    names = set()
    for line in (REPO / "requirements.lock").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==[^\s;\\]+\s*(?:;([^\\]*))?", line)
        if match and (not match[2] or Marker(match[2].strip()).evaluate(environment)):
            names.add(re.sub(r"[-_.]+", "-", match[1]).lower())
    return names


def test_the_lock_is_resolved_for_every_supported_python():
    """redis needs async-timeout below 3.11.3 only (Debian 12's Python is 3.11.2): a lock compiled on one
    later 3.11 left it out, and `pip install --require-hashes` failed there after minutes."""
    first = supported()[0]
    assert "async-timeout" in locked_for(f"{first}.2")
    for version in supported():
        locked = locked_for(f"{version}.0" if version != first else f"{first}.3")
        assert "redis" in locked and "async-timeout" not in locked, version
        gpu = sorted(name for name in locked if name.startswith(("nvidia-", "triton", "cuda-")))
        assert not gpu, f"the lock holds torch's CUDA build's dependencies on {version}: {gpu}"
